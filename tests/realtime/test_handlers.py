"""Socket handlers through Flask-SocketIO's test client: connect, subscribe, replay, revoke."""

from __future__ import annotations

import time
from http import HTTPStatus

import sqlalchemy as sa

from community.accounts.actions import do_suspend_user
from community.agreements.actions import check_publish_agreement
from community.extensions import db
from community.forums.actions import check_edit_post
from community.forums.models import Post
from community.realtime import delivery, retention, rooms
from community.realtime.delivery import Subscription
from community.realtime.models import Event, EventHorizon
from community.realtime.outbox import record_event
from community.realtime.server import manager_of
from community.spaces.actions import check_remove_member
from community.spaces.queries import get_membership
from tests import factories


def post_thread(as_user, user, space, title="Where to start?", body="I feel lost."):  # type: ignore[no-untyped-def]
    response = as_user(user).post(f"/api/v1/spaces/{space.id}/threads",
                                  json={"title": title, "body": body})
    assert response.status_code == HTTPStatus.CREATED, response.json
    return response.json


def test_an_anonymous_socket_is_refused(app, sockets):
    assert not sockets().connected


def test_a_session_cookie_or_an_api_token_lets_a_member_connect(app, sockets, member):
    assert sockets(user=member).connected
    assert sockets(token=factories.make_token(user=member)).connected
    assert not sockets(token="cc_not-a-token").connected


def test_a_suspended_account_cannot_connect(app, sockets, member, admin):
    token = factories.make_token(user=member)
    do_suspend_user(member, reason="abuse", acting_user=admin)
    db.session.commit()
    assert not sockets(user=member).connected
    assert not sockets(token=token).connected


def test_subscribing_answers_like_the_pages_do(app, sockets, space, member, outsider, admin):
    assert sockets(user=member).subscribe(space.id) == {
        "ok": True, "replayed": 0, "last_event_id": 0}
    refused = sockets(user=outsider).subscribe(space.id)
    assert refused["ok"] is False and refused["error"]["code"] == "not_found"
    # a site admin who is not a member may not read the space's content either
    assert sockets(user=admin).subscribe(space.id)["error"]["code"] == "not_found"
    assert sockets(user=member).subscribe(999_999)["error"]["code"] == "not_found"
    assert sockets(user=member).emit("subscribe", {"space_id": "1"})["error"]["code"] == "invalid"
    assert sockets(user=member).emit("subscribe", "nonsense")["error"]["code"] == "invalid"


def test_subscribing_before_accepting_the_new_agreement_is_refused(app, sockets, space,
                                                                    member):
    factories.make_agreement(space=space, title="Version two")
    answer = sockets(user=member).subscribe(space.id)
    assert answer["ok"] is False
    assert answer["error"]["code"] == "agreement_required"


def test_a_new_subscriber_gets_live_events_and_a_late_one_gets_them_replayed(
        app, sockets, as_user, space, member, other_member):
    live = sockets(user=other_member)
    assert live.subscribe(space.id)["ok"]
    created = post_thread(as_user, member, space)
    events = live.events()
    assert [e["type"] for e in events] == ["thread.created", "post.created"]
    assert events[1]["data"]["post"]["id"] == created["post"]["id"]
    assert set(events[0]) == {"id", "space_id", "type", "data"}  # no audience

    late = sockets(user=other_member)
    answer = late.subscribe(space.id, last_event_id=0)
    assert answer == {"ok": True, "replayed": 2, "last_event_id": events[-1]["id"]}
    assert late.events() == events
    again = sockets(user=other_member)
    assert again.subscribe(space.id, last_event_id=events[0]["id"])["replayed"] == 1
    assert again.events() == events[1:]


