"""Record events in the caller's transaction; hand them on only after it commits.

Actions call `record_event` next to the change it describes, so an event is stored
if and only if the change is. After the commit the session hook hands every stored
event to the registered publishers (the live publisher of the realtime issue plugs in
with `add_publisher`); on rollback the pending events are dropped. Until a publisher
is registered the published events are only kept in a short in-memory list. Every
payload passes the registered payload filters before it is stored (moderation censors
post text there, `add_payload_filter`).
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from community import appendonly
from community.database import utcnow
from community.extensions import db
from community.realtime.models import Event

_Statement = TypeVar("_Statement", sa.Select[Any], sa.Update)
Publisher = Callable[[list[dict[str, Any]]], None]
# (session, space_id, subject, payload) -> the payload to store
PayloadFilter = Callable[[Session, int, str | None, dict[str, Any]], dict[str, Any]]

_PENDING = "outbox_pending"
_publishers: list[Publisher] = []
_payload_filters: list[PayloadFilter] = []
# The last events handed on, for the future publisher and for tests.
published: collections.deque[dict[str, Any]] = collections.deque(maxlen=1000)

_events = Event.__table__
# Core, built once: the unit of work's flush of one event object cost several times
# this INSERT, on every post.
_INSERT = sa.insert(_events).returning(_events.c.id, sort_by_parameter_order=True)


def add_publisher(publisher: Publisher) -> None:
    """Call `publisher(events)` after each commit that stored events (as dicts)."""
    if publisher not in _publishers:
        _publishers.append(publisher)


def remove_publisher(publisher: Publisher) -> None:
    if publisher in _publishers:
        _publishers.remove(publisher)


def add_payload_filter(payload_filter: PayloadFilter) -> None:
    """Pass every payload through `payload_filter` before `record_event` or
    `rewrite_subject` stores it."""
    if payload_filter not in _payload_filters:
        _payload_filters.append(payload_filter)


def record_event(space_id: int, type: str, data: dict[str, Any], *,
                 audiences: Iterable[str], subject: str | None = None) -> list[Event]:
    """Store one event row per audience in the current transaction, at once (ids in
    the order given). Returns the stored rows, detached: there is nothing left to
    flush. Inside `together()` (community/appendonly.py) the rows are stored when the
    block ends, with the other append-only rows, and nothing is returned. Not
    idempotent."""
    session = db.session()
    _serialize_per_space(session, space_id)
    values = event_rows(space_id, type, data, audiences=audiences, subject=subject)
    if appendonly.batching():
        for row in values:
            appendonly.append(_events, row, on_id=functools.partial(_noted, row))
        return []
    return _store(session, values)


def event_rows(space_id: int, type: str, data: dict[str, Any], *,
               audiences: Iterable[str], subject: str | None = None) -> list[dict[str, Any]]:
    """The rows `record_event` would store (payload filtered), for an action that
    inserts them within a statement of its own, which must also take the space's event
    lock (`take_space_lock_in_statement`) before it inserts them. It then hands the new
    ids to `stored`, so that they are published after the commit."""
    data = _filtered(db.session(), space_id, subject, data)
    created_at = utcnow()
    return [{"space_id": space_id, "type": type, "audience": audience, "subject": subject,
             "data": data, "created_at": created_at} for audience in audiences]


# The events recorded in the block are stored as it ends, with the other append-only
# rows (audit, moderation log) of the block: on PostgreSQL in one statement.
together = appendonly.together


def _store(session: Session, values: list[dict[str, Any]]) -> list[Event]:
    if not values:
        return []
    ids = session.connection().execute(_INSERT, values).scalars().all()
    stored(values, ids)
    return [Event(id=event_id, **row) for event_id, row in zip(ids, values, strict=True)]


def stored(values: list[dict[str, Any]], ids: list[int]) -> None:
    """Note rows of `event_rows`, inserted with these ids, for publishing after the
    commit."""
    for event_id, row in zip(ids, values, strict=True):
        _noted(row, event_id)


def _noted(row: dict[str, Any], event_id: int) -> None:
    db.session().info.setdefault(_PENDING, []).append({
        "id": event_id, "space_id": row["space_id"], "type": row["type"],
        "audience": row["audience"], "data": row["data"]})


def rewrite_subject(space_id: int, subject: str, data: dict[str, Any],
                    types: Iterable[str]) -> None:
    """Replace the payload of earlier events about `subject` (e.g. after an edit or a
    removal), so that replay never hands out text that is no longer shown."""
    session = db.session()
    _serialize_per_space(session, space_id)  # before the rows, as record_event does
    data = _filtered(session, space_id, subject, data)
    session.execute(sa.update(Event).where(
        Event.space_id == space_id, Event.subject == subject,
        Event.type.in_(list(types))).values(data=data))


def _filtered(session: Session, space_id: int, subject: str | None,
              data: dict[str, Any]) -> dict[str, Any]:
    for payload_filter in _payload_filters:
        data = payload_filter(session, space_id, subject, data)
    return data


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
        # Through the connection: a session statement would flush first, writing rows
        # before the lock (`_lock_spaces_before_writing` covers flushes on their own).
        session.connection().execute(_LOCK_NOW, {"space_id": space_id})
        locked.add(space_id)


_LOCK_NOW = sa.text("SELECT pg_advisory_xact_lock(7243, :space_id)")


@sa.event.listens_for(Session, "before_flush")
def _lock_spaces_before_writing(session: Session, _context: Any, _instances: Any) -> None:
    """On PostgreSQL, take the event lock of every space whose rows the flush changes or
    deletes (a thread, a post, a review item...) before it writes them.

    Posting and the queue's decisions take a space's lock first and then write its
    rows. An action that changed a row through the unit of work first (an edit, a pin)
    and took the lock only when recording its event could hold the row while waiting
    for the lock held by one of those, which waits for the row: a deadlock. Spaces in id
    order, so that two flushes never take two spaces' locks in opposite orders.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    spaces = {getattr(obj, "space_id", None) for obj in (*session.dirty, *session.deleted)}
    for space_id in sorted(s for s in spaces if isinstance(s, int)):
        _serialize_per_space(session, space_id)


