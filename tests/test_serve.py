"""`community demo` and `community serve` as real processes on the embedded default (SQLite)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from http import HTTPStatus
from pathlib import Path

import pytest
import requests

STARTUP_SECONDS = 60


def community_command() -> list[str]:
    """The installed console script, or the same entry point through this interpreter."""
    script = Path(sys.executable).with_name("community")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from community.cli import main; main()"]


def embedded_env(instance: Path) -> dict[str, str]:
    """Nothing configured but the instance folder: the embedded default."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMUNITY_")}
    env["COMMUNITY_INSTANCE_PATH"] = str(instance)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"server exited with {server.returncode}:\n{log.read_text()}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    pytest.fail(f"server did not answer within {STARTUP_SECONDS}s:\n{log.read_text()}")


def csrf_token(html: str) -> str:
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html)
    assert tag, "the sign-in form has no CSRF token"
    value = re.search(r'value="([^"]+)"', tag.group(0))
    assert value
    return value.group(1)


@pytest.mark.slow
def test_a_fresh_instance_serves_the_demo_and_the_printed_admin_signs_in(tmp_path):
    env = embedded_env(tmp_path / "instance")
    demo = subprocess.run([*community_command(), "demo"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    found = re.search(r"admin\s+(admin@example\.org)\s+(\S+)", demo.stdout)
    assert found, demo.stdout
    email, password = found.groups()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen([*community_command(), "serve", "--port", str(port)],
                                  env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(f"{base}/sign-in", server, log)
        session = requests.Session()
        page = session.get(f"{base}/sign-in", timeout=10)
        assert page.status_code == HTTPStatus.OK
        assert "<h1>Sign in</h1>" in page.text

        signed_in = session.post(f"{base}/sign-in", timeout=30, allow_redirects=False, data={
            "csrf_token": csrf_token(page.text), "email": email, "password": password})
        assert signed_in.status_code == HTTPStatus.FOUND, signed_in.text
        home = session.get(f"{base}/", timeout=10)
        assert home.status_code == HTTPStatus.OK
        assert "Next steps after school" in home.text

        # The same server speaks Socket.IO (an Engine.IO handshake over long-polling).
        handshake = session.get(f"{base}/socket.io/", params={"EIO": "4", "transport": "polling"},
                                timeout=10)
        assert handshake.status_code == HTTPStatus.OK
        assert '"sid"' in handshake.text
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    assert "Migrated database" not in log.read_text()  # `demo` already migrated it


@pytest.mark.slow
def test_serve_on_a_fresh_machine_migrates_first(tmp_path):
    env = embedded_env(tmp_path / "instance")
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen([*community_command(), "serve", "--port", str(port)],
                                  env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/sign-in", server, log)
        page = requests.get(f"http://127.0.0.1:{port}/sign-in", timeout=10)
        assert page.status_code == HTTPStatus.OK
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    assert "Migrated database" in log.read_text()
    assert (tmp_path / "instance" / "community.sqlite").exists()


def test_the_served_connections_send_without_waiting_for_acknowledgements():
    """Nagle's algorithm is off for every accepted connection (`community serve`'s
    handler): with it on, the second request on a kept-alive connection, and a live event
    following another within a round trip, waited up to 40 ms for the client's delayed ACK."""
    from community.serve import NoDelayHandler

    seen: list[int] = []

    class Observed(NoDelayHandler):
        def handle_one_request(self):  # what the connection looks like to a request
            seen.append(self.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    with socket.create_server(("127.0.0.1", 0)) as listener, \
            socket.create_connection(listener.getsockname()) as client:
        accepted, address = listener.accept()
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        client.close()
        Observed(accepted, address, server=None).handle()
    assert seen == [1]
