"""Socket.IO for every app: who may connect, subscribe / unsubscribe / typing, live publishing.

Each app gets its own Flask-SocketIO instance (`app.extensions["socketio"]`), so tests
and tools that build several apps never share a server. The handlers are thin like
views: parse -> the same `access_*` functions as the pages -> act -> acknowledge.
Flask's `before_request` does not run for socket events, so every handler re-checks the
caller (account active, session or token still valid) and the space access itself.

Configuration (COMMUNITY_ prefix in the environment):
  ASYNC_MODE            "threading" (default; tests) or "gevent" (`community serve`)
  REDIS_URL             Socket.IO's message queue across processes, when set
  SOCKETIO_CHANNEL      the Redis pub/sub channel (default "community-socketio")
  ALLOWED_ORIGINS       origins allowed to open a socket (default: BASE_URL's origin)
  SOCKET_MAX_MESSAGE_BYTES   largest incoming message (default 16384)
  SOCKET_EVENT_RATE     incoming events per second per connection (default 5)
  SOCKET_EVENT_BURST    ... with bursts up to (default 20)
  TYPING_INTERVAL       seconds between typing notices per user and thread (default 3)
  SOCKET_PING_INTERVAL  seconds between Engine.IO pings (default 25; a client that does
                        not answer within 20 s more is dropped)
  SOCKET_DB_CONCURRENCY socket handlers using the database at once (default 8)
  SOCKET_MAX_BACKLOG    packets queued for one connection before it is closed as a
                        reader that stopped reading (default 256; delivery.py)
  EVENT_RETENTION_DAYS / EVENT_RETENTION_COUNT   the replay window (retention.py)
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context, request, session
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import SocketIO
from socketio.exceptions import ConnectionRefusedError

from community.accounts.models import ApiToken, User, UserStatus
from community.errors import AppError
from community.extensions import db
from community.forums.access import access_space_content, access_thread_by_id, require_can_post
from community.forums.models import PostState
from community.forums.queries import list_events
from community.realtime import actions, outbox, retention, rooms
from community.realtime.delivery import (
    MAX_BACKLOG,
    NAMESPACE,
    VISIBILITY,
    Connection,
    Delivery,
    RedisDelivery,
    Subscription,
)
from community.realtime.models import Event
from community.security import hash_token, user_for_token
from community.spaces.queries import shown_name

REPLAY_BATCH = 500
MAX_ID = 2**63 - 1


def allowed_origins(app: Flask) -> list[str]:
    """Origins allowed to open a socket: COMMUNITY_ALLOWED_ORIGINS, else BASE_URL's origin.

    Never "*" and never empty: an empty list would turn Socket.IO's origin check off.
    """
    configured = app.config.get("ALLOWED_ORIGINS") or ""
    origins = [o.strip().rstrip("/") for o in configured.split(",") if o.strip()]
    if not origins:
        base = urlsplit(app.config["BASE_URL"])
        origins = [f"{base.scheme}://{base.netloc}"]
    if "*" in origins:
        raise RuntimeError("COMMUNITY_ALLOWED_ORIGINS must list origins, not '*'")
    return origins


def init_app(app: Flask) -> SocketIO:
    """Bind a Socket.IO server to the app and publish committed events through it."""
    url = app.config.get("REDIS_URL")
    channel = app.config.get("SOCKETIO_CHANNEL") or "community-socketio"
    manager = RedisDelivery(url, channel=channel) if url else Delivery()
    sio = SocketIO()
    for name, handler in HANDLERS.items():
        sio.on_event(name, handler)
    sio.init_app(app, async_mode=app.config.get("ASYNC_MODE") or "threading",
                 client_manager=manager, cors_allowed_origins=allowed_origins(app),
                 max_http_buffer_size=int(app.config.get("SOCKET_MAX_MESSAGE_BYTES", 16384)),
                 ping_interval=float(app.config.get("SOCKET_PING_INTERVAL") or 25),
                 manage_session=False)
    manager.max_backlog = int(app.config.get("SOCKET_MAX_BACKLOG") or MAX_BACKLOG)
    if isinstance(manager, RedisDelivery):
        manager.on_resubscribe = functools.partial(resync, app)
    _track_transports(sio.server.eio)
    _ping_from_timers(sio.server.eio)
    outbox.add_publisher(publish)
    return sio


def _track_transports(eio: Any) -> None:
    """Let each Engine.IO socket know its WebSocket, so that a connection closed for not
    reading can have its TCP socket shut down (delivery.close_slow); and never negotiate
    permessage-deflate: simple-websocket accepts it whenever a client offers it (browsers
    always do), and then compresses every event once per connection, in Python's zlib,
    with ~300 KB of compressor state per connection. Events are small; fan-out is not."""
    base = eio._async.get("websocket")
    if base is None:
        return

    class TrackedWebSocket(base):  # type: ignore[misc,valid-type]
        def __init__(self, handler: Any, server: Any, **kwargs: Any) -> None:
            super().__init__(handler, server, **kwargs)
            self.write_lock = threading.Lock()
            self.gevent = eio.async_mode == "gevent"
            owner = getattr(handler, "__self__", None)
            if owner is not None:
                owner.community_transport = self

        def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
            environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)  # no compression offered
            return super().__call__(environ, start_response)

        def send(self, message: Any) -> Any:  # Engine.IO's writer greenlet
            with self.write_lock:
                return super().send(message)

        def send_frame(self, frame: bytes) -> bool:
            """Write a ready WebSocket frame now, bypassing Engine.IO's queue and writer
            (delivery.Delivery.emit; gevent only, and only when nothing is queued or being
            written, so order holds). False when it cannot: the caller queues instead."""
            ws = getattr(self, "ws", None)
            if not self.gevent or ws is None or not ws.connected or \
                    not self.write_lock.acquire(blocking=False):
                return False
            try:
                sent = ws.sock._sock.send(frame)  # the non-blocking socket under gevent's
            except BlockingIOError:
                sent = 0
            except OSError:
                self.write_lock.release()
                return False
            if sent == 0:
                self.write_lock.release()
                return False
            if sent < len(frame):  # the rest in the background, still holding the lock
                eio.start_background_task(self._finish, frame[sent:])
            else:
                self.write_lock.release()
            return True

        def _finish(self, rest: bytes) -> None:
            try:
                self.ws.sock.sendall(rest)
            except OSError:
                pass  # the connection is going; Engine.IO notices
            finally:
                self.write_lock.release()

    eio._async = {**eio._async, "websocket": TrackedWebSocket}  # this server's copy only


def _ping_from_timers(eio: Any) -> None:
    """gevent: each connection's next Engine.IO ping waits on a timer, not in a greenlet.

    python-engineio starts a greenlet per connection that sleeps the whole ping interval
    and then pings; a sleeping greenlet keeps its stack and frames, ~7 KB of every idle
    connection. `spawn_later` starts the greenlet only when the ping is due, and it ends
    at once. Same protocol: the next ping an interval after the last pong. Applied to
    the Engine.IO socket class once, in the gevent process only (one app per process).
    """
    import engineio.socket

    socket_class = engineio.socket.Socket
    if eio.async_mode != "gevent" or getattr(socket_class, "community_timer_pings", False):
        return
    import gevent
    from engineio import packet as eio_packet

    def ping(sock: Any) -> None:  # what Socket._send_ping does after its sleep
        if not sock.closing and not sock.closed:
            sock.last_ping = time.time()
            sock.send(eio_packet.Packet(eio_packet.PING))

    def schedule_ping(self: Any) -> None:
        if self.last_ping:  # only once the previous ping was answered
            self.last_ping = None
            gevent.spawn_later(self.server.ping_interval, ping, self)

    socket_class.schedule_ping = schedule_ping
    socket_class.community_timer_pings = True


def socketio_of(app: Flask) -> SocketIO:
    return app.extensions["socketio"]


def manager_of(app: Flask) -> Delivery:
    return socketio_of(app).server.manager


def event_payload(event: dict[str, Any]) -> dict[str, Any]:
    """What clients receive: never the audience (a room is not for clients to see)."""
    return {"id": event["id"], "space_id": event["space_id"], "type": event["type"],
            "data": event["data"]}


def publish(events: list[dict[str, Any]]) -> None:
    """The outbox publisher: each committed event to its room, in id order."""
    if not has_app_context():
        return
    sio = current_app.extensions.get("socketio")
    if sio is None or getattr(sio, "server", None) is None:
        return
    for event in sorted(events, key=lambda e: e["id"]):
        sio.server.emit("event", event_payload(event),
                        to=rooms.room_name(event["space_id"], event["audience"]))


# --- connecting ----------------------------------------------------------------------

def _manager() -> Delivery:
    return manager_of(current_app)


def on_connect(auth: Any = None) -> None:
    """Signed in by session cookie or `auth: {token}`; anyone else is refused."""
    token = auth.get("token") if isinstance(auth, dict) else None
    if isinstance(token, str) and token:
        user = user_for_token(token)
        connection = Connection(user.id, None, hash_token(token)) if user else None
    else:
        user = current_user if current_user.is_authenticated else None
        version = str(session.get("_user_id", "")).partition(":")[2]
        connection = Connection(user.id, int(version), None) \
            if user is not None and version.isdigit() else None
    if connection is None:
        raise ConnectionRefusedError({"code": "unauthorized", "message": _("Please sign in.")})
    connection.tokens = float(current_app.config.get("SOCKET_EVENT_BURST", 20))
    _manager().add_connection(request.sid, connection)  # type: ignore[attr-defined]


def on_disconnect(*_args: Any) -> None:
    manager = _manager()
    for space_id in manager.drop_connection(request.sid):  # type: ignore[attr-defined]
        manager.announce(space_id)


def _caller(connection: Connection) -> User | None:
    """The connection's user, if the account, session or token still holds."""
    user = db.session.get(User, connection.user_id)
    if user is None or user.status != UserStatus.ACTIVE:
        return None
    if connection.session_version is not None and \
            user.session_version != connection.session_version:
        return None
    if connection.token_hash is not None and db.session.scalar(sa.select(ApiToken.id).where(
            ApiToken.token_hash == connection.token_hash,
            ApiToken.revoked_at.is_(None))) is None:
        return None
    return user


