"""For every event type: who receives it live, and who must not."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from community.agreements.actions import check_publish_agreement
from community.agreements.queries import get_current_agreement
from community.extensions import db
from community.spaces.actions import (
    check_accept_invitation,
    check_create_invitation,
    check_remove_member,
)
from community.spaces.models import Acceptance, ModerationPolicy
from community.spaces.queries import get_membership
from tests import factories

PEOPLE = ("author", "other", "facilitator", "outsider", "elsewhere", "unsubscribed")
MEMBERS = {"author", "other", "facilitator"}
PRIVATE = {"author", "facilitator"}  # held content: its author and the facilitators


@pytest.fixture
def audience(app, sockets, space, facilitator, member, other_member, outsider):  # type: ignore[no-untyped-def]
    third = factories.make_user(display_name="Tove Third")  # a member who does not subscribe
    factories.make_membership(space=space, user=third, pseudonym="Tove")
    factories.site_agreement(accepted_by=[third])
    db.session.add(Acceptance(user_id=third.id,
                              agreement_id=get_current_agreement(space.id).id))
    db.session.commit()
    stranger = factories.make_user(display_name="Sven Stranger")
    other_space = factories.make_space(name="Elsewhere", members=[stranger])
    socks = {
        "author": sockets(user=member), "other": sockets(user=other_member),
        "facilitator": sockets(user=facilitator), "outsider": sockets(user=outsider),
        "elsewhere": sockets(user=stranger), "unsubscribed": sockets(user=third),
    }
    for name in ("author", "other", "facilitator"):
        assert socks[name].subscribe(space.id)["ok"], name
    assert socks["outsider"].subscribe(space.id)["ok"] is False
    assert socks["elsewhere"].subscribe(other_space.id)["ok"]
    for sock in socks.values():
        sock.received()
    return socks


def received(socks) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    return {name: [e["type"] for e in sock.events()] for name, sock in socks.items()}


def expect(types: list[str], who: set[str]) -> dict[str, list[str]]:
    return {name: (types if name in who else []) for name in PEOPLE}


def expect_each(audiences: list[tuple[str, set[str]]]) -> dict[str, list[str]]:
    """In order: each event type with the people who must get it (nobody else may)."""
    return {name: [t for t, who in audiences if name in who] for name in PEOPLE}


FACILITATOR = {"facilitator"}


def test_every_event_type_reaches_exactly_its_audience(app, audience, as_user, space,
                                                       facilitator, member, other_member):
    author = as_user(member)

    # Published content: every subscribed member of the space, nobody else.
    created = author.post(f"/api/v1/spaces/{space.id}/threads",
                          json={"title": "Where to start?", "body": "I feel lost."})
    assert created.status_code == HTTPStatus.CREATED
    thread_id, post_id = created.json["thread"]["id"], created.json["post"]["id"]
    assert received(audience) == expect(["thread.created", "post.created"], MEMBERS)

    reply = as_user(other_member).post(f"/api/v1/threads/{thread_id}/posts",
                                       json={"body": "Same here."})
    assert reply.status_code == HTTPStatus.CREATED
    assert received(audience) == expect(["post.created"], MEMBERS)

    assert author.patch(f"/api/v1/posts/{post_id}",
                        json={"body": "I feel a bit lost."}).status_code == HTTPStatus.OK
    assert received(audience) == expect(["post.updated"], MEMBERS)

    assert as_user(facilitator).patch(f"/api/v1/threads/{thread_id}",
                                      json={"pinned": True}).status_code == HTTPStatus.OK
    assert received(audience) == expect(["thread.updated"], MEMBERS)

    removed = as_user(other_member).delete(f"/api/v1/posts/{reply.json['post']['id']}")
    assert removed.status_code in (HTTPStatus.OK, HTTPStatus.NO_CONTENT)
    assert received(audience) == expect(["post.removed"], MEMBERS)

    # Held content: only its author and the facilitators.
    space.moderation_policy = ModerationPolicy.PRE
    db.session.commit()
    held = author.post(f"/api/v1/threads/{thread_id}/posts", json={"body": "A held reply."})
    assert held.status_code == HTTPStatus.CREATED and held.json["post"]["state"] == "pending"
    # post.held (the author privately, and facilitators) and queue.changed (facilitators
    # only) come from the moderation screening.
    assert received(audience) == expect_each([
        ("post.created", PRIVATE), ("post.held", PRIVATE), ("queue.changed", FACILITATOR)])
    held_id = held.json["post"]["id"]
    assert author.patch(f"/api/v1/posts/{held_id}",
                        json={"body": "A held reply, edited."}).status_code == HTTPStatus.OK
    assert received(audience) == expect(["post.updated"], PRIVATE)
    assert author.delete(f"/api/v1/posts/{held_id}").status_code in (
        HTTPStatus.OK, HTTPStatus.NO_CONTENT)
    got = received(audience)
    assert got == expect_each([("post.removed", PRIVATE)]) or got == expect_each([
        ("post.removed", PRIVATE), ("queue.changed", FACILITATOR)])

    held_thread = author.post(f"/api/v1/spaces/{space.id}/threads",
                              json={"title": "Held thread", "body": "Waiting."})
    assert held_thread.status_code == HTTPStatus.CREATED
    assert received(audience) == expect_each([
        ("thread.created", PRIVATE), ("post.created", PRIVATE), ("post.held", PRIVATE),
        ("queue.changed", FACILITATOR)])
    space.moderation_policy = ModerationPolicy.POST
    db.session.commit()

    # Members joining and leaving: the space's subscribers.
    newcomer = factories.make_user(display_name="Nina Newcomer")
    _invitation, token = check_create_invitation(space, acting_user=facilitator)
    db.session.commit()
    membership, joined = check_accept_invitation(token, user=newcomer, pseudonym="Nina")
    db.session.commit()
    assert joined
    got = received(audience)
    assert got == expect(["member.joined"], MEMBERS)
    check_remove_member(space, membership, acting_user=newcomer)
    db.session.commit()
    assert received(audience) == expect(["member.left"], MEMBERS)

    # A new agreement: announced to the space, then everyone but its publisher loses it.
    check_publish_agreement(space=space, title="Version two", body="New rules.",
                            acting_user=facilitator)
    db.session.commit()
    assert received(audience) == expect(["agreement.published"], MEMBERS)


def test_member_events_carry_pseudonyms_never_real_names(app, audience, space, facilitator):
    newcomer = factories.make_user(display_name="Nina Realname")
    _invitation, token = check_create_invitation(space, acting_user=facilitator)
    db.session.commit()
    check_accept_invitation(token, user=newcomer, pseudonym="Nina")
    db.session.commit()
    event = audience["other"].events()[0]
    assert event["data"]["member"]["name"] == "Nina"
    assert "Realname" not in str(event)
    assert get_membership(newcomer, space.id).show_presence is True
