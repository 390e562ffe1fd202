"""Helpers shared by the spaces tests."""

from __future__ import annotations

import pytest

from community.admin.models import AuditEntry
from community.extensions import db
from community.spaces.models import Membership
from tests.factories import make_space


def audit_rows(action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == action)
                                   .order_by(AuditEntry.id)))


def membership_of(user, space) -> Membership | None:  # type: ignore[no-untyped-def]
    db.session.expire_all()
    return db.session.scalar(db.select(Membership).filter_by(user_id=user.id, space_id=space.id))


@pytest.fixture
def other_space(app, outsider):  # type: ignore[no-untyped-def]
    """Space B: the outsider facilitates it; none of space A's people belong to it."""
    return make_space(name="Elsewhere", facilitators=[outsider])
