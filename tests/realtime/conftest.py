"""Socket clients for handler tests: Flask-SocketIO's test client, one app context per call."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_socketio import SocketIOTestClient

from community.extensions import db
from community.realtime.server import socketio_of
from tests.conftest import login


class Socket:
    """A connected (or refused) test socket; every call runs in its own app context,
    as each socket event does in production, after the test's own work is committed."""

    def __init__(self, app: Flask, *, user: Any = None, token: str | None = None) -> None:
        self.app = app
        http = login(app.test_client(), user) if user is not None else app.test_client()
        db.session.commit()
        with app.app_context():
            self.client = SocketIOTestClient(app, socketio_of(app), flask_test_client=http,
                                             auth={"token": token} if token else None)

    @property
    def connected(self) -> bool:
        return self.client.is_connected()

    def emit(self, event: str, data: Any = None) -> Any:
        db.session.commit()
        with self.app.app_context():
            return self.client.emit(event, data, callback=True)

    def subscribe(self, space_id: int, last_event_id: int | None = None) -> dict[str, Any]:
        return self.emit("subscribe", {"space_id": space_id, "last_event_id": last_event_id})

    def received(self) -> list[tuple[str, Any]]:
        # Read the test client's queue directly: it also holds what arrived just before
        # the server closed the connection.
        messages, self.client.queue = self.client.queue, []
        return [(m["name"], m["args"][0] if m["args"] else None) for m in messages]

    def events(self) -> list[dict[str, Any]]:
        return [data for name, data in self.received() if name == "event"]

    def disconnect(self) -> None:
        if self.connected:
            with self.app.app_context():
                self.client.disconnect()


@pytest.fixture
def sockets(app: Flask):  # type: ignore[no-untyped-def]
    """sockets(user=..., token=...) -> a Socket; all are disconnected after the test."""
    made: list[Socket] = []

    def connect(**kwargs: Any) -> Socket:
        sock = Socket(app, **kwargs)
        made.append(sock)
        return sock

    yield connect
    for sock in made:
        sock.disconnect()
    forget_presence(app)


def forget_presence(app: Flask) -> None:
    """Drop what the in-process delivery manager remembers of presence. Space and
    membership ids repeat after each test's wipe (SQLite reuses them), and presence
    announcements outlive their connections by the presence interval: without this a
    test could see the members of an earlier test in "its" space."""
    manager = socketio_of(app).server.manager
    with manager.lock:
        for remembered in (manager._announcements, manager._announced_at,
                           manager._to_announce, manager._broadcast, manager._by_space,
                           manager._shown):
            remembered.clear()
