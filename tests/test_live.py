"""community/live.py: socket.io-client served from node_modules, and the parameters the
space and thread pages hand to static/js/live.js. (The browser itself: tests/e2e.)"""

from __future__ import annotations

import html
import json
import logging
import re
from http import HTTPStatus
from pathlib import Path

import sqlalchemy as sa

from community import create_app
from community.extensions import db
from community.realtime.models import Event, EventHorizon
from tests.conftest import app_config
from tests.forums.conftest import reply, start_thread

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "node_modules/socket.io-client/dist/socket.io.min.js"


def live_attributes(page: str) -> dict[str, str]:
    tag = re.search(r'<div id="live"[^>]*>', page, re.S)
    assert tag, "the page has no #live element"
    return {name: html.unescape(value)
            for name, value in re.findall(r'data-([\w-]+)="([^"]*)"', tag.group(0))}


def newest_event_id(space_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.max(Event.id)).where(
        Event.space_id == space_id)) or 0


def test_the_socket_io_client_bundle_is_served_from_node_modules(client):
    response = client.get("/static/vendor/socket.io.min.js")
    assert response.status_code == HTTPStatus.OK
    assert response.mimetype == "text/javascript"
    assert response.data == BUNDLE.read_bytes()
    assert b"Socket.IO v4" in response.data[:200]
    again = client.get("/static/vendor/socket.io.min.js",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == HTTPStatus.NOT_MODIFIED


def test_only_the_listed_vendor_files_are_served(client):
    for name in ("package.json", "socket.io.js", "..%2Fpackage.json", "ws"):
        assert client.get(f"/static/vendor/{name}").status_code == HTTPStatus.NOT_FOUND, name


def test_the_thread_page_starts_from_the_newest_event_of_its_space(space, member, as_user):
    thread, _post = start_thread(space, member)
    reply(thread, member, "A second post")
    db.session.commit()

    page = as_user(member).get(f"/threads/{thread.id}").get_data(as_text=True)

    live = live_attributes(page)
    assert int(live["last-event-id"]) == newest_event_id(space.id) > 0
    assert live["space-id"] == str(space.id)
    assert live["thread-id"] == str(thread.id)
    assert live["at-end"] == "true"
    assert live["events-url"] == f"/api/v1/spaces/{space.id}/events"
    strings = json.loads(live["strings"])
    assert strings["new_posts_one"] == "{n} new post"
    assert strings["new_posts_other"] == "{n} new posts"
    assert strings["typing_one"] == "{name} is typing…"


def test_after_a_revoked_live_page_the_agreement_leads_back_to_the_thread(
        space, member, facilitator, as_user):
    from community.agreements.actions import check_publish_agreement

    thread, _post = start_thread(space, member)
    page = as_user(member).get(f"/threads/{thread.id}").get_data(as_text=True)
    agreement_url = html.unescape(live_attributes(page)["agreement-url"])
    assert agreement_url == f"/agreements/spaces/{space.id}?next=/threads/{thread.id}"
    check_publish_agreement(space=space, title="Version two", body="New rules.",
                            acting_user=facilitator)
    db.session.commit()
    client = as_user(member)
    accepted = client.post(agreement_url, data={"version": "2"})
    assert accepted.status_code == HTTPStatus.FOUND
    assert accepted.headers["Location"] == f"/threads/{thread.id}"
    assert client.get(f"/threads/{thread.id}").status_code == HTTPStatus.OK


def test_the_pages_load_the_scripts_from_files_only(space, member, as_user):
    thread, _post = start_thread(space, member)
    db.session.commit()
    client = as_user(member)
    for url in (f"/threads/{thread.id}", f"/spaces/{space.id}"):
        page = client.get(url).get_data(as_text=True)
        scripts = re.findall(r"<script\b[^>]*>", page)
        assert scripts == ['<script src="/static/vendor/socket.io.min.js" defer>',
                           '<script src="/static/js/live.js" defer>'], url
    with client.get("/static/js/live.js") as response:
        assert response.status_code == HTTPStatus.OK


def test_the_space_page_starts_from_the_newest_event_of_the_space(space, member, as_user):
    start_thread(space, member)
    db.session.commit()

    live = live_attributes(as_user(member).get(f"/spaces/{space.id}").get_data(as_text=True))

    assert int(live["last-event-id"]) == newest_event_id(space.id) > 0
    assert "thread-id" not in live


def test_a_space_whose_events_were_pruned_starts_from_the_horizon(space, member, as_user):
    thread, _post = start_thread(space, member)
    horizon = newest_event_id(space.id) + 50  # as if later events came and were pruned
    db.session.execute(sa.delete(Event).where(Event.space_id == space.id))
    db.session.add(EventHorizon(space_id=space.id, pruned_through=horizon))
    db.session.commit()

    page = as_user(member).get(f"/threads/{thread.id}").get_data(as_text=True)

    assert live_attributes(page)["last-event-id"] == str(horizon)


def test_without_the_bundle_the_app_says_so_and_pages_work_without_live_updates(
        app, space, member, as_user, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        bare = create_app({**app_config(f"sqlite:///{tmp_path / 'db.sqlite'}",
                                        str(tmp_path / "instance")),
                           "NODE_MODULES": str(tmp_path / "node_modules")})
    assert bare.config["LIVE_UPDATES"] is False
    assert "npm ci" in caplog.text

    thread, _post = start_thread(space, member)
    db.session.commit()
    installed = {key: app.config[key] for key in ("LIVE_UPDATES", "NODE_MODULES")}
    app.config.update(LIVE_UPDATES=False, NODE_MODULES=str(tmp_path / "node_modules"))
    try:
        bundle = as_user(member).get("/static/vendor/socket.io.min.js")
        response = as_user(member).get(f"/threads/{thread.id}")
    finally:
        app.config.update(installed)
    assert bundle.status_code == HTTPStatus.NOT_FOUND
    assert response.status_code == HTTPStatus.OK
    page = response.get_data(as_text=True)
    assert 'id="live"' not in page
    assert "<script" not in page
    assert "Where do I start?" in page
