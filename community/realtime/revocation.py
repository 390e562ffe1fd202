"""Take live access away at once, on every realtime process, after the change commits.

Actions call `revoke` (one user in one space), `revoke_user` (every connection of a
user: suspension, sign-out, password change), `revoke_token` (the connections of one
revoked API token), `revoke_space` (everyone in a space: a
new space agreement) or `revoke_site` (everyone: a new site agreement). The request is
kept on the database session and sent only after the commit, like events; a rollback
drops it. `*_now` variants send at once, for changes that are not in a transaction
(signing out).

Sending is an internal `_revoke` emit to the room that holds the affected connections;
every process's client manager (realtime/delivery.py) removes its own connections from
the space's rooms, drops what it held for them and sends them `access_revoked`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from community.extensions import db
from community.realtime import (
    outbox,  # noqa: F401 - its commit hook must run before ours
    rooms,
)
from community.realtime.delivery import REVOKE

_PENDING = "realtime_revocations"


def revoke(user_id: int, space_id: int, reason: str) -> None:
    """After commit: the user's connections stop receiving the space's events.

    Used for removal, leaving and mute-from-reading (the moderation hook).
    """
    _queue({"space_id": space_id, "reason": reason}, rooms.member_room(space_id, user_id))


def revoke_user(user_id: int, reason: str, *, disconnect: bool = True) -> None:
    """After commit: every connection of the user loses every space (and is closed)."""
    _queue({"space_id": None, "reason": reason, "disconnect": disconnect},
           rooms.connection_room(user_id))


def revoke_token(user_id: int, token_hash: str, reason: str) -> None:
    """After commit: every connection signed in with the token loses every space and is
    closed (the user's other connections stay: each process picks the token's among the
    user's connections, rather than keep a room per token)."""
    _queue({"space_id": None, "reason": reason, "disconnect": True, "token_hash": token_hash},
           rooms.connection_room(user_id))


def revoke_space(space_id: int, reason: str, *, except_user_id: int | None = None) -> None:
    """After commit: everyone subscribed to the space loses it (but `except_user_id`)."""
    _queue({"space_id": space_id, "reason": reason, "except_user_id": except_user_id},
           rooms.room_name(space_id, rooms.SPACE))


def revoke_site(reason: str, *, except_user_id: int | None = None) -> None:
    """After commit: every connection loses every space (but `except_user_id`'s)."""
    _queue({"space_id": None, "reason": reason, "except_user_id": except_user_id}, None)


def revoke_user_now(user_id: int, reason: str, *, disconnect: bool = True) -> None:
    _send([({"space_id": None, "reason": reason, "disconnect": disconnect},
            rooms.connection_room(user_id))])


def _queue(message: dict[str, Any], room: str | None) -> None:
    db.session().info.setdefault(_PENDING, []).append((message, room))


def _send(messages: list[tuple[dict[str, Any], str | None]]) -> None:
    if not has_app_context():
        return
    sio = current_app.extensions.get("socketio")
    if sio is None or getattr(sio, "server", None) is None:
        return
    for message, room in messages:
        try:
            sio.server.emit(REVOKE, message, to=room)
        except Exception:  # the change is committed; a failed revocation is logged
            current_app.logger.exception("revocation could not be sent")


@sa.event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    messages = session.info.pop(_PENDING, None)
    if messages:
        _send(messages)


@sa.event.listens_for(Session, "after_rollback")
def _drop(session: Session) -> None:
    session.info.pop(_PENDING, None)
