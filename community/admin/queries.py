"""Reads for admins: users with their memberships, and the audit log."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from community.accounts.models import User, UserStatus
from community.admin.models import AuditEntry
from community.extensions import db
from community.spaces.models import Membership, Space


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_users(*, search: str | None = None, after_id: int | None = None,
               limit: int = 50) -> tuple[list[User], int | None]:
    """Users by id, optionally those whose e-mail or name contains `search` (any case).

    The second value is the `after_id` of the next page, or None at the end.
    """
    query = sa.select(User)
    if search:
        pattern = _like(search.strip().lower())
        query = query.where(sa.or_(sa.func.lower(User.email).like(pattern, escape="\\"),
                                   sa.func.lower(User.display_name).like(pattern, escape="\\")))
    if after_id is not None:
        query = query.where(User.id > after_id)
    rows = list(db.session.scalars(query.order_by(User.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def list_user_memberships(user: User) -> list[Membership]:
    """Every membership of the user, ended ones too, by space name."""
    return list(db.session.scalars(sa.select(Membership).join(Space)
                                   .where(Membership.user_id == user.id).order_by(Space.name)))


def site_counts() -> dict[str, int]:
    def count(query: sa.Select) -> int:  # type: ignore[type-arg]
        return db.session.scalar(query) or 0

    return {
        "users": count(sa.select(sa.func.count(User.id))),
        "suspended": count(sa.select(sa.func.count(User.id))
                           .where(User.status == UserStatus.SUSPENDED)),
        "admins": count(sa.select(sa.func.count(User.id)).where(User.is_admin.is_(True))),
        "spaces": count(sa.select(sa.func.count(Space.id))),
    }


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def list_audit(*, action: str | None = None, actor_id: int | None = None,
               space_id: int | None = None, since: date | None = None,
               until: date | None = None, before_id: int | None = None,
               limit: int = 50) -> tuple[list[AuditEntry], int | None]:
    """Audit entries newest first, filtered; `since` and `until` are whole UTC days.

    Ids grow with time, so paging by id is stable while new rows arrive. The second value
    is the `before_id` of the next page, or None at the end.
    """
    query = sa.select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action == action)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if space_id is not None:
        query = query.where(AuditEntry.space_id == space_id)
    if since is not None:
        query = query.where(AuditEntry.created_at >= _start_of(since))
    if until is not None:
        query = query.where(AuditEntry.created_at < _start_of(until + timedelta(days=1)))
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    rows = list(db.session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def user_names(ids: set[int | None]) -> dict[int, str]:
    """Display names for the given user ids (erased or unknown ids are left out)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.display_name)
                                   .where(User.id.in_(wanted))).all())
