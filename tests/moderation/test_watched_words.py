"""Watched-word actions on real posts: block, hold, censor, flag; rules set per space and
site-wide; personal data held with the reason shown."""

from __future__ import annotations

from http import HTTPStatus

import sqlalchemy as sa

from community.admin.models import AuditEntry
from community.extensions import db
from community.forums.models import Post, PostState
from community.moderation.models import WatchedWord
from community.moderation.watched import CENSOR_MARK
from tests.moderation.conftest import events, item_of


def add(client, path, pattern, action):  # type: ignore[no-untyped-def]
    response = client.post(path, json={"pattern": pattern, "action": action})
    assert response.status_code == HTTPStatus.CREATED, response.get_json()
    return response.get_json()


def test_a_blocked_word_refuses_the_post_naming_the_rule_and_stores_nothing(
        space, thread, member, facilitator, as_user):
    add(as_user(facilitator), f"/api/v1/spaces/{space.id}/watched-words", "loser*", "block")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Post))
    response = as_user(member).post(f"/api/v1/threads/{thread.id}/posts",
                                    json={"body": "What a bunch of Losers"})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    error = response.get_json()["error"]
    assert error["code"] == "blocked_by_rule" and "loser*" in error["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == before
    page = as_user(member).post(f"/threads/{thread.id}/posts",
                                data={"body": "What a bunch of losers"})
    assert page.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert b"loser*" in page.data
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == before


def test_a_held_word_queues_the_post_and_tells_the_author(
        space, thread, member, admin, as_user):
    add(as_user(admin), "/api/v1/watched-words", "drugs", "hold")
    response = as_user(member).post(f"/api/v1/threads/{thread.id}/posts",
                                    json={"body": "Do employers test for drugs?"})
    post = response.get_json()["post"]
    assert post["state"] == "pending" and "drugs" in post["state_reason"]
    item = item_of(db.session.get(Post, post["id"]))
    assert item.reasons == [{"kind": "watched_word", "detail": "drugs"}]


def test_a_censored_word_is_replaced_in_the_html_and_events_but_kept_in_the_source(
        space, thread, member, facilitator, other_member, as_user):
    add(as_user(facilitator), f"/api/v1/spaces/{space.id}/watched-words", "darn", "censor")
    response = as_user(member).post(f"/api/v1/threads/{thread.id}/posts",
                                    json={"body": "That **darn** interview"})
    post_id = response.get_json()["post"]["id"]
    post = db.session.get(Post, post_id)
    assert post.state == PostState.PUBLISHED
    assert "darn" not in post.body_html and CENSOR_MARK in post.body_html
    assert "<strong>" in post.body_html
    assert post.source == "That **darn** interview"
    assert "darn" not in events("post.created")[-1].data["post"]["body_html"]
    edited = as_user(member).patch(f"/api/v1/posts/{post_id}",
                                   json={"body": "That darn, darn day"})
    assert edited.status_code == HTTPStatus.OK
    db.session.refresh(post)
    assert "darn" not in post.body_html
    for event in events("post.created") + events("post.updated"):
        assert "darn" not in event.data["post"]["body_html"]


def test_a_flag_word_publishes_and_queues(space, thread, member, facilitator, as_user):
    add(as_user(facilitator), f"/api/v1/spaces/{space.id}/watched-words", "quit school",
        "flag")
    response = as_user(member).post(f"/api/v1/threads/{thread.id}/posts",
                                    json={"body": "I want to quit   school tomorrow"})
    post = db.session.get(Post, response.get_json()["post"]["id"])
    assert post.state == PostState.PUBLISHED
    assert item_of(post).reasons == [{"kind": "watched_word_flag", "detail": "quit school"}]


def test_personal_data_is_held_with_the_kind_named_to_the_author(
        space, thread, member, as_user):
    response = as_user(member).post(f"/api/v1/threads/{thread.id}/posts",
                                    json={"body": "Mail me: robin@example.com or +47 912 34 567"})
    post = response.get_json()["post"]
    assert post["state"] == "pending"
    assert "e-mail address" in post["state_reason"] and "phone number" in post["state_reason"]
    item = item_of(db.session.get(Post, post["id"]))
    assert item.reasons == [{"kind": "personal_data", "detail": "email, phone"}]
    assert item.rank == 1


def test_rules_are_validated_deduplicated_audited_and_deleted_by_their_owners(
        space, facilitator, member, admin, as_user):
    client = as_user(facilitator)
    bad = client.post(f"/api/v1/spaces/{space.id}/watched-words",
                      json={"pattern": "(a+)+$", "action": "block"})
    assert bad.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "pattern" in bad.get_json()["error"]["fields"]
    word = add(client, f"/api/v1/spaces/{space.id}/watched-words", "Idiot", "hold")
    assert word["pattern"] == "idiot"
    dup = client.post(f"/api/v1/spaces/{space.id}/watched-words",
                      json={"pattern": "IDIOT", "action": "block"})
    assert dup.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    site = add(as_user(admin), "/api/v1/watched-words", "scam", "block")
    assert client.delete(f"/api/v1/watched-words/{site['id']}").status_code == \
        HTTPStatus.FORBIDDEN
    assert as_user(member).delete(f"/api/v1/watched-words/{word['id']}").status_code == \
        HTTPStatus.NOT_FOUND
    assert client.delete(f"/api/v1/watched-words/{word['id']}").status_code == \
        HTTPStatus.NO_CONTENT
    assert db.session.get(WatchedWord, word["id"]) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "watched_word:change")) == 3
    page = client.post(f"/spaces/{space.id}/watched-words",
                       data={"pattern": "a*b", "action": "hold"})
    assert page.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
