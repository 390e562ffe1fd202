"""Live sessions: scheduling them, their weekly occurrences, and which one is live now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from community import text
from community.admin.audit import AuditAction, record
from community.database import utcnow
from community.errors import Invalid
from community.extensions import db
from community.facilitation.models.sessions import LiveSession
from community.forums.access import Reader, require_moderator
from community.realtime import rooms
from community.realtime.outbox import record_event
from community.spaces.models import Membership, Space

TITLE_MAX = 200
MAX_LENGTH = timedelta(hours=12)
MAX_OCCURRENCES = 104  # two years of weekly sessions
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Occurrence:
    session: LiveSession
    starts_at: datetime
    ends_at: datetime

    def is_live(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


def occurrences(session: LiveSession) -> list[Occurrence]:
    """Every occurrence of a session (one, or the weekly series up to its end)."""
    length = session.ends_at - session.starts_at
    count = 1
    if session.weekly:
        count = session.repeat_count or MAX_OCCURRENCES
    found = []
    for week in range(min(count, MAX_OCCURRENCES)):
        start = session.starts_at + week * WEEK
        if session.weekly and session.repeat_until and start.date() > session.repeat_until:
            break
        found.append(Occurrence(session, start, start + length))
    return found


def upcoming(space_id: int, *, now: datetime | None = None, limit: int = 5) -> list[Occurrence]:
    """The occurrences that are live now or still to come, soonest first."""
    now = now or utcnow()
    sessions = db.session.scalars(sa.select(LiveSession).where(LiveSession.space_id == space_id)
                                  .order_by(LiveSession.starts_at))
    found = [o for s in sessions for o in occurrences(s) if o.ends_at > now]
    return sorted(found, key=lambda o: o.starts_at)[:limit]


def list_sessions(space_id: int) -> list[LiveSession]:
    return list(db.session.scalars(sa.select(LiveSession).where(LiveSession.space_id == space_id)
                                   .order_by(LiveSession.starts_at, LiveSession.id)))


def session_view(session: LiveSession, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    coming = [o for o in occurrences(session) if o.ends_at > now]
    return {"id": session.id, "space_id": session.space_id, "title": session.title,
            "starts_at": session.starts_at, "ends_at": session.ends_at,
            "weekly": session.weekly, "repeat_until": session.repeat_until,
            "repeat_count": session.repeat_count,
            "live_now": bool(coming and coming[0].is_live(now)),
            "next_starts_at": coming[0].starts_at if coming else None}


def check_create_session(space: Space, membership: Membership, *, title: str,
                         starts_at: datetime | None, ends_at: datetime | None,
                         weekly: bool = False, repeat_until: date | None = None,
                         repeat_count: int | None = None) -> LiveSession:
    """Schedule a session (facilitators). A weekly series ends on a date or after a number
    of occurrences (at most two years). Records live_session.created to the space and
    audits live_session:create. Not idempotent."""
    require_moderator(Reader(space, membership))
    title = text.normalize_line(title if isinstance(title, str) else "")
    if not 3 <= len(title) <= TITLE_MAX:
        raise Invalid(fields={"title": _("Use %(a)d to %(b)d characters.", a=3, b=TITLE_MAX)})
    if starts_at is None or starts_at.tzinfo is None:
        raise Invalid(fields={"starts_at": _("Give a start time with a time zone.")})
    if ends_at is None or ends_at.tzinfo is None:
        raise Invalid(fields={"ends_at": _("Give an end time with a time zone.")})
    if not starts_at < ends_at <= starts_at + MAX_LENGTH:
        raise Invalid(fields={"ends_at": _("End after the start, within 12 hours.")})
    if not weekly:
        repeat_until, repeat_count = None, None
    elif repeat_until is None and repeat_count is None:
        raise Invalid(fields={"repeat_count": _("Say until when or how many times.")})
    elif repeat_count is not None and not 1 <= repeat_count <= MAX_OCCURRENCES:
        raise Invalid(fields={"repeat_count": _("Between 1 and %(n)d.", n=MAX_OCCURRENCES)})
    elif repeat_until is not None and repeat_until < starts_at.date():
        raise Invalid(fields={"repeat_until": _("End the series after its first session.")})
    session = LiveSession(space_id=space.id, title=title, starts_at=starts_at, ends_at=ends_at,
                          weekly=bool(weekly), repeat_until=repeat_until,
                          repeat_count=repeat_count, created_by_id=membership.user_id)
    db.session.add(session)
    db.session.flush()
    record(AuditAction.LIVE_SESSION_CREATE, actor_id=membership.user_id,
           target_type="live_session", target_id=session.id, space_id=space.id, title=title)
    record_event(space.id, "live_session.created",
                 {"live_session": {"id": session.id, "title": title,
                                   "starts_at": starts_at.isoformat(),
                                   "ends_at": ends_at.isoformat(), "weekly": session.weekly}},
                 audiences=[rooms.SPACE], subject=f"live_session:{session.id}")
    return session


def check_delete_session(session: LiveSession, membership: Membership) -> None:
    """Cancel a session or series (facilitators). Audited; records live_session.deleted."""
    space = db.session.get(Space, session.space_id)
    require_moderator(Reader(space, membership))  # type: ignore[arg-type]
    record(AuditAction.LIVE_SESSION_DELETE, actor_id=membership.user_id,
           target_type="live_session", target_id=session.id, space_id=session.space_id,
           title=session.title)
    record_event(session.space_id, "live_session.deleted", {"live_session": {"id": session.id}},
                 audiences=[rooms.SPACE], subject=f"live_session:{session.id}")
    db.session.delete(session)


def access_session_by_id(user: Any, session_id: int) -> tuple[LiveSession, Reader]:
    """The session and the caller as a reader of its space, or NotFound."""
    from community.errors import NotFound
    from community.forums.access import access_space_content

    session = db.session.get(LiveSession, session_id) if user.is_authenticated else None
    if session is None:
        raise NotFound()
    return session, access_space_content(user, session.space_id)
