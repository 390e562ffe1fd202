"""What each realtime process delivers to its own connections: the Socket.IO client manager.

Every emit reaches this manager's local delivery — straight away without a message
queue, or once per process through Redis with one — so three decisions are made here,
under one lock, for the connections of this process:

- **Catch-up without loss or duplicates.** `subscribe` joins the rooms first and marks
  the subscription *catching up*: live events for it are held in a buffer while the
  stored events are replayed. Then `go_live` sends the held events whose id is above
  what the replay reached, and from then on drops only live events at or below that
  mark (they were replayed). Event ids of one space commit in id order (see
  outbox._serialize_per_space), so a replay that reached id H holds every event <= H.
- **Revocation.** Revoking is an internal emit (`_revoke`) to a room, carried by the
  same queue as the events, so every process acts on it for its own connections and in
  order with the events before it: the connections leave the space's rooms at once,
  held events are dropped, and they are told `access_revoked`. python-socketio's own
  cross-host `leave_room` works on one sid at a time, and the publisher of a revocation
  does not know the sids on other processes; a room names them all.
- **Presence.** Each process announces who is subscribed on it (`_presence`, the
  shown names of members who show their presence); every process merges the
  announcements and sends the space's `presence` to its own connections. Announcements
  are repeated by a heartbeat and forgotten when a process stops repeating them.

Two faults are handled here as well:

- **A client that stops reading.** Engine.IO queues every packet for a connection
  without limit while the socket cannot take more, so a reader that stalls would grow
  the server's memory with every event. A connection with more than `max_backlog`
  packets waiting is closed (its TCP socket shut down, which frees the writer); the
  client reconnects and catches up from the database like after any disconnect.
- **Redis going away.** Emits published while the queue is down (or before a restarted
  Redis has our subscription again) never reach the other processes. After the
  listener subscribes again, `on_resubscribe` (the server's resync) holds live events
  for every subscription, replays what the database has after the last event each one
  was given, and goes live again: the same switch-over as `subscribe`.

Control emits (names starting with "_") are never sent to clients.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from socketio import Manager, RedisManager

from community.realtime import rooms

REVOKE = "_revoke"
PRESENCE = "_presence"
PRESENCE_TTL = 90.0  # seconds an announcement of another process stays valid
HEARTBEAT = 30.0
NAMESPACE = "/"
log = logging.getLogger(__name__)
MAX_BACKLOG = 256  # packets queued for one connection before it is closed as too slow


@dataclass
class Subscription:
    """One connection subscribed to one space."""

    space_id: int
    user_id: int
    audiences: list[str]
    membership_id: int
    name: str
    visible: bool
    catching_up: bool = True
    floor: int = 0  # live events at or below this id were replayed already
    last_sent: int = 0  # the newest event this connection has been given (resync)
    held: list[dict[str, Any]] = field(default_factory=list)
    revoked: str | None = None  # the reason, once revoked

    def rooms(self) -> list[str]:
        return [rooms.room_name(self.space_id, a) for a in self.audiences]


@dataclass
class Connection:
    user_id: int
    session_version: int | None  # signed in by cookie: the session version it carried
    token_hash: str | None  # signed in by API token
    subscriptions: dict[int, Subscription] = field(default_factory=dict)
    tokens: float = 0.0  # rate limit bucket
    refilled: float = field(default_factory=time.monotonic)


class Delivery(Manager):
    """The in-process manager (the embedded default), and the base of the Redis one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lock = threading.RLock()
        self.connections: dict[str, Connection] = {}
        self.process_id = uuid.uuid4().hex
        self._announcements: dict[tuple[str, int], tuple[float, list[dict[str, Any]]]] = {}
        self._presence_seq = itertools.count()
        self.max_backlog = MAX_BACKLOG
        self.too_slow = 0  # connections closed for not reading (for tests and logs)

    # --- connections ----------------------------------------------------------------

    def add_connection(self, sid: str, connection: Connection) -> None:
        with self.lock:
            self.connections[sid] = connection
            self.basic_enter_room(sid, NAMESPACE, rooms.connection_room(connection.user_id))

    def drop_connection(self, sid: str) -> list[int]:
        """Forget a closed connection; returns the spaces it was subscribed to."""
        with self.lock:
            connection = self.connections.pop(sid, None)
            if connection is None:
                return []
            for sub in connection.subscriptions.values():
                sub.revoked = sub.revoked or "disconnected"
            return list(connection.subscriptions)

    # --- subscriptions --------------------------------------------------------------

    def begin(self, sid: str, sub: Subscription) -> bool:
        """Join the subscription's rooms and hold its live events until `go_live`."""
        with self.lock:
            connection = self.connections.get(sid)
            if connection is None:
                return False
            self._end(sid, connection, sub.space_id)
            connection.subscriptions[sub.space_id] = sub
            for room in sub.rooms():
                self.basic_enter_room(sid, NAMESPACE, room)
            return True

    def go_live(self, sid: str, sub: Subscription, replayed_through: int) -> int | None:
        """Send the held events above what the replay reached; None if revoked meanwhile.

        Returns the id of the last event the connection has now been given.
        """
        with self.lock:
            connection = self.connections.get(sid)
            if sub.revoked or connection is None or connection.subscriptions.get(
                    sub.space_id) is not sub:
                return None
            last = replayed_through
            seen: set[int] = set()
            for event in sorted(sub.held, key=lambda e: e["id"]):
                if event["id"] > replayed_through and event["id"] not in seen:
                    seen.add(event["id"])
                    super().emit("event", event, NAMESPACE, room=sid)
                    last = max(last, event["id"])
            sub.held.clear()
            sub.floor = replayed_through
            sub.last_sent = max(sub.last_sent, last)
            sub.catching_up = False
            return last

    def end(self, sid: str, space_id: int) -> Subscription | None:
        with self.lock:
            connection = self.connections.get(sid)
            return self._end(sid, connection, space_id) if connection else None

    def _end(self, sid: str, connection: Connection, space_id: int) -> Subscription | None:
        sub = connection.subscriptions.pop(space_id, None)
        if sub is not None:
            sub.revoked = sub.revoked or "unsubscribed"
            sub.held.clear()
            for room in sub.rooms():
                self.basic_leave_room(sid, NAMESPACE, room)
        return sub

    def subscription(self, sid: str, space_id: int) -> Subscription | None:
        connection = self.connections.get(sid)
        return connection.subscriptions.get(space_id) if connection else None

    # --- local delivery -------------------------------------------------------------

    def emit(self, event: str, data: Any, namespace: str | None = None, room: Any = None,
             skip_sid: Any = None, callback: Any = None, to: Any = None,
             **kwargs: Any) -> None:
        room = to or room
        namespace = namespace or NAMESPACE
        if event == REVOKE:
            return self._revoke(data, room)
        if event == PRESENCE:
            return self._presence(data)
        space_id = rooms.space_of_room(room)
        if event != "event" or space_id is None or not isinstance(data, dict):
            return super().emit(event, data, namespace, room=room, skip_sid=skip_sid,
                                callback=callback)
        slow: list[str] = []
        with self.lock:
            skip = set() if skip_sid is None else set(skip_sid) if isinstance(
                skip_sid, list) else {skip_sid}
            event_id = data.get("id") or 0
            sockets = self.server.eio.sockets
            for sid, eio_sid in self.get_participants(namespace, room):
                sub = self.subscription(sid, space_id)
                if sub is None or sub.revoked:
                    skip.add(sid)
                elif sub.catching_up:
                    sub.held.append(data)
                    skip.add(sid)
                elif event_id <= sub.floor:
                    skip.add(sid)  # already replayed
                else:
                    eio_socket = sockets.get(eio_sid)
                    if eio_socket is not None and \
                            eio_socket.queue.qsize() >= self.max_backlog:
                        skip.add(sid)
                        slow.append(eio_sid)
                    else:
                        sub.last_sent = max(sub.last_sent, event_id)
            super().emit(event, data, namespace, room=room, skip_sid=_Members(skip),
                         callback=callback)
        for eio_sid in slow:
            self.close_slow(eio_sid)

    def close_slow(self, eio_sid: str) -> None:
        """Close a connection that stopped reading: drop its queue, shut its socket."""
        eio_socket = self.server.eio.sockets.get(eio_sid)
        if eio_socket is None or eio_socket.closed:
            return
        self.too_slow += 1
        log.warning("closing %s: more than %d packets unread", eio_sid, self.max_backlog)
        transport = getattr(eio_socket, "community_transport", None)
        with contextlib.suppress(Exception):
            while True:  # what it would never read anyway
                eio_socket.queue.get_nowait()
                eio_socket.queue.task_done()
        eio_socket.close(wait=False, abort=True)
        sock = getattr(getattr(transport, "ws", None), "sock", None)
        if sock is not None:
            with contextlib.suppress(Exception):
                sock.shutdown(socket.SHUT_RDWR)  # unblocks the writer stuck in send()

    # --- revocation -----------------------------------------------------------------

    def _revoke(self, data: dict[str, Any], room: Any) -> None:
        space_id = data.get("space_id")
        reason = data.get("reason") or "revoked"
        except_user = data.get("except_user_id")
        closing: list[str] = []
        with self.lock:
            touched: set[int] = set()
            for sid, _eio_sid in list(self.get_participants(NAMESPACE, room)):
                connection = self.connections.get(sid)
                if connection is None or connection.user_id == except_user:
                    continue
                spaces = [space_id] if space_id is not None else list(connection.subscriptions)
                for sid_space in spaces:
                    sub = self._end(sid, connection, sid_space)
                    if sub is not None:
                        sub.revoked = reason
                        touched.add(sid_space)
                    super().emit("access_revoked", {"space_id": sid_space, "reason": reason},
                                 NAMESPACE, room=sid)
                if space_id is None and not spaces:
                    super().emit("access_revoked", {"space_id": None, "reason": reason},
                                 NAMESPACE, room=sid)
                if data.get("disconnect"):
                    closing.append(sid)
        for sid in closing:
            # Not under the lock, and not inside the queue listener: disconnecting runs the
            # disconnect handler, which takes the lock and announces presence.
            self.server.start_background_task(self.server.disconnect, sid, NAMESPACE,
                                              ignore_queue=True)
        for sid_space in touched:
            self.announce(sid_space)

    # --- presence -------------------------------------------------------------------

    def local_presence(self, space_id: int) -> list[dict[str, Any]]:
        with self.lock:
            seen: dict[int, dict[str, Any]] = {}
            for connection in self.connections.values():
                sub = connection.subscriptions.get(space_id)
                if sub is not None and not sub.revoked and sub.visible:
                    seen[sub.membership_id] = {"membership_id": sub.membership_id,
                                               "name": sub.name}
            return list(seen.values())

    def announce(self, space_id: int, *, ask: bool = False) -> None:
        """Tell every process who is here on this one (through the queue, if any)."""
        self.server.emit(PRESENCE, {"process": self.process_id, "space_id": space_id,
                                    "online": self.local_presence(space_id), "ask": ask,
                                    "seq": next(self._presence_seq)},
                         to=rooms.room_name(space_id, rooms.SPACE))

    def _presence(self, data: dict[str, Any]) -> None:
        space_id, process = data.get("space_id"), data.get("process")
        if not isinstance(space_id, int) or not isinstance(process, str):
            return
        now = time.monotonic()
        with self.lock:
            self._announcements[(process, space_id)] = (now, list(data.get("online") or []))
            participants = list(self.get_participants(
                NAMESPACE, rooms.room_name(space_id, rooms.SPACE)))
        if data.get("ask") and process != self.process_id and participants:
            self.server.start_background_task(self.announce, space_id)
        if participants:
            super().emit("presence", {"space_id": space_id, "online": self.online(space_id)},
                         NAMESPACE, room=rooms.room_name(space_id, rooms.SPACE))

    def online(self, space_id: int) -> list[dict[str, Any]]:
        """Everyone shown as here in the space, over every live process, by name."""
        now = time.monotonic()
        merged: dict[int, dict[str, Any]] = {}
        with self.lock:
            for (process, sid_space), (when, entries) in list(self._announcements.items()):
                if process != self.process_id and now - when > PRESENCE_TTL:
                    del self._announcements[(process, sid_space)]
                    continue
                if sid_space == space_id:
                    for entry in entries:
                        merged[entry["membership_id"]] = entry
        return sorted(merged.values(), key=lambda e: (e["name"].casefold(), e["membership_id"]))

    def heartbeat(self) -> None:
        """Repeat this process's announcements, so that peers keep (and late ones learn) them."""
        while True:
            self.server.sleep(HEARTBEAT)
            with self.lock:
                spaces = {s for c in self.connections.values() for s in c.subscriptions}
            for space_id in spaces:
                self.announce(space_id)