def _allowed(connection: Connection) -> bool:
    """Token bucket per connection: SOCKET_EVENT_RATE per second, SOCKET_EVENT_BURST at once."""
    cfg = current_app.config
    rate, burst = float(cfg.get("SOCKET_EVENT_RATE", 5)), float(cfg.get("SOCKET_EVENT_BURST", 20))
    now = time.monotonic()
    connection.tokens = min(burst, connection.tokens + (now - connection.refilled) * rate)
    connection.refilled = now
    if connection.tokens < 1:
        return False
    connection.tokens -= 1
    return True


def error(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message, **extra}}


Handler = Callable[[str, Connection, User, dict[str, Any]], dict[str, Any]]


def socket_event(handler: Handler) -> Callable[..., dict[str, Any]]:
    """Rate limit, re-check the caller, require an object; AppErrors become error acks."""

    @functools.wraps(handler)
    def wrapper(data: Any = None, *_extra: Any) -> dict[str, Any]:
        sid: str = request.sid  # type: ignore[attr-defined]
        manager = _manager()
        connection = manager.connections.get(sid)
        if connection is None:
            return error("unauthorized", _("Please sign in."))
        if not _allowed(connection):
            return error("rate_limited", _("Too many messages. Slow down a little."))
        with _database_slot():
            return _handle(handler, sid, connection, data)

    return wrapper


