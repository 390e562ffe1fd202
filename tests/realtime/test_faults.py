"""Faults against real processes and a real Redis of the test's own: Redis stopped,
killed and restarted empty while members are live; a realtime process killed mid-stream;
a client that stops reading. Every wait is bounded; every process is ended in teardown."""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import Any

import pytest
import requests

from community.extensions import db
from tests import factories
from tests.realtime.processes import (
    Live,
    RedisProcess,
    Server,
    StalledReader,
    new_channel,
    rss_kb,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def rig(app, tmp_path):  # type: ignore[no-untyped-def]
    """Servers, clients and a Redis of this test, all ended after it whatever happens."""
    servers: list[Server] = []
    clients: list[Any] = []
    redises: list[RedisProcess] = []

    class Rig:
        def redis(self) -> RedisProcess:
            made = RedisProcess(tmp_path / f"redis{len(redises)}")
            redises.append(made)
            return made.start()

        def server(self, **options: Any) -> Server:
            db.session.commit()  # the servers read what the test wrote
            # Posting faster than a person would: no per-member posting limit here.
            options["extra_env"] = {"COMMUNITY_POST_RATE_LIMIT": "100000 per minute",
                                    **options.get("extra_env", {})}
            made = Server(app, tmp_path / f"s{len(servers)}", **options)
            servers.append(made)
            return made.start()

        def live(self, url: str, token: str) -> Live:
            client = Live()
            clients.append(client)
            return client.connect(url, token=token)

        def stalled(self, url: str, token: str, space_id: int) -> StalledReader:
            client = StalledReader(url, token, space_id)
            clients.append(client)
            return client

    try:
        yield Rig()
    finally:
        for client in clients:
            client.close()
        for server in servers:
            server.kill()
        for redis_process in redises:
            redis_process.kill()


def api(server: Server, token: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    db.session.commit()  # end the test's own read (SQLite's write lock)
    return requests.request(method, f"{server.url}/api/v1{path}", timeout=30,
                            headers={"Authorization": f"Bearer {token}"}, **kwargs)


def post(server: Server, token: str, thread_id: int, body: str) -> int:
    """A reply through the HTTP API (safe from any thread: no database session here)."""
    answer = requests.post(f"{server.url}/api/v1/threads/{thread_id}/posts", timeout=30,
                           headers={"Authorization": f"Bearer {token}"}, json={"body": body})
    assert answer.status_code == HTTPStatus.CREATED, answer.text
    return answer.json()["post"]["id"]


def stored_post_ids(server: Server, token: str, space_id: int) -> set[int]:
    """What the database says the caller should have seen: the events API."""
    ids: set[int] = set()
    after = 0
    while True:
        page = api(server, token, "GET", f"/spaces/{space_id}/events",
                   params={"after": after, "limit": 100}).json()
        ids |= {e["data"]["post"]["id"] for e in page["items"] if e["type"] == "post.created"}
        after = page["last_event_id"]
        if not page["more"]:
            return ids


def post_ids(events: list[dict[str, Any]]) -> set[int]:
    return {e["data"]["post"]["id"] for e in events if e["type"] == "post.created"}


def assert_once_each(events: list[dict[str, Any]]) -> None:
    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids)), "an event was delivered twice"


def reconnect_and_catch_up(client: Live, url: str, token: str, space_id: int,
                           rig: Any) -> list[dict[str, Any]]:
    """What a browser does after losing its socket: reconnect, subscribe from the last id."""
    seen = client.events()
    client.close()
    again = rig.live(url, token)
    answer = again.subscribe(space_id, last_event_id=max(e["id"] for e in seen))
    assert answer["ok"], answer
    return seen + again.events()


