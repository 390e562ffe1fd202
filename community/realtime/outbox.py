"""Record events in the caller's transaction; hand them on only after it commits.

Actions call `record_event` next to the change it describes, so an event is stored
if and only if the change is. After the commit the session hook hands every stored
event to the registered publishers (the live publisher of the realtime issue plugs in
with `add_publisher`); on rollback the pending events are dropped. Until a publisher
is registered the published events are only kept in a short in-memory list.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from community.extensions import db
from community.realtime.models import Event

Publisher = Callable[[list[dict[str, Any]]], None]

_PENDING = "outbox_pending"
_publishers: list[Publisher] = []
# The last events handed on, for the future publisher and for tests.
published: collections.deque[dict[str, Any]] = collections.deque(maxlen=1000)


def add_publisher(publisher: Publisher) -> None:
    """Call `publisher(events)` after each commit that stored events (as dicts)."""
    if publisher not in _publishers:
        _publishers.append(publisher)


def remove_publisher(publisher: Publisher) -> None:
    if publisher in _publishers:
        _publishers.remove(publisher)


def record_event(space_id: int, type: str, data: dict[str, Any], *,
                 audiences: Iterable[str], subject: str | None = None) -> list[Event]:
    """Add one event row per audience to the current transaction. Not idempotent."""
    session = db.session()
    _serialize_per_space(session, space_id)
    rows = [Event(space_id=space_id, type=type, audience=audience, subject=subject,
                  data=data) for audience in audiences]
    session.add_all(rows)
    session.info.setdefault(_PENDING, []).extend(rows)
    return rows


def rewrite_subject(space_id: int, subject: str, data: dict[str, Any],
                    types: Iterable[str]) -> None:
    """Replace the payload of earlier events about `subject` (e.g. after an edit or a
    removal), so that replay never hands out text that is no longer shown."""
    db.session.execute(sa.update(Event).where(
        Event.space_id == space_id, Event.subject == subject,
        Event.type.in_(list(types))).values(data=data))


def as_dict(event: Event) -> dict[str, Any]:
    return {"id": event.id, "space_id": event.space_id, "type": event.type,
            "audience": event.audience, "data": event.data}


def _serialize_per_space(session: Session, space_id: int) -> None:
    """Make event ids commit in id order within a space.

    A sequence hands out ids at insert time, so on PostgreSQL two transactions could
    commit ids 8 and 7 in that order and a client that already read 8 would never
    replay 7. A transaction-scoped advisory lock per space keeps writers of one space
    in line. SQLite needs nothing: its write transactions are serial already.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    locked = session.info.setdefault("outbox_locked_spaces", set())
    if space_id not in locked:
        session.execute(sa.text("SELECT pg_advisory_xact_lock(7243, :space_id)"),
                        {"space_id": space_id})
        locked.add(space_id)


def space_lock_cte(space_id: int) -> sa.CTE | None:
    """The per-space event lock of `_serialize_per_space` as a CTE, for an action that
    writes a row of the space before it records the event anyway: referenced from that
    statement (e.g. a scalar subquery in an UPDATE's WHERE, evaluated before any row is
    written), it takes the lock without a round trip of its own. None when no lock is
    needed (not PostgreSQL, or already held); once the CTE is handed out the lock counts
    as held, so the caller must execute it.
    """
    session = db.session()
    if session.get_bind().dialect.name != "postgresql":
        return None
    locked = session.info.setdefault("outbox_locked_spaces", set())
    if space_id in locked:
        return None
    locked.add(space_id)
    return (sa.text("SELECT 1 AS held FROM pg_advisory_xact_lock(7243, :lock_space_id)")
            .bindparams(lock_space_id=space_id).columns(held=sa.Integer)
            .cte("space_event_lock"))


@sa.event.listens_for(Session, "before_commit")
def _snapshot(session: Session) -> None:
    rows = session.info.get(_PENDING)
    if rows:
        session.flush()  # ids are needed, and attributes expire at commit
        session.info[_PENDING] = [as_dict(row) for row in rows]


@sa.event.listens_for(Session, "after_commit")
def _hand_on(session: Session) -> None:
    events = session.info.pop(_PENDING, None)
    session.info.pop("outbox_locked_spaces", None)
    if not events:
        return
    published.extend(events)
    for publisher in list(_publishers):
        try:
            publisher(events)
        except Exception:  # a failing publisher must not break the committed request
            if has_app_context():
                current_app.logger.exception("event publisher failed")


@sa.event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop("outbox_locked_spaces", None)
