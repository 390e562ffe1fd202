"""The space's moderation policy decides whether members' posts wait for review."""

from __future__ import annotations

from http import HTTPStatus

from community.extensions import db
from community.forums.models import PostState
from community.moderation.models import ReviewState
from community.spaces.models import ModerationPolicy
from tests.moderation.conftest import events, item_of, log_actions, reply


def test_post_moderation_publishes_at_once_and_queues_nothing(space, thread, member):
    post = reply(thread, member, "I would like to become a carpenter.")
    assert post.state == PostState.PUBLISHED
    assert item_of(post) is None


def test_pre_moderation_holds_every_member_post_and_tells_the_author_why(
        space, thread, member, as_user):
    space.moderation_policy = ModerationPolicy.PRE
    db.session.commit()
    response = as_user(member).post(f"/api/v1/threads/{thread.id}/posts",
                                    json={"body": "Is a gap year a good idea?"})
    assert response.status_code == HTTPStatus.CREATED
    body = response.get_json()["post"]
    assert body["state"] == "pending"
    assert "reviewed before it is shown" in body["state_reason"]
    post_id = body["id"]
    from community.forums.models import Post

    item = item_of(db.session.get(Post, post_id))
    assert item.state == ReviewState.PENDING
    assert item.reasons == [{"kind": "pre_moderation", "detail": ""}]
    assert log_actions(item_id=item.id) == ["hold"]
    held = events("post.held")
    assert held and {e.audience for e in held} == {"facilitators", f"user:{member.id}"}
    assert {e.audience for e in events("queue.changed")} == {"facilitators"}


def test_facilitators_posts_are_never_held(space, thread, facilitator):
    space.moderation_policy = ModerationPolicy.PRE
    db.session.commit()
    post = reply(thread, facilitator, "My email is frida@example.org, write any time.")
    assert post.state == PostState.PUBLISHED
    assert item_of(post) is None


def test_new_members_first_posts_are_held_up_to_the_spaces_number(
        space, thread, member, as_user, facilitator):
    space.moderation_policy = ModerationPolicy.NEW_MEMBERS
    db.session.commit()
    response = as_user(facilitator).patch(f"/api/v1/spaces/{space.id}/moderation",
                                          json={"new_member_holds": 2})
    assert response.status_code == HTTPStatus.OK
    states = [reply(thread, member, f"Post number {n}").state for n in range(3)]
    assert states == [PostState.PENDING, PostState.PENDING, PostState.PUBLISHED]


def test_members_never_see_others_held_or_rejected_posts(
        space, thread, member, other_member, facilitator, as_user):
    space.moderation_policy = ModerationPolicy.PRE
    db.session.commit()
    held = reply(thread, member, "Held text nobody else may read")
    other = as_user(other_member)
    listing = other.get(f"/api/v1/threads/{thread.id}/posts").get_json()["items"]
    assert held.id not in [p["id"] for p in listing]
    assert other.get(f"/api/v1/posts/{held.id}").status_code == HTTPStatus.NOT_FOUND
    page = other.get(f"/threads/{thread.id}")
    assert b"Held text nobody else may read" not in page.data
    # the author sees it with the reason, the facilitator sees it
    own = as_user(member).get(f"/api/v1/posts/{held.id}").get_json()
    assert own["state"] == "pending" and own["state_reason"]
    assert as_user(facilitator).get(f"/api/v1/posts/{held.id}").status_code == HTTPStatus.OK
    item = item_of(held)
    response = as_user(facilitator).post(f"/api/v1/queue/{item.id}/reject",
                                         json={"version": item.version, "reason": "Off topic"})
    assert response.status_code == HTTPStatus.OK
    assert other.get(f"/api/v1/posts/{held.id}").status_code == HTTPStatus.NOT_FOUND
    own = as_user(member).get(f"/api/v1/posts/{held.id}").get_json()
    assert own["state"] == "rejected" and own["state_reason"] == "Off topic"