class _Members(list):  # type: ignore[type-arg]
    """skip_sid for Manager.emit, which wants a list and only asks `sid not in
    skip_sid`: answered from a set, so that skipping many connections stays linear."""

    def __init__(self, members: set[str]) -> None:
        super().__init__(members)
        self.members = members

    def __contains__(self, sid: object) -> bool:
        return sid in self.members


RESUBSCRIBE_DELAY = 0.5  # seconds after SUBSCRIBE before the database is read again
MAX_RETRY_SLEEP = 5.0


class RedisDelivery(RedisManager, Delivery):
    """The same local delivery, with Redis carrying emits between processes.

    In the MRO PubSubManager hands its local delivery to Delivery.emit, so events and
    control messages from every process pass the same decisions.
    """

    on_resubscribe: Callable[[], None] | None = None

    def initialize(self) -> None:
        super().initialize()
        if not self.write_only:
            self.server.start_background_task(self.heartbeat)

    def _redis_listen_with_retries(self):  # type: ignore[no-untyped-def]
        """python-socketio's listener, with two changes: retries at most every few
        seconds (not up to a minute), and a resync after every subscription but the
        first, since what was published meanwhile never reached this process."""
        retry_sleep, subscribed, first = 0.5, False, True
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    self._watch_reconnects()
                    self.pubsub.subscribe(self.channel)
                    subscribed, retry_sleep = True, 0.5
                    if not first and self.on_resubscribe is not None:
                        self.server.start_background_task(self._resync_later)
                    first = False
                yield from self.pubsub.listen()
            except Exception as exc:
                self._get_logger().error("Cannot receive from redis... retrying in %s s (%s)",
                                         retry_sleep, exc)
                subscribed = False
                self.server.sleep(retry_sleep)
                retry_sleep = min(retry_sleep * 2, MAX_RETRY_SLEEP)

    def _watch_reconnects(self) -> None:
        """redis-py reconnects a pub/sub connection by itself (and subscribes again) when
        Redis comes back fast, without the listener seeing an error: resync then too."""
        pubsub = self.pubsub
        resubscribe = pubsub.on_connect

        def on_connect(connection: Any) -> None:
            resubscribe(connection)
            if self.on_resubscribe is not None:
                self.server.start_background_task(self._resync_later)

        pubsub.on_connect = on_connect  # registered on the connection at its first use

    def _resync_later(self) -> None:
        # SUBSCRIBE is sent, not yet confirmed: wait a little, so that whatever commits
        # after the database read below is published to a subscribed listener.
        self.server.sleep(RESUBSCRIBE_DELAY)
        if self.on_resubscribe is not None:
            self.on_resubscribe()