def test_a_replay_after_an_edit_never_hands_out_the_earlier_text(
        app, sockets, as_user, space, member, other_member):
    """Replayed events are framed once per process for everyone catching up; an event
    rewritten since (the post was edited) is framed afresh, never served from before."""
    created = post_thread(as_user, member, space)
    first = sockets(user=other_member)
    assert first.subscribe(space.id, last_event_id=0)["replayed"] == 2
    before = first.events()[1]["data"]["post"]
    assert "Secret first draft" not in before["body_html"]
    post = db.session.get(Post, created["post"]["id"])
    check_edit_post(post, get_membership(member, space.id), body="Secret first draft")
    db.session.commit()
    check_edit_post(post, get_membership(member, space.id), body="The text to keep")
    db.session.commit()
    late = sockets(user=other_member)
    late.subscribe(space.id, last_event_id=0)
    replayed = [e["data"]["post"]["body_html"] for e in late.events()
                if e["type"] in ("post.created", "post.updated")]
    assert replayed and all("The text to keep" in html for html in replayed)
    assert not any("Secret first draft" in html or before["body_html"] == html
                   for html in replayed)


def test_live_events_during_replay_are_held_then_sent_once_in_order(app, sockets, space,
                                                                    member):
    """The window between joining the rooms and the end of the replay loses nothing."""
    sock = sockets(user=member)
    assert sock.subscribe(space.id)["ok"]
    manager = manager_of(app)
    sid = next(iter(manager.connections))
    membership = get_membership(member, space.id)
    first = record_event(space.id, "thread.updated", {"n": 1}, audiences=[rooms.SPACE])
    db.session.commit()
    sock.received()
    # Catching up again from before `first`: a live event arrives while replaying.
    sub = Subscription(space_id=space.id, user_id=member.id,
                       audiences=rooms.audiences_of(membership), membership_id=membership.id,
                       name="Robin", visible=True)
    assert manager.begin(sid, sub)
    second = record_event(space.id, "thread.updated", {"n": 2}, audiences=[rooms.SPACE])
    db.session.commit()
    assert sock.events() == []  # held
    # The replay reached `first` only; `second` and a duplicate of `first` were held.
    manager.emit("event", {"id": first[0].id, "space_id": space.id, "type": "x", "data": {}},
                 room=rooms.room_name(space.id, rooms.SPACE))
    assert manager.go_live(sid, sub, first[0].id) == second[0].id
    assert [e["id"] for e in sock.events()] == [second[0].id]
    # Live from here on; replayed ids are not sent again.
    manager.emit("event", {"id": first[0].id, "space_id": space.id, "type": "x", "data": {}},
                 room=rooms.room_name(space.id, rooms.SPACE))
    assert sock.events() == []


def test_events_of_a_space_reach_only_its_subscribers(app, sockets, as_user, space, member,
                                                      other_member, outsider):
    other_space = factories.make_space(name="Elsewhere", members=[outsider])
    elsewhere = sockets(user=outsider)
    assert elsewhere.subscribe(other_space.id)["ok"]
    unsubscribed = sockets(user=other_member)
    subscribed = sockets(user=other_member)
    assert subscribed.subscribe(space.id)["ok"]
    post_thread(as_user, member, space)
    assert len(subscribed.events()) == 2
    assert unsubscribed.events() == [] and elsewhere.events() == []
    assert subscribed.emit("unsubscribe", {"space_id": space.id}) == {"ok": True}
    post_thread(as_user, member, space, title="Another one")
    assert subscribed.events() == []


def test_a_gap_beyond_the_kept_window_asks_the_client_to_reload(app, sockets, space, member):
    for n in range(5):
        record_event(space.id, "thread.updated", {"n": n}, audiences=[rooms.SPACE])
    db.session.commit()
    ids = db.session.scalars(sa.select(Event.id).order_by(Event.id)).all()
    app.config["EVENT_RETENTION_COUNT"] = 2
    try:
        assert retention.prune_events() == 3
        db.session.commit()
    finally:
        app.config.pop("EVENT_RETENTION_COUNT")
    assert db.session.get(EventHorizon, space.id).pruned_through == ids[2]
    sock = sockets(user=member)
    assert sock.subscribe(space.id, last_event_id=ids[1])["error"]["code"] == "gap_too_large"
    answer = sock.subscribe(space.id, last_event_id=ids[2])
    assert answer == {"ok": True, "replayed": 2, "last_event_id": ids[4]}


