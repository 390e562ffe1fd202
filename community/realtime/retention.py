"""The kept window of each space's events: what replay can still deliver, and pruning.

Events older than COMMUNITY_EVENT_RETENTION_DAYS, or beyond the newest
COMMUNITY_EVENT_RETENTION_COUNT of a space, are deleted by `prune_events` (for
`community purge`). Each space remembers the highest id it pruned (EventHorizon), so a
client whose last seen event is at or below it is told `gap_too_large` and reloads.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from http import HTTPStatus

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from community.database import utcnow
from community.errors import AppError
from community.extensions import db
from community.realtime.models import Event, EventHorizon

DEFAULT_DAYS = 7
DEFAULT_COUNT = 10_000


def pruned_through(space_id: int) -> int:
    return db.session.scalar(sa.select(EventHorizon.pruned_through).where(
        EventHorizon.space_id == space_id)) or 0


def gap_too_large(space_id: int, last_event_id: int) -> bool:
    """True when events after `last_event_id` have been pruned, so replay would miss some."""
    return last_event_id < pruned_through(space_id)


class GapTooLarge(AppError):
    """Events after the client's last one were pruned: it must reload (410 Gone)."""

    status = HTTPStatus.GONE
    code = "gap_too_large"

    def default_message(self) -> str:
        return _("Too much has happened since. Reload the page.")


def require_within_window(space_id: int, after: int) -> None:
    """Raise GapTooLarge when replay after `after` would miss pruned events."""
    if gap_too_large(space_id, after):
        raise GapTooLarge()


def newest_event_id(space_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.max(Event.id)).where(
        Event.space_id == space_id)) or 0


def prune_events(now: datetime | None = None) -> int:
    """Delete events outside every space's kept window; returns how many. Does not commit.

    Idempotent. The horizon only moves forward.
    """
    days = int(current_app.config.get("EVENT_RETENTION_DAYS") or DEFAULT_DAYS)
    count = int(current_app.config.get("EVENT_RETENTION_COUNT") or DEFAULT_COUNT)
    cutoff = (now or utcnow()) - timedelta(days=days)
    deleted = 0
    space_ids = db.session.scalars(sa.select(Event.space_id).distinct()).all()
    for space_id in space_ids:
        by_age = db.session.scalar(sa.select(sa.func.max(Event.id)).where(
            Event.space_id == space_id, Event.created_at < cutoff)) or 0
        by_count = db.session.scalar(
            sa.select(Event.id).where(Event.space_id == space_id)
            .order_by(Event.id.desc()).offset(count).limit(1)) or 0
        through = max(by_age, by_count)
        if not through:
            continue
        result = db.session.execute(sa.delete(Event).where(
            Event.space_id == space_id, Event.id <= through))
        deleted += result.rowcount or 0  # type: ignore[attr-defined]
        horizon = db.session.get(EventHorizon, space_id)
        if horizon is None:
            db.session.add(EventHorizon(space_id=space_id, pruned_through=through))
        elif through > horizon.pruned_through:
            horizon.pruned_through, horizon.pruned_at = through, utcnow()
    db.session.flush()
    return deleted