_slots: dict[int, threading.BoundedSemaphore] = {}


@contextlib.contextmanager
def _database_slot() -> Iterator[None]:
    """At most SOCKET_DB_CONCURRENCY socket handlers of this app use the database at once
    (each holds a pooled connection until it is done): 1,000 members subscribing together
    wait here, in line, instead of taking every connection from the posts and pages."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    slots = _slots.get(id(app))
    if slots is None:
        slots = _slots.setdefault(id(app), threading.BoundedSemaphore(
            int(app.config.get("SOCKET_DB_CONCURRENCY") or 8)))
    with slots:
        try:
            yield
        finally:
            db.session.close()  # the connection goes back to the pool now


def _handle(handler: Handler, sid: str, connection: Connection,
            data: Any) -> dict[str, Any]:
    """Re-check the caller, require an object, run the handler; AppErrors become acks."""
    user = _caller(connection)
    if user is None:
        socketio_of(current_app).server.start_background_task(
            socketio_of(current_app).server.disconnect, sid, NAMESPACE, ignore_queue=True)
        return error("unauthorized", _("Please sign in."))
    if not isinstance(data, dict):
        return error("invalid", _("Send an object."))
    try:
        return handler(sid, connection, user, data)
    except AppError as exc:
        body = exc.body()["error"]
        body.pop("fields", None)
        return {"ok": False, "error": body}


def _int(data: dict[str, Any], name: str) -> int:
    """A required id or counter: a whole number a column can hold, else an `invalid` ack."""
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise AppError(_("%(name)s must be a whole number.", name=name), code="invalid")
    return value


def _optional_int(data: dict[str, Any], name: str) -> int | None:
    return None if data.get(name) is None else _int(data, name)


# --- subscribing ---------------------------------------------------------------------

@socket_event
def on_subscribe(sid: str, connection: Connection, user: User,
                 data: dict[str, Any]) -> dict[str, Any]:
    """Authorize, join the rooms (holding live events), replay after `last_event_id`, go live.

    `last_event_id` null: nothing is replayed and the stream starts now.
    """
    space_id = _int(data, "space_id")
    last = _optional_int(data, "last_event_id")
    # Listen first (holding, sending nothing), then check once: a revocation committed
    # from here on reaches the subscription, and the check sees everything before it.
    sub = Subscription(space_id=space_id, user_id=user.id,
                       audiences=rooms.audiences_before_check(user.id), membership_id=0,
                       name="", visible=False)
    db.session.rollback()  # a fresh snapshot (SQLite keeps one per transaction)
    manager = _manager()
    if not manager.begin(sid, sub):
        return error("unauthorized", _("Please sign in."))
    replayed = 0
    try:
        reader = access_space_content(user, space_id)
        if last is not None and retention.gap_too_large(space_id, last):
            raise AppError(_("Too much has happened since. Reload the page."),
                           code="gap_too_large")
        membership = reader.membership
        if not manager.admit(sid, sub, rooms.audiences_of(membership),
                             membership_id=membership.id, name=shown_name(membership),
                             visible=membership.show_presence):
            return error("forbidden", _("You no longer have access to this space."))
        newest = db.session.scalar(sa.select(sa.func.max(Event.id))) or 0
        through = newest if last is None else min(last, newest)
        server = socketio_of(current_app).server
        while last is not None and not sub.revoked:
            batch = list_events(reader, after=through, limit=REPLAY_BATCH)
            for event in batch:
                if sub.revoked:
                    break
                manager.replay(sid, {"id": event.id, "space_id": event.space_id,
                                     "type": event.type, "data": event.data})
                through, replayed = event.id, replayed + 1
            if len(batch) < REPLAY_BATCH:
                break
    except AppError:
        manager.end(sid, space_id)
        raise
    last_sent = manager.go_live(sid, sub, through)
    if last_sent is None:
        return error("forbidden", _("You no longer have access to this space."))
    if sub.resync_pending:  # the message queue came back while this one was replaying
        sub.resync_pending = False
        plan = manager.queue_found_for(sid, sub)
        if plan:
            server.start_background_task(resync, current_app._get_current_object(), plan)
    manager.send_presence(sid, space_id)  # the whole list for the newcomer now ...
    manager.announce(space_id, ask=True)  # ... and for everyone at most once a second
    return {"ok": True, "replayed": replayed, "last_event_id": last_sent}


def resync(app: Flask, plan: list[tuple[str, Connection, Subscription]]) -> None:
    """After the message queue was lost and found again (delivery.queue_found holds the
    live events of every subscription in `plan`): each is authorized again (a revocation
    may have been lost too), gets from the database what it was not given, and goes live."""
    manager = manager_of(app)
    server = socketio_of(app).server
    caught_up = 0
    with app.app_context():
        for sid, connection, sub in plan:
            try:
                caught_up += _catch_up(server, manager, sid, connection, sub)
            except Exception:  # one connection must not stop the others' resync
                app.logger.exception("resync of %s failed", sid)
                manager.end(sid, sub.space_id)
                server.disconnect(sid, NAMESPACE, ignore_queue=True)
            finally:
                db.session.rollback()
    app.logger.info("resync after the message queue came back: %d subscriptions, "
                    "%d events replayed", len(plan), caught_up)


def _catch_up(server: Any, manager: Delivery, sid: str, connection: Connection,
              sub: Subscription) -> int:
    user = _caller(connection)
    reader = None
    if user is not None:
        try:
            reader = access_space_content(user, sub.space_id)
        except AppError:
            reader = None
    if reader is None:
        manager.end(sid, sub.space_id)
        server.emit("access_revoked", {"space_id": sub.space_id, "reason": "revoked"},
                    to=sid, ignore_queue=True)
        return 0
    given = set(sub.given_since)
    through = sub.since if sub.since is not None else sub.last_sent
    replayed = 0
    while not sub.revoked:
        batch = list_events(reader, after=through, limit=REPLAY_BATCH)
        for event in batch:
            if event.id not in given:
                manager.replay(sid, {"id": event.id, "space_id": event.space_id,
                                     "type": event.type, "data": event.data})
                given.add(event.id)
                sub.remember(event.id)  # the overlap of a later resync starts here
                replayed += 1
            through = event.id
        if len(batch) < REPLAY_BATCH:
            break
    # Held events at or below `through` were in the read (ids of a space commit in order).
    manager.go_live(sid, sub, through, given)
    return replayed


@socket_event
def on_unsubscribe(sid: str, connection: Connection, user: User,
                   data: dict[str, Any]) -> dict[str, Any]:
    space_id = _int(data, "space_id")
    manager = _manager()
    if manager.end(sid, space_id) is not None:
        manager.announce(space_id)
    return {"ok": True}


# --- typing and presence ----------------------------------------------------------------

_typing_lock = threading.Lock()
_typing_last: dict[tuple[int, int], float] = {}


@socket_event
def on_typing(sid: str, connection: Connection, user: User,
              data: dict[str, Any]) -> dict[str, Any]:
    """Tell the thread's audience who is typing; at most once per TYPING_INTERVAL."""
    thread_id = _int(data, "thread_id")
    thread, reader = access_thread_by_id(user, thread_id)
    require_can_post(reader)
    sub = _manager().subscription(sid, thread.space_id)
    if sub is None or sub.revoked:
        return error("not_subscribed", _("Subscribe to the space first."))
    interval = float(current_app.config.get("TYPING_INTERVAL", 3))
    now = time.monotonic()
    with _typing_lock:
        if now - _typing_last.get((user.id, thread_id), -interval) < interval:
            return {"ok": True, "sent": False}
        _typing_last[(user.id, thread_id)] = now
        if len(_typing_last) > 10_000:  # ephemeral: forget the old ones
            for key, when in list(_typing_last.items()):
                if now - when > interval:
                    del _typing_last[key]
    audiences = rooms.for_content(published=thread.state == PostState.PUBLISHED,
                                  author_user_id=thread.author.user_id if thread.author else None,
                                  author_is_facilitator=bool(thread.author
                                                             and thread.author.is_facilitator))
    socketio_of(current_app).server.emit(
        "typing", {"thread_id": thread_id, "space_id": thread.space_id,
                   "who": shown_name(reader.membership)},
        to=[rooms.room_name(thread.space_id, a) for a in audiences], skip_sid=sid)
    return {"ok": True, "sent": True}


@socket_event
def on_show_presence(sid: str, connection: Connection, user: User,
                     data: dict[str, Any]) -> dict[str, Any]:
    """`{space_id, visible}`: whether peers see the caller in the space's presence list."""
    space_id = _int(data, "space_id")
    visible = data.get("visible")
    if not isinstance(visible, bool):
        return error("invalid", _("visible must be true or false."))
    membership = access_space_content(user, space_id).membership
    db.session.rollback()  # socket events read in deferred transactions: write in a fresh one
    actions.do_set_show_presence(membership, visible)
    db.session.commit()
    # Every connection of the member, on every process, follows the choice.
    _manager().server.emit(VISIBILITY, {"space_id": space_id, "visible": visible},
                           to=rooms.connection_room(user.id))
    return {"ok": True, "visible": visible}


HANDLERS: dict[str, Callable[..., Any]] = {
    "connect": on_connect,
    "disconnect": on_disconnect,
    "subscribe": on_subscribe,
    "unsubscribe": on_unsubscribe,
    "typing": on_typing,
    "show_presence": on_show_presence,
}
