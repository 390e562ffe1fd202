"""Real server processes and real Socket.IO clients, for tests that cross processes.

`Server` runs what `community serve` runs (gevent, community.serve) against the test's
database, optionally with Redis as the message queue on a channel of its own. `Live`
is a python-socketio client that records what it receives. Every wait is bounded, and
every process is killed when the test ends (use them as context managers or through
the fixtures in test modules).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
from flask import Flask

STARTUP_SECONDS = 60
ORIGIN = "http://community.test"
REDIS_URL = os.environ.get("COMMUNITY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_redis() -> str:
    """The Redis URL for tests; skips without Redis, but fails in CI (CI=true)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        message = f"Redis is not reachable at {REDIS_URL} ({exc})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return REDIS_URL


def new_channel() -> str:
    """A pub/sub channel of this test alone (channels ignore Redis database numbers)."""
    return f"community-test-{uuid.uuid4().hex[:12]}"


class Server:
    """`python -m gevent.monkey --module community.serve` on a free port."""

    def __init__(self, app: Flask, folder: Path, *, redis_url: str | None = None,
                 channel: str | None = None, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.log = folder / f"server-{self.port}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMMUNITY_")}
        env.update({
            "COMMUNITY_INSTANCE_PATH": str(folder / "instance"),
            "COMMUNITY_DATABASE_URL": app.config["DATABASE_URL"],
            "COMMUNITY_SECRET_KEY": app.config["SECRET_KEY"],
            "COMMUNITY_BASE_URL": self.url,
            "COMMUNITY_ALLOWED_ORIGINS": ORIGIN,
        })
        if redis_url:
            env["COMMUNITY_REDIS_URL"] = redis_url
            env["COMMUNITY_SOCKETIO_CHANNEL"] = channel or new_channel()
        env.update(extra_env or {})
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gevent.monkey", "--module", "community.serve",
                 "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"server exited with {self.process.returncode}:\n{self.output()}")
            try:
                requests.get(f"{self.url}/sign-in", timeout=10)
                return self
            except requests.RequestException:  # not listening yet, or slow to answer
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"server did not answer within {STARTUP_SECONDS}s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """Stop at once, as a crash would."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Live:
    """A real Socket.IO client over WebSocket that records everything it receives."""

    def __init__(self) -> None:
        self.client = socketio.Client(reconnection=False)
        self.received: list[tuple[str, Any]] = []
        self.changed = threading.Condition()

    def _recorder(self, name: str):  # type: ignore[no-untyped-def]
        def record(data: Any = None) -> None:
            with self.changed:
                self.received.append((name, data))
                self.changed.notify_all()
        return record

    def connect(self, url: str, *, token: str | None = None, cookie: str | None = None,
                origin: str = ORIGIN, transport: str = "websocket") -> Live:
        # websocket-client sends its own Origin unless told which one to send.
        self.client = socketio.Client(reconnection=False,
                                      websocket_extra_options={"origin": origin})
        for name in ("event", "access_revoked", "typing", "presence"):
            self.client.on(name, self._recorder(name))
        headers = {"Origin": origin} if transport == "polling" else {}
        if cookie:
            headers["Cookie"] = cookie
        self.client.connect(url, headers=headers, auth={"token": token} if token else None,
                            transports=[transport], wait_timeout=10)
        return self

    def call(self, event: str, data: Any, timeout: float = 10) -> Any:
        return self.client.call(event, data, timeout=timeout)

    def subscribe(self, space_id: int, last_event_id: int | None = None) -> dict[str, Any]:
        return self.call("subscribe", {"space_id": space_id, "last_event_id": last_event_id})

    def events(self) -> list[dict[str, Any]]:
        with self.changed:
            return [data for name, data in self.received if name == "event"]

    def wait_for(self, predicate, timeout: float = 10) -> bool:  # type: ignore[no-untyped-def]
        """Wait until predicate(received) holds; False after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate(self.received):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(left)
            return True

    def close(self) -> None:
        with contextlib.suppress(Exception):  # already gone is fine
            self.client.disconnect()


def session_cookie(app: Flask, user: Any) -> str:
    """The signed Flask session cookie of `user`, as the browser would send it."""
    value = app.session_interface.get_signing_serializer(app).dumps(  # type: ignore[attr-defined]
        {"_user_id": user.get_id(), "_fresh": True})
    return f"{app.config['SESSION_COOKIE_NAME']}={value}"


# --- faults: a Redis of the test's own, a client that stops reading, memory --------------

REDIS_SERVER = "/usr/bin/redis-server"


class RedisProcess:
    """A redis-server of this test alone on a free port (never the shared one on 6379),
    so that it can be stopped, killed and restarted empty. Nothing is persisted."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisProcess:
        import shutil

        binary = shutil.which("redis-server") or REDIS_SERVER
        if not Path(binary).exists():
            pytest.fail("redis-server is not installed (scripts/ensure-services installs it)",
                        pytrace=False)
        with (self.folder / "redis.log").open("ab") as out:
            self.process = subprocess.Popen(
                [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--daemonize", "no", "--dir", str(self.folder)],
                stdout=out, stderr=subprocess.STDOUT)
        import redis

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=1).ping()
                return self
            except redis.RedisError:
                time.sleep(0.05)
        self.kill()
        pytest.fail("redis-server did not start")

    def stop(self) -> None:
        """A clean shutdown (SIGTERM)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """As a crash would (SIGKILL)."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def rss_kb(pid: int) -> int:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


class StalledReader:
    """A raw Engine.IO/Socket.IO client over WebSocket that connects, subscribes and then
    never reads again (with a small receive buffer, so the server's queue fills soon)."""

    def __init__(self, url: str, token: str, space_id: int, *, origin: str = ORIGIN) -> None:
        import json
        import socket as pysocket

        import websocket

        ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = websocket.create_connection(
            ws_url, origin=origin, timeout=10,
            sockopt=((pysocket.SOL_SOCKET, pysocket.SO_RCVBUF, 4096),))
        assert self.ws.recv().startswith("0")  # Engine.IO open
        self.ws.send("40" + json.dumps({"token": token}))
        assert self.ws.recv().startswith("40")  # Socket.IO connect accepted
        self.ws.send("421" + json.dumps(["subscribe", {"space_id": space_id,
                                                       "last_event_id": None}]))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            message = self.ws.recv()
            if message.startswith("431"):
                assert json.loads(message[3:])[0]["ok"], message
                return
        raise AssertionError("no answer to subscribe")

    def closed_by_server(self, timeout: float = 10) -> bool:
        """Read everything left: True if the server ended the connection."""
        import websocket

        self.ws.settimeout(timeout)
        try:
            while True:
                if not self.ws.recv():
                    return True
        except websocket.WebSocketTimeoutException:
            return False
        except (websocket.WebSocketException, OSError):
            return True

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()