def test_the_events_api_answers_gone_with_gap_too_large_beyond_the_kept_window(
        app, as_user, space, member, outsider):
    for n in range(5):
        record_event(space.id, "thread.updated", {"n": n}, audiences=[rooms.SPACE])
    db.session.commit()
    ids = db.session.scalars(sa.select(Event.id).order_by(Event.id)).all()
    client = as_user(member)
    url = f"/api/v1/spaces/{space.id}/events"
    assert client.get(url, query_string={"after": ids[1]}).status_code == HTTPStatus.OK
    app.config["EVENT_RETENTION_COUNT"] = 2
    try:
        assert retention.prune_events() == 3
        db.session.commit()
    finally:
        app.config.pop("EVENT_RETENTION_COUNT")
    for after in (0, ids[1]):  # older than the kept window: reload
        answer = client.get(url, query_string={"after": after})
        assert answer.status_code == HTTPStatus.GONE, answer.json
        assert answer.json["error"]["code"] == "gap_too_large"
    kept = client.get(url, query_string={"after": ids[2]})
    assert kept.status_code == HTTPStatus.OK
    assert [e["id"] for e in kept.json["items"]] == ids[3:]
    # The window is no one else's business: an outsider still gets the same 404 as ever.
    assert as_user(outsider).get(url, query_string={"after": 0}).status_code == \
        HTTPStatus.NOT_FOUND


def test_removal_revokes_at_once_and_replay_stays_closed(app, sockets, as_user, space,
                                                         facilitator, member, other_member):
    removed, staying = sockets(user=member), sockets(user=other_member)
    assert removed.subscribe(space.id)["ok"] and staying.subscribe(space.id)["ok"]
    removed.received(), staying.received()
    check_remove_member(space, get_membership(member, space.id), acting_user=facilitator)
    db.session.commit()
    got = removed.received()
    assert ("access_revoked", {"space_id": space.id, "reason": "removed"}) in got
    assert [d["type"] for n, d in staying.received() if n == "event"] == ["member.left"]
    post_thread(as_user, other_member, space)
    assert removed.events() == []
    assert removed.subscribe(space.id, last_event_id=0)["error"]["code"] == "not_found"


def test_a_removal_committed_while_a_subscription_is_checked_still_revokes_it(
        app, sockets, as_user, space, facilitator, member, monkeypatch):
    """The subscription listens for revocations before its access check: a removal that
    commits right after the check passed still ends it, and nothing is sent to it."""
    from community.realtime import server

    checked = server.access_space_content

    def check_then_remove(user, space_id):  # type: ignore[no-untyped-def]
        reader = checked(user, space_id)
        check_remove_member(space, get_membership(member, space.id), acting_user=facilitator)
        db.session.commit()
        return reader

    monkeypatch.setattr(server, "access_space_content", check_then_remove)
    sock = sockets(user=member)
    answer = sock.subscribe(space.id, last_event_id=0)
    assert answer["ok"] is False and answer["error"]["code"] == "forbidden"
    assert ("access_revoked", {"space_id": space.id, "reason": "removed"}) in sock.received()
    monkeypatch.undo()
    post_thread(as_user, facilitator, space)
    assert sock.events() == []


def test_a_rolled_back_removal_revokes_nothing(app, sockets, space, facilitator, member):
    sock = sockets(user=member)
    assert sock.subscribe(space.id)["ok"]
    sock.received()
    check_remove_member(space, get_membership(member, space.id), acting_user=facilitator)
    db.session.rollback()
    db.session.commit()
    assert sock.received() == []