def test_redis_stopped_killed_and_restarted_empty_loses_no_post(
        app, rig, space, facilitator, member, other_member):
    redis_process = rig.redis()
    channel = new_channel()
    poster_server = rig.server(redis_url=redis_process.url, channel=channel)
    other_server = rig.server(redis_url=redis_process.url, channel=channel)
    poster = factories.make_token(user=facilitator)
    tokens = {"here": factories.make_token(user=member),
              "there": factories.make_token(user=other_member)}
    clients = {"here": rig.live(poster_server.url, tokens["here"]),
               "there": rig.live(other_server.url, tokens["there"])}
    for client in clients.values():
        assert client.subscribe(space.id)["ok"]

    created = api(poster_server, poster, "POST", f"/spaces/{space.id}/threads",
                  json={"title": "Through faults", "body": "Start"})
    assert created.status_code == HTTPStatus.CREATED, created.text
    thread_id = created.json()["thread"]["id"]
    posted = {created.json()["thread"]["first_post_id"]} \
        if "first_post_id" in created.json()["thread"] else set()

    def burst(label: str) -> None:
        for n in range(3):
            posted.add(post(poster_server, poster, thread_id, f"{label} {n}"))

    burst("before")
    redis_process.stop()  # clean shutdown
    burst("while stopped")
    redis_process.start()  # empty: nothing was saved
    time.sleep(1.5)
    burst("after restart")
    redis_process.kill()  # crash
    burst("while killed")
    redis_process.start()
    burst("right after the second restart")  # the listeners may not be subscribed yet

    expected = stored_post_ids(poster_server, poster, space.id)
    assert posted <= expected
    # Live delivery alone catches up (the servers resync after Redis comes back) ...
    for name, client in clients.items():
        assert client.wait_for(lambda got: post_ids(
            [d for n, d in got if n == "event"]) >= expected, timeout=20), (
            name, sorted(expected - post_ids(client.events())))
        assert_once_each(client.events())
    # ... and a client that reconnects ends with the database's view, each event once.
    for name, url in (("here", poster_server.url), ("there", other_server.url)):
        events = reconnect_and_catch_up(clients[name], url, tokens[name], space.id, rig)
        assert_once_each(events)
        assert post_ids(events) == stored_post_ids(poster_server, tokens[name], space.id)


# Several realtime processes are the scaled layout, which runs on PostgreSQL (three
# processes writing one SQLite file answer "database is locked"): this test runs on
# PostgreSQL whatever COMMUNITY_TEST_BACKENDS says, never skipped.
@pytest.mark.parametrize("_app", ["postgresql"], indirect=True)
def test_a_killed_realtime_process_clients_catch_up_on_the_other_without_gap_or_duplicate(
        app, rig, space, facilitator, member, other_member):
    redis_process = rig.redis()
    channel = new_channel()
    web = rig.server(redis_url=redis_process.url, channel=channel)  # takes the posts
    doomed = rig.server(redis_url=redis_process.url, channel=channel)
    survivor = rig.server(redis_url=redis_process.url, channel=channel)
    poster = factories.make_token(user=facilitator)
    tokens = [factories.make_token(user=member), factories.make_token(user=other_member)]
    clients = [rig.live(doomed.url, token) for token in tokens]
    for client in clients:
        assert client.subscribe(space.id)["ok"]
    thread = api(web, poster, "POST", f"/spaces/{space.id}/threads",
                 json={"title": "Mid-stream", "body": "Start"}).json()["thread"]
    db.session.commit()  # nothing of the test's may hold SQLite while others post

    stop = threading.Event()
    posted: list[int] = []

    def keep_posting() -> None:
        n = 0
        while not stop.is_set() and n < 200:
            posted.append(post(web, poster, thread["id"], f"stream {n}"))
            n += 1
            time.sleep(0.02)

    with ThreadPoolExecutor(1) as pool:
        streaming = pool.submit(keep_posting)
        assert clients[0].wait_for(lambda got: len(post_ids(
            [d for n, d in got if n == "event"])) >= 5, timeout=20)
        doomed.kill()  # mid-stream
        time.sleep(0.3)
        resumed = []
        for client, token in zip(clients, tokens, strict=True):
            seen = client.events()
            client.close()
            again = rig.live(survivor.url, token)
            answer = again.subscribe(space.id, last_event_id=max(e["id"] for e in seen))
            assert answer["ok"], answer
            resumed.append((seen, again))
        time.sleep(1)
        stop.set()
        streaming.result(timeout=60)

    expected = stored_post_ids(web, poster, space.id)
    assert set(posted) <= expected
    for seen, again in resumed:
        assert again.wait_for(lambda got, seen=seen: post_ids(seen) | post_ids(
            [d for n, d in got if n == "event"]) >= expected, timeout=20)
        events = seen + again.events()
        assert_once_each(events)
        ids = [e["id"] for e in events]
        assert ids == sorted(ids), "out of order across the switch-over"
        assert post_ids(events) == expected


