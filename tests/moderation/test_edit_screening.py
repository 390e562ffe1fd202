"""An author's edit is screened like a new post: an edit cannot slip blocked words,
held words or personal data past moderation after the post went out."""

from __future__ import annotations

from http import HTTPStatus

import sqlalchemy as sa

from community.extensions import db
from community.forums.models import Post, PostRevision, PostState
from community.realtime import rooms
from community.spaces.models import ModerationPolicy
from tests.moderation.conftest import events, item_of, log_actions, reply

PERSONAL = "Text me on +47 912 34 567 instead"


def published_post(thread, member) -> Post:  # type: ignore[no-untyped-def]
    post = reply(thread, member, "Does anyone know a good apprenticeship?")
    assert post.state == PostState.PUBLISHED
    return post


def test_an_edit_with_a_blocked_word_is_refused_and_changes_nothing(
        space, thread, member, facilitator, as_user):
    post = published_post(thread, member)
    response = as_user(facilitator).post(f"/api/v1/spaces/{space.id}/watched-words",
                                         json={"pattern": "loser*", "action": "block"})
    assert response.status_code == HTTPStatus.CREATED
    edited = as_user(member).patch(f"/api/v1/posts/{post.id}",
                                   json={"body": "You are all losers"})
    assert edited.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert edited.get_json()["error"]["code"] == "blocked_by_rule"
    db.session.refresh(post)
    assert post.source == "Does anyone know a good apprenticeship?"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PostRevision)) == 0


def test_personal_data_edited_into_a_published_post_takes_it_out_of_view_and_queues_it(
        space, thread, member, other_member, as_user):
    post = published_post(thread, member)
    edited = as_user(member).patch(f"/api/v1/posts/{post.id}", json={"body": PERSONAL})
    assert edited.status_code == HTTPStatus.OK
    body = edited.get_json()["post"]
    assert body["state"] == "pending" and "phone" in body["state_reason"]
    item = item_of(post)
    assert item is not None and [r["kind"] for r in item.reasons] == ["personal_data"]
    assert "hold" in log_actions(item_id=item.id)
    # The other members lose the post at once and never get the new text, live or on replay.
    assert events("post.hidden")[-1].audience == rooms.SPACE
    for event in db.session.scalars(sa.select(sa.text("data")).select_from(
            sa.table("events", sa.column("data"), sa.column("audience")))
            .where(sa.text("audience = :a")).params(a=rooms.SPACE)):
        assert "912 34 567" not in str(event)
    page = as_user(other_member).get(f"/threads/{thread.id}")
    assert page.status_code == HTTPStatus.OK and b"912 34 567" not in page.data
    assert post.thread.post_count == 1  # the facilitator's opening post only
    # The author is told why.
    held = events("post.held")[-1]
    assert held.audience == rooms.user(member.id) and "phone" in held.data["reason"]


def test_a_flag_word_edited_in_keeps_the_post_published_and_queues_it(
        space, thread, member, facilitator, as_user):
    post = published_post(thread, member)
    as_user(facilitator).post(f"/api/v1/spaces/{space.id}/watched-words",
                              json={"pattern": "quit school", "action": "flag"})
    edited = as_user(member).patch(f"/api/v1/posts/{post.id}",
                                   json={"body": "Maybe I should quit school"})
    assert edited.get_json()["post"]["state"] == "published"
    assert item_of(post).reasons == [{"kind": "watched_word_flag", "detail": "quit school"}]
    assert "auto_flag" in log_actions(item_id=item_of(post).id)


def test_in_a_pre_moderated_space_an_edit_is_reviewed_again(
        space, thread, member, as_user):
    post = published_post(thread, member)
    space.moderation_policy = ModerationPolicy.PRE
    db.session.commit()
    edited = as_user(member).patch(f"/api/v1/posts/{post.id}",
                                   json={"body": "Something quite different now"})
    assert edited.get_json()["post"]["state"] == "pending"
    assert item_of(post) is not None


def test_a_clean_edit_queues_nothing_and_a_facilitators_edit_is_not_screened(
        space, thread, member, facilitator, as_user):
    post = published_post(thread, member)
    clean = as_user(member).patch(f"/api/v1/posts/{post.id}",
                                  json={"body": "Does anyone know a good carpentry course?"})
    assert clean.get_json()["post"]["state"] == "published"
    assert item_of(post) is None
    by_facilitator = as_user(facilitator).patch(
        f"/api/v1/posts/{post.id}", json={"body": PERSONAL, "reason": "example for the group"})
    assert by_facilitator.status_code == HTTPStatus.OK
    assert by_facilitator.get_json()["post"]["state"] == "published"
    assert item_of(post) is None
