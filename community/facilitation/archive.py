"""End of a cohort: archive a space in one audited action.

After archiving nobody posts (forums' require_can_post already refuses archived
spaces); members keep read access for the chosen number of days, then lose it
(spaces/access.py asks `member_read_ended`); facilitators keep reading. From the day
members lose access the retention clock runs for everything: a cutoff rule purges the
whole space once the space's retention period has passed since then (with "keep"
retention nothing is purged). `community timers` revokes members' live connections
when their access ends (at once when archived with 0 days).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from community.admin.audit import AuditAction, record
from community.database import utcnow
from community.errors import Conflict, Invalid
from community.extensions import db
from community.facilitation.models.rhythm import SpaceArchive
from community.privacy import retention
from community.realtime import revocation
from community.spaces.models import Membership, MembershipState, Role, Space

MAX_READ_DAYS = 3650


def _aware(value: datetime) -> datetime:
    from datetime import UTC
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def get_archive(space_id: int) -> SpaceArchive | None:
    return db.session.get(SpaceArchive, space_id)


def member_read_ended(space: Space, now: datetime | None = None) -> bool:
    """Whether members (not facilitators) of an archived space have lost read access."""
    if space.archived_at is None:
        return False
    archive = get_archive(space.id)
    if archive is None:  # archived some other way: no grace period recorded
        return False
    return _aware(archive.read_until) <= (now or utcnow())


def check_archive_space(space: Space, *, actor_id: int, read_days: Any,
                        now: datetime | None = None) -> SpaceArchive:
    """Archive `space` (a facilitator of it has been authorized). `read_days` 0..3650.
    Audited as space:archive. Raises Conflict when already archived. With 0 days the
    members' live connections are revoked after the commit."""
    if isinstance(read_days, bool) or not isinstance(read_days, int) \
            or not 0 <= read_days <= MAX_READ_DAYS:
        raise Invalid(fields={"read_days": _("Use 0 to %(n)d days.", n=MAX_READ_DAYS)})
    if space.archived_at is not None:
        raise Conflict(_("This space is already archived."), code="already_archived")
    now = now or utcnow()
    space.archived_at = now
    archive = SpaceArchive(space_id=space.id, archived_by_id=actor_id, archived_at=now,
                           read_until=now + timedelta(days=read_days))
    db.session.add(archive)
    record(AuditAction.SPACE_ARCHIVE, actor_id=actor_id, target_type="space",
           target_id=space.id, space_id=space.id, read_days=read_days,
           read_until=archive.read_until.isoformat())
    if read_days == 0:
        _end_member_access(archive, now)
    return archive


def _end_member_access(archive: SpaceArchive, now: datetime) -> int:
    members = list(db.session.scalars(sa.select(Membership.user_id).where(
        Membership.space_id == archive.space_id, Membership.state == MembershipState.ACTIVE,
        Membership.role == Role.MEMBER)))
    for user_id in members:
        revocation.revoke(user_id, archive.space_id, "space_archived")
    archive.access_ended_at = now
    return len(members)


def end_expired_access(now: datetime | None = None, *, echo=None) -> int:  # type: ignore[no-untyped-def]
    """For `community timers`: revoke live connections of members whose read access to
    an archived space has ended. One transaction per space; idempotent."""
    now = now or utcnow()
    ids = list(db.session.scalars(sa.select(SpaceArchive.space_id).where(
        SpaceArchive.access_ended_at.is_(None), SpaceArchive.read_until <= now)))
    db.session.commit()
    for space_id in ids:
        archive = db.session.get(SpaceArchive, space_id)
        count = _end_member_access(archive, now)
        db.session.commit()
        (echo or print)(f"space {space_id}: read access ended for {count} member(s)")
    return len(ids)


def archive_cutoff(space: Space, now: datetime) -> datetime | None:
    """Retention hook: purge everything once the retention period has passed since the
    members lost access to the archived space."""
    if space.archived_at is None:
        return None
    archive = get_archive(space.id)
    days = retention.retention_days(space)
    if archive is None or days is None:
        return None
    if _aware(archive.read_until) + timedelta(days=days) <= now:
        return now
    return None


if archive_cutoff not in retention.cutoff_rules:
    retention.cutoff_rules.append(archive_cutoff)


def archive_view(space: Space) -> dict[str, Any]:
    archive = get_archive(space.id)
    return {"space_id": space.id,
            "archived_at": _aware(space.archived_at).isoformat() if space.archived_at else None,
            "read_until": _aware(archive.read_until).isoformat() if archive else None,
            "members_can_read": not member_read_ended(space)}
