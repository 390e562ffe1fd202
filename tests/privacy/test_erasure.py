"""Erasing an account: nothing of the member's personal data stays in any table."""

from __future__ import annotations

from http import HTTPStatus

import pytest
import sqlalchemy as sa

from community.accounts.models import User, UserStatus
from community.admin.models import AuditEntry
from community.extensions import db
from community.facilitation import conversations as facilitation_conversations
from community.facilitation import notes as facilitation_notes
from community.forums import actions as forum_actions
from community.forums.access import Reader
from community.forums.models import Post, PostState
from community.moderation import actions as moderation_actions
from community.moderation.models import Flag
from community.privacy import email
from community.privacy.models import OutboxEmail
from community.spaces.models import JoinPolicy, JoinRequest, Membership
from community.spaces.queries import get_membership
from tests import factories
from tests.factories import PASSWORD

EMAIL, NAME, PSEUDONYM, ASKED = ("zelda.erase@example.org", "Zelda Quixote", "Xanthippe",
                                 "Yggdrasil7")


def text_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    """Every column of every table that can hold text, from the models' metadata, so that
    a table added later is searched too."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            try:
                python_type = column.type.python_type
            except NotImplementedError:
                python_type = None
            if python_type is str or isinstance(column.type, sa.JSON | sa.String | sa.Text):
                found.append(column)
    return found


def find_everywhere(needles: list[str]) -> list[tuple[str, str, str]]:
    hits = []
    db.session.expire_all()
    for column in text_columns():
        for needle in needles:
            query = sa.select(sa.func.count()).select_from(column.table).where(
                sa.cast(column, sa.Text).contains(needle, autoescape=True))
            if db.session.scalar(query):
                hits.append((column.table.name, column.name, needle))
    return hits


def build(space, facilitator, other_member, as_user):  # type: ignore[no-untyped-def]
    """Zelda takes part everywhere she can: posts, edits, flags, tokens, requests..."""
    zelda = factories.make_user(email=EMAIL, display_name=NAME)
    factories.make_membership(space=space, user=zelda, pseudonym=PSEUDONYM)
    factories.site_agreement(accepted_by=[zelda])
    factories.make_agreement(space=space, accepted_by=[zelda, facilitator, other_member])
    elsewhere = factories.make_space(name="Open door", facilitators=[facilitator],
                                     join_policy=JoinPolicy.REQUEST)
    db.session.add(JoinRequest(space_id=elsewhere.id, user_id=zelda.id, pseudonym=ASKED,
                               message=f"I am {NAME}, {EMAIL}"))
    db.session.commit()
    token = factories.make_token(user=zelda)
    client = as_user(zelda)
    created = client.post(f"/api/v1/spaces/{space.id}/threads",
                          json={"title": "Choosing a course", "body": "Welding or nursing?"},
                          headers={"Idempotency-Key": "zelda-1"})
    assert created.status_code == HTTPStatus.CREATED, created.json
    thread_id, post_id = created.json["thread"]["id"], created.json["post"]["id"]
    assert client.patch(f"/api/v1/posts/{post_id}",
                        json={"body": "Welding or nursing, what do you think?"}
                        ).status_code == HTTPStatus.OK
    reply = forum_actions.check_create_post(
        db.session.get(Post, post_id).thread, get_membership(other_member, space.id),
        body="Nursing has good prospects.")
    db.session.commit()
    moderation_actions.check_flag_post(reply, Reader(space, get_membership(zelda, space.id)),
                                       reason="other", note=f"Flagged by {PSEUDONYM}")
    db.session.commit()
    client.get(f"/api/v1/threads/{thread_id}/posts")  # a read position
    # what facilitators hold about her: a private note and her one-to-one conversation
    zelda_reader = Reader(space, get_membership(zelda, space.id))
    facilitator_reader = Reader(space, get_membership(facilitator, space.id))
    facilitation_notes.check_add_note(facilitator_reader, get_membership(zelda, space.id),
                                      body=f"{NAME} ({PSEUDONYM}) is unsure about nursing.")
    conversation, _ = facilitation_conversations.check_start_conversation(
        zelda_reader, body=f"It is me, {NAME}. Can we talk?")
    facilitation_conversations.check_send_message(conversation, facilitator_reader,
                                                  body=f"Of course, {PSEUDONYM}.")
    db.session.commit()
    email.do_update_preferences(zelda, digest=False)
    db.session.add(OutboxEmail(user_id=zelda.id, space_id=space.id, kind="reply", source_id=1))
    db.session.commit()
    return zelda, token, post_id


def needles(token: str) -> list[str]:
    return [EMAIL, NAME, PSEUDONYM, ASKED, token[:8]]


@pytest.mark.parametrize("delete_posts", [False, True])
def test_nothing_of_an_erased_member_remains_in_any_text_column(
        app, as_user, space, facilitator, other_member, delete_posts):
    zelda, token, post_id = build(space, facilitator, other_member, as_user)
    assert {hit[2] for hit in find_everywhere(needles(token))} == set(needles(token))

    response = as_user(zelda).delete("/api/v1/me", json={"password": PASSWORD,
                                                         "delete_posts": delete_posts})
    assert response.status_code == HTTPStatus.NO_CONTENT, response.json

    assert find_everywhere(needles(token)) == []
    user = db.session.get(User, zelda.id)
    assert user.status == UserStatus.ERASED
    assert (user.email, user.password_hash, user.locale) == (None, None, None)
    assert db.session.scalar(sa.select(sa.func.count(Membership.id))
                             .where(Membership.user_id == zelda.id)) == 0
    flag = db.session.scalar(sa.select(Flag).where(Flag.user_id == zelda.id))
    assert flag is not None and flag.note == ""
    post = db.session.get(Post, post_id)
    assert post.author_id is None
    if delete_posts:
        assert post.source == "" and post.state == PostState.REMOVED
    else:
        assert post.source == "Welding or nursing, what do you think?"
    shown = as_user(other_member).get(f"/api/v1/threads/{post.thread_id}/posts").json
    assert shown["items"][0]["author"]["name"] == "deleted member"
    audit = db.session.scalars(sa.select(AuditEntry).where(
        sa.or_(AuditEntry.actor_id == zelda.id, AuditEntry.target_id == zelda.id))).all()
    assert any(a.action == "user:erase" and a.data["acceptances"] == 2 for a in audit)
    # signed out everywhere: the old session and the token stop working
    assert as_user(zelda).get("/api/v1/me").status_code == HTTPStatus.UNAUTHORIZED
    assert app.test_client().get("/api/v1/me", headers={
        "Authorization": f"Bearer {token}"}).status_code == HTTPStatus.UNAUTHORIZED


def test_a_wrong_password_erases_nothing(app, as_user, space, member):
    response = as_user(member).delete("/api/v1/me", json={"password": "wrong"})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "password" in response.json["error"]["fields"]
    assert db.session.get(User, member.id).status == UserStatus.ACTIVE


def test_the_last_facilitator_of_a_space_cannot_erase_until_replaced(
        app, as_user, space, facilitator, admin):
    response = as_user(facilitator).delete("/api/v1/me", json={"password": PASSWORD})
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json["error"]["code"] == "last_facilitator"
    assert "Next steps" in response.json["error"]["message"]
    page = as_user(facilitator).post("/profile/delete", data={"password": PASSWORD,
                                                              "confirm": "y"})
    assert page.status_code == HTTPStatus.CONFLICT
    assert db.session.get(User, facilitator.id).status == UserStatus.ACTIVE
    other = factories.make_user(display_name="Second Facilitator")
    as_user(admin).post(f"/api/v1/spaces/{space.id}/facilitators", json={"user_id": other.id})
    response = as_user(facilitator).delete("/api/v1/me", json={"password": PASSWORD})
    assert response.status_code == HTTPStatus.NO_CONTENT


def test_the_delete_page_asks_for_the_password_and_confirmation(app, as_user, space, member):
    client = as_user(member)
    page = client.get("/profile/delete")
    assert page.status_code == HTTPStatus.OK and "deleted member" in page.get_data(True)
    unconfirmed = client.post("/profile/delete", data={"password": PASSWORD})
    assert unconfirmed.status_code == HTTPStatus.BAD_REQUEST
    assert db.session.get(User, member.id).status == UserStatus.ACTIVE
    done = client.post("/profile/delete", data={"password": PASSWORD, "confirm": "y"})
    assert done.status_code == HTTPStatus.FOUND and done.location.startswith("/sign-in")
    assert db.session.get(User, member.id).status == UserStatus.ERASED


def test_signed_out_visitors_cannot_erase(app, client):
    assert client.delete("/api/v1/me", json={"password": "x"}).status_code == \
        HTTPStatus.UNAUTHORIZED


def test_registered_erasure_hooks_run_inside_the_erasure(app, as_user, space, member,
                                                         monkeypatch):
    from community.privacy import erasure

    seen = []
    monkeypatch.setattr(erasure, "erasure_hooks", [lambda user: seen.append(
        (user.id, user.email))])
    as_user(member).delete("/api/v1/me", json={"password": PASSWORD})
    assert seen == [(member.id, "mads@example.org")]  # before the profile is emptied