# The lock of `_serialize_per_space` as a CTE whose space is the bind parameter
# `lock_space_id`: built once, so that a statement built once around it is too.
_LOCK = sa.text("SELECT 1 AS held FROM pg_advisory_xact_lock(7243, :lock_space_id)"
                ).bindparams(sa.bindparam("lock_space_id", type_=sa.Integer))
SPACE_LOCK = _LOCK.columns(held=sa.Integer).cte("space_event_lock")


def after_space_lock(stmt: _Statement) -> _Statement:
    """`stmt` made to take the space's event lock (`SPACE_LOCK`, `lock_space_id`) before
    it writes or returns a row: a scalar subquery in its WHERE, evaluated first."""
    return stmt.add_cte(SPACE_LOCK).where(  # type: ignore[return-value]
        sa.select(SPACE_LOCK.c.held).scalar_subquery() == 1)


def space_lock_taken(space_id: int) -> None:
    """Note that a statement of the caller's took the space's event lock (PostgreSQL),
    so that nothing takes it again in this transaction."""
    db.session().info.setdefault("outbox_locked_spaces", set()).add(space_id)


def take_space_lock_in_statement(space_id: int) -> bool:
    """Whether the caller's next statement must take the per-space event lock of
    `_serialize_per_space` itself, through `SPACE_LOCK` (with `lock_space_id`): only on
    PostgreSQL, and only the first time in a transaction. Referenced from a statement
    that writes a row of the space before the event is recorded anyway (e.g. a scalar
    subquery in an UPDATE's WHERE, evaluated before any row is written), it takes the
    lock without a round trip of its own. Once True is returned the lock counts as
    held, so the caller must execute that statement.
    """
    session = db.session()
    if session.get_bind().dialect.name != "postgresql":
        return False
    locked = session.info.setdefault("outbox_locked_spaces", set())
    if space_id in locked:
        return False
    locked.add(space_id)
    return True



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