def test_suspension_revokes_and_closes_every_connection_of_the_account(
        app, sockets, space, admin, member):
    sock = sockets(user=member)
    assert sock.subscribe(space.id)["ok"]
    sock.received()
    do_suspend_user(member, reason="abuse", acting_user=admin)
    db.session.commit()
    assert ("access_revoked", {"space_id": space.id, "reason": "suspended"}) in sock.received()
    deadline = time.monotonic() + 5
    while sock.connected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not sock.connected


def test_signing_out_revokes_the_users_sockets(app, sockets, space, member, as_user):
    sock = sockets(user=member)
    assert sock.subscribe(space.id)["ok"]
    sock.received()
    response = as_user(member).post("/sign-out")
    assert response.status_code == HTTPStatus.FOUND
    assert ("access_revoked", {"space_id": space.id, "reason": "signed_out"}) in sock.received()


def test_a_new_space_agreement_revokes_everyone_but_its_publisher(
        app, sockets, space, facilitator, member):
    fac, mem = sockets(user=facilitator), sockets(user=member)
    assert fac.subscribe(space.id)["ok"] and mem.subscribe(space.id)["ok"]
    fac.received(), mem.received()
    check_publish_agreement(space=space, title="Version two", body="New rules.",
                            acting_user=facilitator)
    db.session.commit()
    got = mem.received()
    assert [d["type"] for n, d in got if n == "event"] == ["agreement.published"]
    assert ("access_revoked", {"space_id": space.id, "reason": "agreement_required"}) in got
    fac_got = fac.received()
    assert not [n for n, _d in fac_got if n == "access_revoked"]
    assert mem.subscribe(space.id)["error"]["code"] == "agreement_required"


def test_a_new_site_agreement_revokes_every_space(app, sockets, space, admin, member):
    mem = sockets(user=member)
    assert mem.subscribe(space.id)["ok"]
    mem.received()
    check_publish_agreement(space=None, title="Site rules two", body="New.", acting_user=admin)
    db.session.commit()
    assert ("access_revoked", {"space_id": space.id, "reason": "agreement_required"}) \
        in mem.received()


def test_typing_reaches_the_others_once_per_interval_and_is_never_stored(
        app, sockets, as_user, space, member, other_member, outsider):
    thread_id = post_thread(as_user, member, space)["thread"]["id"]
    typer, peer = sockets(user=member), sockets(user=other_member)
    assert typer.subscribe(space.id)["ok"] and peer.subscribe(space.id)["ok"]
    typer.received(), peer.received()
    events_before = db.session.scalar(sa.select(sa.func.count(Event.id)))
    assert typer.emit("typing", {"thread_id": thread_id}) == {"ok": True, "sent": True}
    assert typer.emit("typing", {"thread_id": thread_id}) == {"ok": True, "sent": False}
    assert [d for n, d in peer.received() if n == "typing"] == [
        {"thread_id": thread_id, "space_id": space.id, "who": "Robin"}]
    assert not [n for n, _d in typer.received() if n == "typing"]
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == events_before
    assert sockets(user=outsider).emit("typing", {"thread_id": thread_id})["error"][
        "code"] == "not_found"


def presence_becomes(sock, names: list[str], seconds: float = 5) -> list[str] | None:  # type: ignore[no-untyped-def]
    """Wait until the latest `presence` the socket got lists `names`; the latest names."""
    deadline, last = time.monotonic() + seconds, None
    while time.monotonic() < deadline:
        got = [d for n, d in sock.received() if n == "presence"]
        if got:
            last = [e["name"] for e in got[-1]["online"]]
            if last == names:
                break
        time.sleep(0.05)
    return last


def test_presence_names_the_first_members_by_name_and_counts_everyone(
        app, sockets, space, member, other_member, monkeypatch):
    """A big space's presence stays one line: PRESENCE_SHOWN names, and the count."""
    monkeypatch.setattr(delivery, "PRESENCE_SHOWN", 1)
    robin, kit = sockets(user=member), sockets(user=other_member)
    assert robin.subscribe(space.id)["ok"]
    assert kit.subscribe(space.id)["ok"]
    assert [d for n, d in kit.received() if n == "presence"][-1] == {
        "space_id": space.id, "online": [
            {"membership_id": get_membership(other_member, space.id).id, "name": "Kit"}],
        "count": 2}
    assert presence_becomes(robin, ["Kit"]) == ["Kit"]
    kit.disconnect()
    robin.received()


