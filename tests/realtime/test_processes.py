"""Real server processes, real Socket.IO clients: refusals, the agreement gate, replay after a
disconnect, and revocation across two processes that share Redis."""

from __future__ import annotations

from http import HTTPStatus

import pytest
import requests
import socketio

from community.accounts.actions import do_suspend_user
from community.extensions import db
from tests import factories
from tests.realtime.processes import (
    ORIGIN,
    Live,
    Server,
    new_channel,
    require_redis,
    session_cookie,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def launch(app, tmp_path):  # type: ignore[no-untyped-def]
    """launch(**Server options) -> a started server; live(...) clients and servers are
    closed and stopped after the test, whatever happens."""
    started: list[Server] = []
    clients: list[Live] = []

    def start(**options) -> Server:  # type: ignore[no-untyped-def]
        db.session.commit()  # the servers read what the test wrote
        server = Server(app, tmp_path / f"s{len(started)}", **options)
        started.append(server)
        return server.start()

    def live() -> Live:
        client = Live()
        clients.append(client)
        return client

    start.live = live  # type: ignore[attr-defined]
    yield start
    for client in clients:
        client.close()
    for server in started:
        server.stop()


def api(server: Server, token: str, method: str, path: str, **kwargs) -> requests.Response:  # type: ignore[no-untyped-def]
    # End the test's own read first: on SQLite it would hold the write lock the server needs.
    db.session.commit()
    return requests.request(method, f"{server.url}/api/v1{path}", timeout=30,
                            headers={"Authorization": f"Bearer {token}"}, **kwargs)


def test_refused_connections_anonymous_foreign_origin_and_suspended(app, launch, space,
                                                                    member, admin):
    token = factories.make_token(user=member)
    server = launch()
    assert launch.live().connect(server.url, token=token).client.connected
    assert launch.live().connect(server.url, cookie=session_cookie(app, member)).client.connected

    with pytest.raises(socketio.exceptions.ConnectionError):
        launch.live().connect(server.url)  # anonymous
    with pytest.raises(socketio.exceptions.ConnectionError):
        launch.live().connect(server.url, token=token, origin="https://evil.example")
    with pytest.raises(socketio.exceptions.ConnectionError):
        launch.live().connect(server.url, token=token, origin="https://evil.example",
                              transport="polling")

    do_suspend_user(member, reason="abuse", acting_user=admin)
    db.session.commit()
    with pytest.raises(socketio.exceptions.ConnectionError):
        launch.live().connect(server.url, token=token)
    with pytest.raises(socketio.exceptions.ConnectionError):
        launch.live().connect(server.url, cookie=session_cookie(app, member))


def test_subscribing_without_the_current_agreement_is_refused(app, launch, space, member):
    factories.make_agreement(space=space, title="Version two")
    server = launch()
    client = launch.live().connect(server.url, token=factories.make_token(user=member))
    answer = client.subscribe(space.id)
    assert answer["ok"] is False and answer["error"]["code"] == "agreement_required"


def test_a_client_that_reconnects_gets_what_it_missed_once_and_in_order(
        app, launch, space, member, other_member):
    poster, reader = factories.make_token(user=member), factories.make_token(user=other_member)
    server = launch()
    client = launch.live().connect(server.url, token=reader)
    assert client.subscribe(space.id)["ok"]
    first = api(server, poster, "POST", f"/spaces/{space.id}/threads",
                json={"title": "First", "body": "One"})
    assert first.status_code == HTTPStatus.CREATED
    assert client.wait_for(lambda got: len([g for g in got if g[0] == "event"]) == 2)
    seen = client.events()
    client.close()

    thread_id = first.json()["thread"]["id"]
    for n in range(3):
        assert api(server, poster, "POST", f"/threads/{thread_id}/posts",
                   json={"body": f"Missed {n}"}).status_code == HTTPStatus.CREATED

    again = launch.live().connect(server.url, token=reader)
    answer = again.subscribe(space.id, last_event_id=seen[-1]["id"])
    assert answer["ok"] and answer["replayed"] == 3
    missed = again.events()
    assert [e["data"]["post"]["body_html"] for e in missed] == [
        f"<p>Missed {n}</p>\n" for n in range(3)]
    assert [e["id"] for e in missed] == sorted(e["id"] for e in missed)
    assert answer["last_event_id"] == missed[-1]["id"]
    # and live again after the replay
    assert api(server, poster, "POST", f"/threads/{thread_id}/posts",
               json={"body": "Live again"}).status_code == HTTPStatus.CREATED
    assert again.wait_for(lambda got: len([g for g in got if g[0] == "event"]) == 4)
    ids = [e["id"] for e in again.events()]
    assert len(ids) == len(set(ids))


def test_removal_on_one_process_revokes_a_connection_on_another(
        app, launch, space, facilitator, member, other_member):
    redis_url = require_redis()
    channel = new_channel()
    server_a = launch(redis_url=redis_url, channel=channel)
    server_b = launch(redis_url=redis_url, channel=channel)
    removed = launch.live().connect(server_b.url, token=factories.make_token(user=member))
    staying = launch.live().connect(server_b.url, token=factories.make_token(user=other_member))
    assert removed.subscribe(space.id)["ok"] and staying.subscribe(space.id)["ok"]
    fac_token = factories.make_token(user=facilitator)

    # Live events cross processes: posted through A, delivered by B.
    posted = api(server_a, fac_token, "POST", f"/spaces/{space.id}/threads",
                 json={"title": "Welcome", "body": "Hello all"})
    assert posted.status_code == HTTPStatus.CREATED
    for client in (removed, staying):
        assert client.wait_for(lambda got: len([g for g in got if g[0] == "event"]) == 2)

    gone = api(server_a, fac_token, "DELETE", f"/spaces/{space.id}/members/{member.id}")
    assert gone.status_code in (HTTPStatus.OK, HTTPStatus.NO_CONTENT), gone.text
    assert removed.wait_for(lambda got: ("access_revoked",
                                         {"space_id": space.id, "reason": "removed"}) in got)

    thread_id = posted.json()["thread"]["id"]
    reply = api(server_a, fac_token, "POST", f"/threads/{thread_id}/posts",
                json={"body": "After the removal"})
    assert reply.status_code == HTTPStatus.CREATED
    assert staying.wait_for(lambda got: any(
        g[0] == "event" and g[1]["type"] == "post.created"
        and g[1]["data"]["post"]["id"] == reply.json()["post"]["id"] for g in got))
    assert not any(e["type"] == "post.created" and e["data"]["post"]["id"]
                   == reply.json()["post"]["id"] for e in removed.events())
    answer = removed.subscribe(space.id, last_event_id=0)
    assert answer["ok"] is False and answer["error"]["code"] == "not_found"
    assert ORIGIN  # every client above connected with the allowed origin


def test_hiding_presence_on_one_process_hides_the_member_on_another(
        app, launch, space, member, other_member):
    redis_url = require_redis()
    channel = new_channel()
    server_a = launch(redis_url=redis_url, channel=channel)
    server_b = launch(redis_url=redis_url, channel=channel)
    token = factories.make_token(user=member)
    kit_token = factories.make_token(user=other_member)
    space_id = space.id
    db.session.commit()  # on SQLite the test's open transaction would hold the write lock
    robin_a = launch.live().connect(server_a.url, token=token)
    robin_b = launch.live().connect(server_b.url, token=token)
    kit = launch.live().connect(server_b.url, token=kit_token)
    for client in (robin_a, robin_b, kit):
        assert client.subscribe(space_id)["ok"]

    def shown(got) -> list[str] | None:  # type: ignore[no-untyped-def]
        lists = [g[1] for g in got if g[0] == "presence" and g[1]["space_id"] == space_id]
        return [e["name"] for e in lists[-1]["online"]] if lists else None

    assert kit.wait_for(lambda got: shown(got) == ["Kit", "Robin"])
    # Robin hides through the connection on A; the connection on B must stop showing
    # Robin too, without subscribing again.
    assert robin_a.call("show_presence", {"space_id": space_id, "visible": False}) == {
        "ok": True, "visible": False}
    assert kit.wait_for(lambda got: shown(got) == ["Kit"])


def test_a_served_connection_is_pinged_every_interval_and_long_requests_are_read(
        app, launch, space, member):
    """`community serve` pings each connection from a timer (no greenlet sleeping per
    connection) on the Engine.IO schedule, and reads requests longer than its small
    per-connection read buffer."""
    import json
    import time

    import websocket

    server = launch(extra_env={"COMMUNITY_SOCKET_PING_INTERVAL": "0.4"})
    token = factories.make_token(user=member)
    ws = websocket.create_connection(
        server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket",
        origin=ORIGIN, timeout=5)
    try:
        opened = ws.recv()
        assert opened.startswith("0")
        assert json.loads(opened[1:])["pingInterval"] < 1000  # what the client is told
        ws.send("40" + json.dumps({"token": token}))
        pings, deadline = 0, time.monotonic() + 3
        while time.monotonic() < deadline:
            message = ws.recv()
            if message == "2":  # ping: answer, and the next comes an interval later
                pings += 1
                ws.send("3")
        assert 4 <= pings <= 8, pings
        assert ws.connected
    finally:
        ws.close()
    long_headers = {"Authorization": f"Bearer {token}", "X-Padding": "p" * 6000}
    answer = requests.get(f"{server.url}/api/v1/spaces", headers=long_headers, timeout=10)
    assert answer.status_code == HTTPStatus.OK, answer.text


def test_a_post_during_the_upgrade_from_polling_waits_for_the_websocket(
        app, launch, space, member, other_member):
    """Browsers connect by long-polling and then upgrade to a WebSocket. A post published
    while the upgrade is under way must not be written on the new WebSocket before the
    probe is answered: the browser would drop the socket with the post in it, and the
    connection, stuck half-upgraded, would get nothing more (no ack, no event)."""
    import json

    import websocket

    poster, reader = factories.make_token(user=member), factories.make_token(user=other_member)
    server = launch()
    thread = api(server, poster, "POST", f"/spaces/{space.id}/threads",
                 json={"title": "Upgrading", "body": "Before"})
    assert thread.status_code == HTTPStatus.CREATED
    polling = requests.Session()
    polling.headers["Origin"] = ORIGIN
    url = f"{server.url}/socket.io/?EIO=4&transport=polling"

    def poll() -> list[str]:
        return polling.get(f"{url}&sid={sid}", timeout=10).text.split("\x1e")

    sid = json.loads(polling.get(url, timeout=10).text[1:])["sid"]
    assert polling.post(f"{url}&sid={sid}", data="40" + json.dumps({"token": reader}),
                        timeout=10).ok
    assert poll()[0].startswith("40")
    assert polling.post(f"{url}&sid={sid}", timeout=10, data="420" + json.dumps(
        ["subscribe", {"space_id": space.id, "last_event_id": None}])).ok
    answers: list[str] = []
    while not any(m.startswith("430") for m in answers):
        answers += poll()
    assert any(m.startswith('430[{"ok":true') for m in answers), answers

    ws = websocket.create_connection(
        server.url.replace("http://", "ws://") + f"/socket.io/?EIO=4&transport=websocket&sid={sid}",
        origin=ORIGIN, timeout=10)
    try:
        posted = api(server, poster, "POST", f"/threads/{thread.json()['thread']['id']}/posts",
                     json={"body": "Published mid-upgrade"})
        assert posted.status_code == HTTPStatus.CREATED
        ws.send("2probe")
        assert ws.recv() == "3probe"  # the probe's answer comes first, nothing before it
        ws.send("5")  # upgrade
        received = ""
        while "Published mid-upgrade" not in received:
            message = ws.recv()
            if message == "2":
                ws.send("3")
            received += message
        assert received.count("Published mid-upgrade") == 1
    finally:
        ws.close()
