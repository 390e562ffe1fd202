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
  announcements and sends the space's `presence` to its own connections when the merged
  list changed. A process announces a space at most once per PRESENCE_INTERVAL (a
  quiet space at once, a busy one with the next tick), and a member who subscribes gets
  the full list for themselves at once: 1,000 members joining is not 1,000 broadcasts
  of a 1,000-name list. Announcements are repeated by a heartbeat and forgotten when a
  process stops repeating them.

Two faults are handled here as well:

- **A client that stops reading.** Engine.IO queues every packet for a connection
  without limit while the socket cannot take more, so a reader that stalls would grow
  the server's memory with every event. A connection with more than `max_backlog`
  packets waiting is closed (its TCP socket shut down, which frees the writer); the
  client reconnects and catches up from the database like after any disconnect.
- **Redis going away.** Emits published while the queue is down (or before a restarted
  Redis has our subscription again) never reach the other processes; a process still
  delivers its own emits locally. When the listener loses Redis (`queue_lost`), every
  subscription remembers where it stood: the oldest of the last few events it was given
  (an overlap, since publishes of different processes may arrive slightly out of id
  order) and, from then on, every id it is given. When Redis *confirms* the subscription
  again (the `subscribe` reply on the listener's own connection, whether our retry loop
  or redis-py reconnected), `queue_found` holds live events for every subscription right
  there in the listener, before the next message is handled; `on_resubscribe` (the
  server's resync) then replays from the database what each was not given, skipping the
  ids it was given, and goes live: the same switch-over as `subscribe`. Reading the
  database only after the confirmation matters: anything published before it may have
  been lost, and anything published after it is held.

Control emits (names starting with "_") are never sent to clients.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engineio import packet as eio_packet
from socketio import Manager, RedisManager, packet

from community.realtime import rooms

REVOKE = "_revoke"
PRESENCE = "_presence"
VISIBILITY = "_visibility"  # a member showed or hid their presence: to every process
PRESENCE_TTL = 90.0  # seconds an announcement of another process stays valid
HEARTBEAT = 30.0
PRESENCE_INTERVAL = 1.0  # at most one announcement per space and process this often
PRESENCE_TICK = 0.25
PRESENCE_SHOWN = 50  # names in a presence message; `count` says how many are here
NAMESPACE = "/"
log = logging.getLogger(__name__)
MAX_BACKLOG = 256  # packets queued for one connection before it is closed as too slow
RECENT = 16  # ids remembered per subscription: the overlap of a resync
REPLAY_FRAMES = 2048  # events kept encoded for connections catching up


@dataclass(slots=True)
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
    # Resync after the message queue was lost (see the module docstring):
    recent: list[int] = field(default_factory=list)  # the last RECENT-2*RECENT ids given
    since: int | None = None  # replay after this id when the queue is back
    # ids given after `since`; a fresh set only while `since` is set (idle: none at all)
    given_since: set[int] | frozenset[int] = frozenset()
    resync_pending: bool = False  # the queue came back while this one was catching up

    def rooms(self) -> list[str]:
        return [rooms.room_name(self.space_id, a) for a in self.audiences]

    def remember(self, event_id: int) -> None:
        """Note an id given (a list trimmed now and then: a deque's first block alone is
        ~0.7 KB, on every subscription of every idle connection)."""
        self.recent.append(event_id)
        if len(self.recent) > 2 * RECENT:
            del self.recent[:-RECENT]


@dataclass(slots=True)
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
        self.queue_down = False  # the listener lost the message queue (RedisDelivery)
        self._by_space: dict[int, dict[str, Subscription]] = {}  # live subscriptions here
        self._announced_at: dict[int, float] = {}
        self._to_announce: dict[int, bool] = {}  # space -> ask, waiting for the interval
        self._broadcast: dict[int, dict[str, Any]] = {}  # last presence sent per space
        # This process's shown members per space (membership id -> entry), kept while
        # members only arrive: rebuilt after anyone leaves, hides or is revoked.
        self._shown: dict[int, dict[int, dict[str, Any]]] = {}
        self._replayed: dict[int, tuple[dict[str, Any], Outgoing]] = {}  # see replay()

    def initialize(self) -> None:
        super().initialize()
        self.server.start_background_task(self.presence_loop)

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
            for space_id, sub in connection.subscriptions.items():
                sub.revoked = sub.revoked or "disconnected"
                self._leave_space(sid, space_id)
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
            self._space_subs(sub.space_id)[sid] = sub
            for room in sub.rooms():
                self.basic_enter_room(sid, NAMESPACE, room)
            return True

    def admit(self, sid: str, sub: Subscription, audiences: list[str], *,
              membership_id: int, name: str, visible: bool) -> bool:
        """The access check passed: the subscription joins every room of the member's
        audiences and shows in presence. False if it ended or was revoked meanwhile."""
        with self.lock:
            connection = self.connections.get(sid)
            if sub.revoked or connection is None or \
                    connection.subscriptions.get(sub.space_id) is not sub:
                return False
            for audience in audiences:
                if audience not in sub.audiences:
                    self.basic_enter_room(sid, NAMESPACE, rooms.room_name(sub.space_id,
                                                                          audience))
            sub.audiences = audiences
            sub.membership_id, sub.name, sub.visible = membership_id, name, visible
            shown = self._shown.get(sub.space_id)
            if shown is not None and visible:
                shown[membership_id] = {"membership_id": membership_id, "name": name}
            return True

    def go_live(self, sid: str, sub: Subscription, replayed_through: int,
                given: set[int] | frozenset[int] = frozenset()) -> int | None:
        """Send the held events above what the replay reached (and not in `given`, the ids
        a resync knows were sent already); None if revoked meanwhile.

        Returns the id of the last event the connection has now been given.
        """
        with self.lock:
            connection = self.connections.get(sid)
            if sub.revoked or connection is None or connection.subscriptions.get(
                    sub.space_id) is not sub:
                return None
            last = replayed_through
            seen: set[int] = set(given)
            sent: set[int] = set()
            for event in sorted(sub.held, key=lambda e: e["id"]):
                if event["id"] > replayed_through and event["id"] not in seen:
                    seen.add(event["id"])
                    sent.add(event["id"])
                    super().emit("event", event, NAMESPACE, room=sid)
                    sub.remember(event["id"])
                    last = max(last, event["id"])
            sub.held.clear()
            sub.floor = replayed_through
            sub.last_sent = max(sub.last_sent, last)
            sub.catching_up = False
            if self.queue_down or sub.resync_pending:
                # What other processes publish now may never arrive: replay from here.
                sub.since, sub.given_since = replayed_through, sent
            else:
                sub.since, sub.given_since = None, frozenset()
            return last

    # --- the message queue lost and found (RedisDelivery's listener calls these) -----

    def queue_lost(self) -> None:
        """Every subscription remembers where it stood, for the resync."""
        with self.lock:
            self.queue_down = True
            for connection in self.connections.values():
                for sub in connection.subscriptions.values():
                    if sub.since is None and not sub.catching_up:
                        sub.since = min(sub.recent, default=sub.last_sent)
                        sub.given_since = set(sub.recent)

    def queue_found(self) -> list[tuple[str, Connection, Subscription]]:
        """The queue confirmed our subscription: hold live events for every subscription
        and return them, to be caught up from the database (the server's resync).
        Subscriptions in the middle of `subscribe` are resynced once they are live."""
        plan = []
        with self.lock:
            self.queue_down = False
            for sid, connection in self.connections.items():
                for sub in connection.subscriptions.values():
                    if sub.revoked:
                        continue
                    if sub.catching_up:
                        sub.resync_pending = True
                        continue
                    if sub.since is None:  # lost without our noticing: the overlap
                        sub.since = min(sub.recent, default=sub.last_sent)
                        sub.given_since = set(sub.recent)
                    sub.catching_up = True
                    plan.append((sid, connection, sub))
        return plan

    def queue_found_for(self, sid: str,
                        sub: Subscription) -> list[tuple[str, Connection, Subscription]]:
        """queue_found for one subscription that was catching up when the queue came back."""
        with self.lock:
            connection = self.connections.get(sid)
            if sub.revoked or connection is None or sub.catching_up:
                return []
            if sub.since is None:
                sub.since = min(sub.recent, default=sub.last_sent)
                sub.given_since = set(sub.recent)
            sub.catching_up = True
            return [(sid, connection, sub)]

    def end(self, sid: str, space_id: int) -> Subscription | None:
        with self.lock:
            connection = self.connections.get(sid)
            return self._end(sid, connection, space_id) if connection else None

    def _end(self, sid: str, connection: Connection, space_id: int) -> Subscription | None:
        sub = connection.subscriptions.pop(space_id, None)
        if sub is not None:
            self._leave_space(sid, space_id)
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
        if event == VISIBILITY:
            return self._visibility(data, room)
        space_id = rooms.space_of_room(room)
        if event != "event" or space_id is None or not isinstance(data, dict):
            return super().emit(event, data, namespace, room=room, skip_sid=skip_sid,
                                callback=callback)
        if callback is not None:  # events never ask for acknowledgements
            return super().emit(event, data, namespace, room=room, skip_sid=skip_sid,
                                callback=callback)
        # One pass over the room: decide per connection, encode the packet once, write it.
        slow: list[str] = []
        skip = () if skip_sid is None else set(skip_sid) if isinstance(
            skip_sid, list) else {skip_sid}
        event_id = data.get("id") or 0
        out: Outgoing | None = None
        with self.lock:
            subs = self._by_space.get(space_id) or {}
            for sid, eio_sid in self.get_participants(namespace, room):
                sub = subs.get(sid)
                if sub is None or sub.revoked or sid in skip:
                    continue
                if sub.catching_up:
                    sub.held.append(data)
                    continue
                if event_id <= sub.floor:
                    continue  # already replayed
                out = out or Outgoing(self._encode(event, data, namespace))
                if not self._write(eio_sid, out):
                    slow.append(eio_sid)
                    continue
                sub.last_sent = max(sub.last_sent, event_id)
                sub.remember(event_id)
                if sub.since is not None:
                    sub.given_since.add(event_id)  # type: ignore[union-attr]  # a set then
        for eio_sid in slow:
            self.close_slow(eio_sid)

    def replay(self, sid: str, payload: dict[str, Any]) -> bool:
        """Send one stored event to one connection catching up; False if it is gone.

        A thousand members catching up after a restart are sent the same events: each
        is encoded and framed once per process (kept while the payload is the same, so
        an event rewritten since, after an edit or a removal, is encoded afresh)."""
        eio_sid = self.eio_sid_from_sid(sid, NAMESPACE)
        if eio_sid is None:
            return False
        with self.lock:
            cached = self._replayed.get(payload["id"])
            if cached is None or cached[0] != payload:
                cached = (payload, Outgoing(self._encode("event", payload, NAMESPACE)))
                self._replayed[payload["id"]] = cached
                if len(self._replayed) > REPLAY_FRAMES:
                    del self._replayed[next(iter(self._replayed))]  # the oldest kept
            written = self._write(eio_sid, cached[1])
        if not written:
            self.close_slow(eio_sid)
        return written

    def _write(self, eio_sid: str, out: Outgoing) -> bool:
        """Give one connection an encoded packet; False if it has too much unread already.

        Straight onto the wire when the connection has nothing queued: one send() instead
        of a queue, a greenlet switch and a frame per connection. Called under the lock."""
        eio_socket = self.server.eio.sockets.get(eio_sid)
        if eio_socket is not None and eio_socket.queue.qsize() >= self.max_backlog:
            return False
        transport = getattr(eio_socket, "community_transport", None)
        if out.frame is not None and transport is not None and _on_websocket(eio_socket) \
                and eio_socket.queue.qsize() == 0 and transport.send_frame(out.frame):
            return True
        for pkt in out.packets:
            self.server._send_eio_packet(eio_sid, pkt)  # what Manager.emit calls
        return True

    def _encode(self, event: str, data: Any, namespace: str) -> list[eio_packet.Packet]:
        """The Engine.IO packets of one Socket.IO event, as Manager.emit builds them."""
        encoded = self.server.packet_class(packet.EVENT, namespace=namespace,
                                           data=[event, data]).encode()
        return [eio_packet.Packet(eio_packet.MESSAGE, p)
                for p in (encoded if isinstance(encoded, list) else [encoded])]

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
        token_hash = data.get("token_hash")  # only the connections signed in with it
        closing: list[str] = []
        with self.lock:
            touched: set[int] = set()
            for sid, _eio_sid in list(self.get_participants(NAMESPACE, room)):
                connection = self.connections.get(sid)
                if connection is None or connection.user_id == except_user or (
                        token_hash is not None and connection.token_hash != token_hash):
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

    def _visibility(self, data: dict[str, Any], room: Any) -> None:
        """A member's choice to show or hide their presence in a space, applied to their
        connections on this process (the message reaches every process)."""
        space_id, visible = data.get("space_id"), data.get("visible")
        if not isinstance(space_id, int) or not isinstance(visible, bool):
            return
        changed = False
        with self.lock:
            for sid, _eio_sid in list(self.get_participants(NAMESPACE, room)):
                connection = self.connections.get(sid)
                sub = connection.subscriptions.get(space_id) if connection else None
                if sub is not None and sub.visible != visible:
                    sub.visible, changed = visible, True
                    self._shown.pop(space_id, None)
        if changed:
            self.announce(space_id)

    def _leave_space(self, sid: str, space_id: int) -> None:
        self._shown.pop(space_id, None)
        subs = self._by_space.get(space_id)
        if subs is not None:
            subs.pop(sid, None)
            if not subs:  # nobody here saw the last list: the next one is news
                self._broadcast.pop(space_id, None)

    def _space_subs(self, space_id: int) -> dict[str, Subscription]:
        return self._by_space.setdefault(space_id, {})

    def local_presence(self, space_id: int) -> list[dict[str, Any]]:
        """Who is shown as here on this process. A thousand members arriving one after
        another each asked for it; rebuilding it every time was quadratic."""
        with self.lock:
            shown = self._shown.get(space_id)
            if shown is None:
                shown = self._shown[space_id] = {
                    sub.membership_id: {"membership_id": sub.membership_id, "name": sub.name}
                    for sub in self._by_space.get(space_id, {}).values()
                    if not sub.revoked and sub.visible}
            return list(shown.values())

    def announce(self, space_id: int, *, ask: bool = False) -> None:
        """This process's presence in the space changed: tell every process (through the
        queue, if any) — at once if the space was quiet, else with the next tick, so that
        1,000 members joining cost one announcement per PRESENCE_INTERVAL, not 1,000."""
        now = time.monotonic()
        with self.lock:
            due = now - self._announced_at.get(space_id, -PRESENCE_INTERVAL) \
                >= PRESENCE_INTERVAL and space_id not in self._to_announce
            if due:
                self._announced_at[space_id] = now
            else:
                self._to_announce[space_id] = self._to_announce.get(space_id, False) or ask
        if due:
            self._announce_now(space_id, ask)

    def _announce_now(self, space_id: int, ask: bool = False) -> None:
        self.server.emit(PRESENCE, {"process": self.process_id, "space_id": space_id,
                                    "online": self.local_presence(space_id), "ask": ask,
                                    "seq": next(self._presence_seq)},
                         to=rooms.room_name(space_id, rooms.SPACE))

    def send_presence(self, sid: str, space_id: int) -> None:
        """The space's presence to one connection (a member who just joined)."""
        super().emit("presence", presence_payload(
            space_id, self.online(space_id, fresh=True, first=PRESENCE_SHOWN)),
            NAMESPACE, room=sid)

    def _presence(self, data: dict[str, Any]) -> None:
        """An announcement (ours or another process's): the space's connections here get
        the merged list if it changed."""
        space_id, process = data.get("space_id"), data.get("process")
        if not isinstance(space_id, int) or not isinstance(process, str):
            return
        now = time.monotonic()
        with self.lock:
            self._announcements[(process, space_id)] = (now, list(data.get("online") or []))
            here = bool(self._by_space.get(space_id))
        if data.get("ask") and process != self.process_id and here:
            self.announce(space_id)
        if here:
            payload = presence_payload(space_id, self.online(space_id))
            with self.lock:
                changed = self._broadcast.get(space_id) != payload
                self._broadcast[space_id] = payload
            if changed:
                self._send_to_room("presence", payload, rooms.room_name(space_id, rooms.SPACE))

    def _send_to_room(self, event: str, data: Any, room: str) -> None:
        """Everyone in the room, the packet encoded and framed once (as for events)."""
        out: Outgoing | None = None
        slow: list[str] = []
        with self.lock:
            for _sid, eio_sid in self.get_participants(NAMESPACE, room):
                out = out or Outgoing(self._encode(event, data, NAMESPACE))
                if not self._write(eio_sid, out):
                    slow.append(eio_sid)
        for eio_sid in slow:
            self.close_slow(eio_sid)

    def online(self, space_id: int, *, fresh: bool = False,
               first: int | None = None) -> list[dict[str, Any]]:
        """Everyone shown as here in the space, over every live process, by name (`fresh`:
        this process's own part as it is now, not as last announced). With `first`, only
        the first that many are in order and the rest follow unsorted (presence_payload
        names the first and counts all): a thousand members joining one after another
        each sorted the whole list."""
        now = time.monotonic()
        merged: dict[int, dict[str, Any]] = {}
        with self.lock:
            for (process, sid_space), (when, entries) in list(self._announcements.items()):
                if process != self.process_id and now - when > PRESENCE_TTL:
                    del self._announcements[(process, sid_space)]
                    continue
                if sid_space == space_id and not (fresh and process == self.process_id):
                    for entry in entries:
                        merged[entry["membership_id"]] = entry
            if fresh:
                for entry in self.local_presence(space_id):
                    merged[entry["membership_id"]] = entry
        if first is not None and len(merged) > first:
            shown = heapq.nsmallest(first, merged.values(), key=_by_name)
            chosen = {e["membership_id"] for e in shown}
            return shown + [e for m, e in merged.items() if m not in chosen]
        return sorted(merged.values(), key=_by_name)

    def presence_loop(self) -> None:
        """Send the announcements that waited for their interval; every HEARTBEAT repeat
        all of this process's, so that peers keep (and late ones learn) them."""
        beat = time.monotonic()
        while True:
            self.server.sleep(PRESENCE_TICK)
            now = time.monotonic()
            with self.lock:
                waiting = {s: ask for s, ask in self._to_announce.items()
                           if now - self._announced_at.get(s, -PRESENCE_INTERVAL)
                           >= PRESENCE_INTERVAL}
                for space_id in waiting:
                    del self._to_announce[space_id]
                    self._announced_at[space_id] = now
                if now - beat >= HEARTBEAT:
                    beat = now
                    for space_id in self._by_space:
                        waiting.setdefault(space_id, False)
                for space_id in [s for s, subs in self._by_space.items() if not subs]:
                    del self._by_space[space_id]
                    self._shown.pop(space_id, None)
            for space_id, ask in waiting.items():
                try:
                    self._announce_now(space_id, ask)
                except Exception:  # e.g. the queue is down: the heartbeat repeats it
                    log.exception("presence of space %s not announced", space_id)


MAX_RETRY_SLEEP = 5.0


def _by_name(entry: dict[str, Any]) -> tuple[str, int]:
    return entry["name"].casefold(), entry["membership_id"]


def presence_payload(space_id: int, online: list[dict[str, Any]]) -> dict[str, Any]:
    """What clients get: the first PRESENCE_SHOWN names (by name) and how many are here.

    A full list would make presence grow with the square of the space: every join sends
    every member a list of everyone, 200 KB to each of 5,000 connections; nobody reads
    more than a line of names either."""
    return {"space_id": space_id, "online": online[:PRESENCE_SHOWN], "count": len(online)}


class Outgoing:
    """One Socket.IO packet for many connections: encoded once, its WebSocket frame (when
    it fits in one text frame) built once."""

    __slots__ = ("frame", "packets")

    def __init__(self, packets: list[eio_packet.Packet]) -> None:
        self.packets = packets
        self.frame = ws_text_frame(packets[0].encode()) if len(packets) == 1 and \
            isinstance(packets[0].data, str) else None


def _on_websocket(eio_socket: Any) -> bool:
    """The connection reads its WebSocket now: opened on it, or its upgrade from polling
    completed. During an upgrade the client expects the answer to its probe first on the
    new WebSocket. Another frame there is lost, and engine.io-client gives up the upgrade
    without closing that socket, so Engine.IO waits on it, `upgrading`, answering every
    poll with a no-op until the socket times out (ping interval + timeout, 45 s): no ack,
    no event meanwhile (the e2e catch-up test, 3 runs in 4; test_processes has it)."""
    return eio_socket.upgraded and not eio_socket.upgrading and not eio_socket.closed


def ws_text_frame(text: str) -> bytes:
    """A final, unmasked WebSocket text frame (what a server sends, without extensions):
    the same bytes for every connection, so built once per event."""
    payload = text.encode()
    n = len(payload)
    if n < 126:
        header = bytes((0x81, n))
    elif n < 65536:
        header = bytes((0x81, 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + n.to_bytes(8, "big")
    return header + payload


class RedisDelivery(RedisManager, Delivery):
    """The same local delivery, with Redis carrying emits between processes.

    In the MRO PubSubManager hands its local delivery to Delivery.emit, so events and
    control messages from every process pass the same decisions.
    """

    # Called (in a background task) with queue_found()'s plan: the server's resync.
    on_resubscribe: Callable[[list[tuple[str, Connection, Subscription]]], None] | None = None

    def _redis_listen_with_retries(self):  # type: ignore[no-untyped-def]
        """python-socketio's listener, changed in three ways: its pub/sub connection is its
        own (a failed publish reconnects `self.pubsub` from under it otherwise); it
        retries at most every few seconds, not up to a minute; and it sees Redis confirm
        the subscription, every time: the first confirmation starts delivery, every later
        one (after our retry, or after redis-py reconnected by itself) is a resync."""
        retry_sleep, confirmed_once = 0.5, False
        while True:
            pubsub = None
            try:
                self._redis_connect()
                pubsub = self.redis.pubsub(ignore_subscribe_messages=False)
                pubsub.subscribe(self.channel)
                for message in pubsub.listen():
                    if message.get("type") == "subscribe":
                        retry_sleep = 0.5
                        if confirmed_once:
                            self._resync()
                        confirmed_once = True
                    elif message.get("type") == "message":
                        yield message
            except Exception as exc:
                self.queue_lost()
                self._get_logger().error("Cannot receive from redis... retrying in %s s (%s)",
                                         retry_sleep, exc)
                self.server.sleep(retry_sleep)
                retry_sleep = min(retry_sleep * 2, MAX_RETRY_SLEEP)
            finally:
                if pubsub is not None:
                    with contextlib.suppress(Exception):
                        pubsub.close()

    def _resync(self) -> None:
        """In the listener, before it handles the next message: hold every subscription's
        live events, then catch them up from the database in the background."""
        plan = self.queue_found()
        if self.on_resubscribe is not None:
            self.server.start_background_task(self.on_resubscribe, plan)