def test_a_newcomer_sees_who_is_here_now_after_others_came_and_went(
        app, sockets, space, member, other_member, facilitator):
    """The newcomer's list is the present one: someone who left since the last arrival
    is gone from it, and a later arrival is in it."""
    robin, kit = sockets(user=member), sockets(user=other_member)
    assert robin.subscribe(space.id)["ok"] and kit.subscribe(space.id)["ok"]
    kit.disconnect()
    newcomer = sockets(user=facilitator)
    assert newcomer.subscribe(space.id)["ok"]
    assert [e["name"] for n, d in newcomer.received() if n == "presence"
            for e in d["online"]] == sorted(["Robin", facilitator.display_name],
                                            key=str.casefold)


def test_presence_shows_pseudonyms_and_respects_the_members_choice(
        app, sockets, space, member, other_member):
    robin, kit = sockets(user=member), sockets(user=other_member)
    assert robin.subscribe(space.id)["ok"]
    assert kit.subscribe(space.id)["ok"]
    # The newcomer gets the whole list at once ...
    assert [e["name"] for n, d in kit.received() if n == "presence"
            for e in d["online"]] == ["Kit", "Robin"]
    # ... the others within the presence interval (joins are coalesced).
    # pseudonyms, never real names
    assert presence_becomes(robin, ["Kit", "Robin"]) == ["Kit", "Robin"]
    assert kit.emit("show_presence", {"space_id": space.id, "visible": False}) == {
        "ok": True, "visible": False}
    assert get_membership(other_member, space.id).show_presence is False
    assert presence_becomes(robin, ["Robin"]) == ["Robin"]
    kit.disconnect()
    robin.received()


def test_incoming_events_are_rate_limited_per_connection(app, sockets, space, member):
    app.config.update(SOCKET_EVENT_BURST=3, SOCKET_EVENT_RATE=0.001)
    try:
        sock = sockets(user=member)
        answers = [sock.emit("unsubscribe", {"space_id": space.id}) for _ in range(5)]
    finally:
        app.config.pop("SOCKET_EVENT_BURST"), app.config.pop("SOCKET_EVENT_RATE")
    assert [a["ok"] for a in answers] == [True, True, True, False, False]
    assert answers[-1]["error"]["code"] == "rate_limited"


def test_a_revoked_api_token_stops_working_on_the_next_message(app, sockets, space, member):
    from community.accounts.models import ApiToken

    token = factories.make_token(user=member)
    sock = sockets(token=token)
    assert sock.subscribe(space.id)["ok"]
    db.session.execute(sa.update(ApiToken).values(revoked_at=factories.expired()))
    db.session.commit()
    assert sock.subscribe(space.id)["error"]["code"] == "unauthorized"


def test_revoking_an_api_token_closes_its_sockets_at_once_and_only_those(
        app, sockets, space, member, as_user):
    from community.accounts.models import ApiToken

    token = factories.make_token(user=member)
    by_token, by_cookie = sockets(token=token), sockets(user=member)
    assert by_token.subscribe(space.id)["ok"] and by_cookie.subscribe(space.id)["ok"]
    by_token.received(), by_cookie.received()
    token_id = db.session.scalar(sa.select(ApiToken.id).where(ApiToken.user_id == member.id))
    response = as_user(member).delete(f"/api/v1/tokens/{token_id}")
    assert response.status_code == HTTPStatus.NO_CONTENT
    assert ("access_revoked", {"space_id": space.id, "reason": "token_revoked"}) \
        in by_token.received()
    deadline = time.monotonic() + 5
    while by_token.connected and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not by_token.connected
    assert by_cookie.connected
    assert not [n for n, _d in by_cookie.received() if n == "access_revoked"]
