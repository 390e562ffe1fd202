"""One-to-one conversations between a member and the space's facilitators."""

from __future__ import annotations

from http import HTTPStatus

import sqlalchemy as sa

from community.extensions import db
from community.facilitation.models.conversations import Conversation, ConversationMessage
from community.realtime.models import Event
from community.spaces.queries import get_membership
from tests import factories


def _start(client, space, body="I am unsure about my next step."):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/spaces/{space.id}/conversations", json={"body": body})


def test_a_member_starts_a_conversation_that_only_they_and_facilitators_see(
        space, as_user, member, other_member, facilitator):
    response = _start(as_user(member), space)
    assert response.status_code == HTTPStatus.CREATED
    conversation_id = response.json["conversation"]["id"]
    conversation = db.session.get(Conversation, conversation_id)
    assert conversation.member_id == get_membership(member, space.id).id
    reply = as_user(facilitator).post(f"/api/v1/conversations/{conversation_id}/messages",
                                      json={"body": "Let us talk about it."})
    assert reply.status_code == HTTPStatus.CREATED
    listed = as_user(member).get(f"/api/v1/conversations/{conversation_id}/messages")
    assert [m["body_html"].strip() for m in listed.json["items"]] == [
        "<p>I am unsure about my next step.</p>", "<p>Let us talk about it.</p>"]
    peer = as_user(other_member)
    assert peer.get(f"/api/v1/conversations/{conversation_id}/messages").status_code \
        == HTTPStatus.NOT_FOUND
    assert peer.post(f"/api/v1/conversations/{conversation_id}/messages",
                     json={"body": "hi"}).status_code == HTTPStatus.NOT_FOUND
    assert peer.get(f"/api/v1/spaces/{space.id}/conversations").json["items"] == []
    assert as_user(facilitator).get(
        f"/api/v1/spaces/{space.id}/conversations").json["items"][0]["id"] == conversation_id
    assert peer.get(f"/conversations/{conversation_id}").status_code == HTTPStatus.NOT_FOUND


def test_conversation_events_go_only_to_the_member_and_the_facilitators(space, as_user, member):
    _start(as_user(member), space)
    audiences = set(db.session.scalars(sa.select(Event.audience).where(
        Event.type == "conversation.message")))
    assert audiences == {"facilitators", f"user:{member.id}"}


def test_personal_data_in_a_message_is_held_and_explained(space, as_user, member):
    response = _start(as_user(member), space, body="Call me on +45 20 12 34 56 or a@b.dk")
    message = response.json["message"]
    assert message["held"] is True and message["held_reason"]
    assert db.session.scalar(sa.select(ConversationMessage.held)) is True


def test_facilitators_cannot_start_a_conversation_and_bad_input_is_refused(
        space, as_user, facilitator, member):
    assert _start(as_user(facilitator), space).status_code == HTTPStatus.FORBIDDEN
    assert _start(as_user(member), space, body="   ").status_code \
        == HTTPStatus.UNPROCESSABLE_ENTITY
    assert as_user(member).post(f"/api/v1/spaces/{space.id}/conversations",
                                json={}).status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Conversation)) == 0


def test_the_agreement_gate_applies_to_conversations(space, as_user, member):
    factories.make_agreement(space=space, title="New rules")
    assert _start(as_user(member), space).status_code == HTTPStatus.PRECONDITION_REQUIRED


def test_outsiders_do_not_learn_the_space_exists(space, as_user, outsider):
    assert as_user(outsider).get(f"/api/v1/spaces/{space.id}/conversations").status_code \
        == HTTPStatus.NOT_FOUND


def test_the_pages_start_and_continue_a_conversation(space, as_user, member, facilitator):
    client = as_user(member)
    assert client.get(f"/spaces/{space.id}/conversations").status_code == HTTPStatus.OK
    response = client.post(f"/spaces/{space.id}/conversations", data={"body": "Hello there"})
    assert response.status_code == HTTPStatus.FOUND
    page = as_user(facilitator).get(response.headers["Location"])
    assert page.status_code == HTTPStatus.OK and b"Hello there" in page.data
    bad = client.post(f"/spaces/{space.id}/conversations", data={"body": ""})
    assert bad.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