def test_a_client_that_stops_reading_is_closed_and_neither_grows_memory_nor_slows_others(
        app, rig, space, facilitator, member, other_member):
    backlog = 32
    # Pings far apart: a stalled reader must be closed by the backlog limit, not by
    # missing a pong (which would also free its queue, after up to 45 s of growth).
    server = rig.server(extra_env={"COMMUNITY_SOCKET_MAX_BACKLOG": str(backlog),
                                   "COMMUNITY_SOCKET_PING_INTERVAL": "600"})
    poster = factories.make_token(user=facilitator)
    slow_token = factories.make_token(user=member)
    thread = api(server, poster, "POST", f"/spaces/{space.id}/threads",
                 json={"title": "Big posts", "body": "Start"}).json()["thread"]
    reader = rig.live(server.url, factories.make_token(user=other_member))
    assert reader.subscribe(space.id)["ok"]
    stalled = [rig.stalled(server.url, slow_token, space.id) for _ in range(4)]

    body = ("A paragraph that takes room. " * 600)[:18_000]  # ~18 KB per event
    sent: dict[int, float] = {}
    arrived: dict[int, float] = {}
    reader.client.on("event", lambda data: arrived.setdefault(
        data["data"]["post"]["id"], time.monotonic()) if data["type"] == "post.created" else None)

    def one(n: int) -> None:
        started = time.monotonic()
        post_id = post(server, poster, thread["id"], f"{n} {body}")
        sent[post_id] = started

    # Reading `space.id` above began a transaction of the test's own, which on SQLite holds
    # the write lock (BEGIN IMMEDIATE outside a request): end it before the server posts.
    db.session.commit()
    for n in range(20):  # warm up: the server's own caches and pools, before measuring
        one(n)
    before = rss_kb(server.process.pid)  # type: ignore[union-attr]
    # Four posters at once on PostgreSQL; one on SQLite, where a second writer in the same
    # gevent process waits for the write lock inside SQLite (busy_timeout), blocking every
    # greenlet, the lock holder's too, until it gives up with "database is locked".
    posters = 1 if app.config["DATABASE_URL"].startswith("sqlite") else 4
    with ThreadPoolExecutor(posters) as pool:
        list(pool.map(one, range(20, 320)))  # ~5.4 MB for each stalled reader
    deadline = time.monotonic() + 20
    while set(sent) - set(arrived) and time.monotonic() < deadline:
        time.sleep(0.05)
    after = rss_kb(server.process.pid)  # type: ignore[union-attr]

    assert not set(sent) - set(arrived), "the reading client lost posts"
    latencies = sorted(arrived[i] - sent[i] for i in sent)
    p95 = latencies[int(len(latencies) * 0.95)]
    assert p95 < 2.0, f"the reading client was slowed down: p95 {p95:.3f}s"
    grown_mb = (after - before) / 1024
    # Unbounded, four readers that stopped would hold ~20 MB of queued packets here.
    assert grown_mb < 12, f"server memory grew by {grown_mb:.1f} MB"
    for client in stalled:
        assert client.closed_by_server(timeout=10), "a stalled reader was never closed"
    assert "packets unread" in server.output()
    print(f"rss {before} -> {after} kB; reader p50 "
          f"{statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
