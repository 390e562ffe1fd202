"""Threads and posts through the JSON API: who may do what, what is stored, what is shown."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import sqlalchemy as sa

from community.admin.models import AuditEntry
from community.cli import cli
from community.database import utcnow
from community.extensions import db
from community.forums.models import (
    IdempotencyKey,
    Notification,
    Post,
    PostRevision,
    PostState,
    ReadState,
    Thread,
)
from community.realtime.models import Event
from community.spaces.models import ModerationPolicy
from community.spaces.queries import get_membership
from tests import factories
from tests.forums.conftest import hold, reply, start_thread, write_while_the_space_is_busy


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def events(space, type_=None):  # type: ignore[no-untyped-def]
    query = sa.select(Event).where(Event.space_id == space.id).order_by(Event.id)
    if type_:
        query = query.where(Event.type == type_)
    return list(db.session.scalars(query))


# --- starting threads and replying -----------------------------------------------------

def test_a_member_starts_a_thread_and_its_events_are_recorded(space, member, as_user):
    response = as_user(member).post(f"/api/v1/spaces/{space.id}/threads",
                                    json={"title": "  First   steps ", "body": "**Hello** all"})
    assert response.status_code == HTTPStatus.CREATED
    thread, post = response.json["thread"], response.json["post"]
    assert thread["title"] == "First steps" and thread["post_count"] == 1
    assert post["body_html"] == "<p><strong>Hello</strong> all</p>\n"
    assert post["body"] == "**Hello** all"  # the author gets the source
    assert post["author"] == {"membership_id": post["author"]["membership_id"], "name": "Robin",
                              "pseudonym": "Robin", "role": "member"}
    assert "display_name" not in post["author"]
    stored = db.session.get(Post, post["id"])
    assert stored.state == PostState.PUBLISHED and stored.source == "**Hello** all"
    assert [(e.type, e.audience) for e in events(space)] == [
        ("thread.created", "space"), ("post.created", "space")]
    assert events(space, "post.created")[0].data["post"]["body_html"] == post["body_html"]


def test_a_reply_is_stored_counted_and_announced(space, member, other_member, thread, as_user):
    response = as_user(other_member).post(f"/api/v1/threads/{thread.id}/posts",
                                          json={"body": "Me too"})
    assert response.status_code == HTTPStatus.CREATED
    db.session.refresh(thread)
    assert thread.post_count == 2 and thread.last_post_id == response.json["post"]["id"]
    assert events(space, "post.created")[-1].data["post"]["id"] == response.json["post"]["id"]


def test_bad_input_is_refused_with_fields_and_nothing_is_written(space, member, as_user):
    client = as_user(member)
    before = (count(Thread), count(Post), count(Event))
    for body, field in [({"title": "ab", "body": "x"}, "title"),
                        ({"title": "A good title", "body": "  \n\t "}, "body"),
                        ({"title": "A good title", "body": "x" * 20_001}, "body"),
                        ({"title": "A good title", "body": "\x00\x01\u202e"}, "body"),
                        ({"title": "x" * 201, "body": "fine"}, "title"),
                        ({"title": "A good title"}, "body"),
                        ({"title": "A good title", "body": 42}, "body"),
                        ({"title": "A good title", "body": "ok", "kind": "poll"}, "kind")]:
        response = client.post(f"/api/v1/spaces/{space.id}/threads", json=body)
        assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, body
        assert field in response.json["error"]["fields"], body
    assert client.post(f"/api/v1/spaces/{space.id}/threads", data="{oops",
                       headers={"Content-Type": "application/json"}).status_code == \
        HTTPStatus.BAD_REQUEST
    assert (count(Thread), count(Post), count(Event)) == before


def test_a_body_of_exactly_the_limit_is_accepted(space, member, thread, as_user):
    response = as_user(member).post(f"/api/v1/threads/{thread.id}/posts",
                                    json={"body": "  " + "é" * 20_000 + "\n"})
    assert response.status_code == HTTPStatus.CREATED


def test_a_request_larger_than_the_limit_is_413(space, member, thread, as_user):
    response = as_user(member).post(f"/api/v1/threads/{thread.id}/posts",
                                    json={"body": "x" * 2_000_000})
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json["error"]["code"] == "too_large"


def test_hostile_posts_are_stored_safe_and_their_text_survives(space, member, thread, as_user):
    source = ("<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=y> "
              "\u202eevil\u202c مرحبا 👨‍👩‍👧 Zoë\x07")
    response = as_user(member).post(f"/api/v1/threads/{thread.id}/posts", json={"body": source})
    assert response.status_code == HTTPStatus.CREATED
    stored = db.session.get(Post, response.json["post"]["id"])
    assert "<script" not in stored.body_html and "<img" not in stored.body_html
    assert 'href="javascript' not in stored.body_html
    assert "\u202e" not in stored.source and "\x07" not in stored.source
    for survivor in ("&lt;script&gt;", "مرحبا", "👨‍👩‍👧", "Zoë", "evil"):
        assert survivor in stored.body_html


def test_an_idempotency_key_makes_a_retry_create_one_post(space, member, thread, as_user):
    client = as_user(member)
    headers = {"Idempotency-Key": "retry-1"}
    first = client.post(f"/api/v1/threads/{thread.id}/posts", json={"body": "Once"},
                        headers=headers)
    again = client.post(f"/api/v1/threads/{thread.id}/posts", json={"body": "Once"},
                        headers=headers)
    assert first.status_code == again.status_code == HTTPStatus.CREATED
    assert first.json["post"]["id"] == again.json["post"]["id"]
    assert db.session.scalar(sa.select(sa.func.count()).where(Post.source == "Once")) == 1
    assert len(events(space, "post.created")) == 2  # the thread's first post and this one
    other = client.post(f"/api/v1/threads/{thread.id}/posts", json={"body": "Different"},
                        headers=headers)
    assert other.status_code == HTTPStatus.CONFLICT
    assert other.json["error"]["code"] == "idempotency_key_reused"
    assert count(IdempotencyKey) == 1


def test_an_idempotency_key_protects_for_a_day_and_the_purge_forgets_it(
        app, space, member, thread, as_user):
    client = as_user(member)
    headers = {"Idempotency-Key": "yesterday"}
    first = client.post(f"/api/v1/threads/{thread.id}/posts", json={"body": "Hi"},
                        headers=headers).json["post"]["id"]
    db.session.execute(sa.update(IdempotencyKey).values(
        created_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    # A day later the same key is a new request, not a replay of the old post.
    again = client.post(f"/api/v1/threads/{thread.id}/posts", json={"body": "Hi"},
                        headers=headers)
    assert again.status_code == HTTPStatus.CREATED and again.json["post"]["id"] != first
    db.session.execute(sa.update(IdempotencyKey).values(
        created_at=utcnow() - timedelta(hours=25)))
    client.post(f"/api/v1/threads/{thread.id}/posts", json={"body": "Fresh"},
                headers={"Idempotency-Key": "today"})
    db.session.commit()
    output = app.test_cli_runner().invoke(cli, ["purge"]).output
    assert "1 idempotency key(s)" in output
    assert list(db.session.scalars(sa.select(IdempotencyKey.key))) == ["today"]


def test_an_idempotent_thread_start_creates_one_thread(space, member, as_user):
    client = as_user(member)
    body = {"title": "Only once", "body": "Hello"}
    ids = {client.post(f"/api/v1/spaces/{space.id}/threads", json=body,
                       headers={"Idempotency-Key": "k"}).json["thread"]["id"] for _ in range(3)}
    assert len(ids) == 1 and count(Thread) == 1


def test_posting_is_rate_limited_per_member(app, space, member, other_member, thread, as_user):
    app.config["POST_RATE_LIMIT"] = "3 per minute"
    try:
        client = as_user(member)
        for n in range(3):
            assert client.post(f"/api/v1/threads/{thread.id}/posts",
                               json={"body": f"post {n}"}).status_code == HTTPStatus.CREATED
        # A refused post does not use up the budget; the fourth good one is over it.
        limited = client.post(f"/api/v1/spaces/{space.id}/threads",
                              json={"title": "Another", "body": "x"})
        assert limited.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert limited.json["error"]["code"] == "rate_limited"
        assert as_user(other_member).post(f"/api/v1/threads/{thread.id}/posts",
                                          json={"body": "mine"}).status_code == \
            HTTPStatus.CREATED
    finally:
        app.config["POST_RATE_LIMIT"] = "20 per minute"


# --- who may see and do what -----------------------------------------------------------

def _content_urls(space, thread, post):  # type: ignore[no-untyped-def]
    return [("get", f"/api/v1/spaces/{space.id}/threads", None),
            ("post", f"/api/v1/spaces/{space.id}/threads", {"title": "Hello there", "body": "x"}),
            ("get", f"/api/v1/threads/{thread.id}", None),
            ("patch", f"/api/v1/threads/{thread.id}", {"pinned": True}),
            ("get", f"/api/v1/threads/{thread.id}/posts", None),
            ("post", f"/api/v1/threads/{thread.id}/posts", {"body": "x"}),
            ("post", f"/api/v1/threads/{thread.id}/read", {"post_id": post.id}),
            ("get", f"/api/v1/posts/{post.id}", None),
            ("patch", f"/api/v1/posts/{post.id}", {"body": "changed", "reason": "r"}),
            ("delete", f"/api/v1/posts/{post.id}", None),
            ("get", f"/api/v1/posts/{post.id}/revisions", None),
            ("get", f"/api/v1/spaces/{space.id}/search?q=lost", None),
            ("get", f"/api/v1/spaces/{space.id}/events", None)]


def test_nobody_outside_the_space_learns_anything_about_its_content(
        space, member, admin, outsider, as_user):
    thread, post = start_thread(space, member)
    elsewhere = factories.make_user(display_name="Elsa Elsewhere")
    factories.make_space(name="Other space", members=[elsewhere])
    for user in (outsider, admin, elsewhere):
        client = as_user(user)
        for method, url, body in _content_urls(space, thread, post):
            response = getattr(client, method)(url, json=body)
            assert response.status_code == HTTPStatus.NOT_FOUND, (user.display_name, url)
            assert response.json["error"]["code"] == "not_found"
    assert count(Post) == 1 and db.session.get(Post, post.id).state == PostState.PUBLISHED


def test_unknown_ids_are_404_and_anonymous_callers_401(space, member, as_user, client):
    for url in ("/api/v1/threads/999999", "/api/v1/posts/999999",
                "/api/v1/spaces/999999/threads"):
        assert as_user(member).get(url).status_code == HTTPStatus.NOT_FOUND
    assert client.get(f"/api/v1/spaces/{space.id}/threads").status_code == \
        HTTPStatus.UNAUTHORIZED


def test_a_member_who_has_not_accepted_the_new_agreement_gets_428(space, member, facilitator,
                                                                 as_user):
    thread, post = start_thread(space, member)
    factories.make_agreement(space=space, title="Version 2", accepted_by=[facilitator])
    client = as_user(member)
    for method, url, body in _content_urls(space, thread, post):
        response = getattr(client, method)(url, json=body)
        assert response.status_code == HTTPStatus.PRECONDITION_REQUIRED, url
        assert response.json["error"]["code"] == "agreement_required"
    assert as_user(facilitator).get(f"/api/v1/threads/{thread.id}").status_code == HTTPStatus.OK


def test_only_facilitators_pin_lock_and_rename(space, member, facilitator, thread, as_user):
    url = f"/api/v1/threads/{thread.id}"
    assert as_user(member).patch(url, json={"pinned": True}).status_code == HTTPStatus.FORBIDDEN
    response = as_user(facilitator).patch(url, json={"pinned": True, "locked": True,
                                                     "title": "Renamed thread"})
    assert response.status_code == HTTPStatus.OK
    assert response.json["pinned"] and response.json["locked"]
    db.session.refresh(thread)
    assert thread.title == "Renamed thread"
    audit = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "thread:update"))
    assert audit.target_id == thread.id and audit.data["changes"]["title"][1] == "Renamed thread"
    assert events(space, "thread.updated")[-1].data["thread"]["locked"] is True
    # The earlier thread.created event no longer carries the old title.
    assert events(space, "thread.created")[0].data["thread"]["title"] == "Renamed thread"
    locked = as_user(member).post(f"{url}/posts", json={"body": "let me in"})
    assert locked.status_code == HTTPStatus.FORBIDDEN
    assert locked.json["error"]["code"] == "thread_locked"
    assert as_user(facilitator).post(f"{url}/posts", json={"body": "Closing words"}).status_code \
        == HTTPStatus.CREATED
    assert as_user(facilitator).patch(url, json={"title": "no"}).status_code == \
        HTTPStatus.UNPROCESSABLE_ENTITY


def test_pinned_threads_come_first_then_latest_activity(space, member, facilitator, as_user):
    old, _ = start_thread(space, member, title="Old one")
    pinned, _ = start_thread(space, member, title="Pinned one")
    start_thread(space, member, title="New one")
    reply(old, member, "bump")
    as_user(facilitator).patch(f"/api/v1/threads/{pinned.id}", json={"pinned": True})
    items = as_user(member).get(f"/api/v1/spaces/{space.id}/threads").json["items"]
    assert [t["title"] for t in items] == ["Pinned one", "Old one", "New one"]


def test_thread_lists_are_paginated_by_cursor(space, member, as_user):
    for n in range(7):
        start_thread(space, member, title=f"Thread {n}")
    client, seen, cursor = as_user(member), [], None
    while True:
        page = client.get(f"/api/v1/spaces/{space.id}/threads",
                          query_string={"limit": 3, "cursor": cursor} if cursor else
                          {"limit": 3}).json
        seen += [t["title"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Thread {n}" for n in reversed(range(7))]
    bad = client.get(f"/api/v1/spaces/{space.id}/threads?cursor=garbage")
    assert bad.status_code == HTTPStatus.UNPROCESSABLE_ENTITY


def test_posts_page_forwards_and_from_the_end(space, member, thread, as_user):
    for n in range(9):
        reply(thread, member, f"reply {n}")
    client = as_user(member)
    url = f"/api/v1/threads/{thread.id}/posts"
    first = client.get(url, query_string={"limit": 4}).json
    assert len(first["items"]) == 4 and first["prev_cursor"] is None
    second = client.get(url, query_string={"limit": 4, "cursor": first["next_cursor"]}).json
    assert second["items"][0]["id"] > first["items"][-1]["id"]
    last = client.get(url, query_string={"limit": 4, "last": "true"}).json
    assert [p["body"] for p in last["items"]] == [f"reply {n}" for n in range(5, 9)]
    assert last["next_cursor"] is None
    back = client.get(url, query_string={"limit": 4, "cursor": last["prev_cursor"]}).json
    assert [p["body"] for p in back["items"]] == [f"reply {n}" for n in range(1, 5)]


def test_announcements_are_for_facilitators_and_replies_only_if_allowed(space, member,
                                                                       facilitator, as_user):
    url = f"/api/v1/spaces/{space.id}/threads"
    body = {"title": "Session on Monday", "body": "Bring questions", "kind": "announcement",
            "replies_allowed": False}
    assert as_user(member).post(url, json=body).status_code == HTTPStatus.FORBIDDEN
    created = as_user(facilitator).post(url, json=body)
    assert created.status_code == HTTPStatus.CREATED
    thread_id = created.json["thread"]["id"]
    closed = as_user(member).post(f"/api/v1/threads/{thread_id}/posts", json={"body": "Q?"})
    assert closed.json["error"]["code"] == "replies_closed"
    as_user(facilitator).patch(f"/api/v1/threads/{thread_id}", json={"replies_allowed": True})
    assert as_user(member).post(f"/api/v1/threads/{thread_id}/posts",
                                json={"body": "Q?"}).status_code == HTTPStatus.CREATED


# --- editing, removing, revisions ------------------------------------------------------

def test_the_author_edits_and_the_earlier_version_is_kept(space, member, thread, as_user):
    post = db.session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
    response = as_user(member).patch(f"/api/v1/posts/{post.id}",
                                     json={"body": "I finished school.", "reason": "typo"})
    assert response.status_code == HTTPStatus.OK
    assert response.json["post"]["edited_at"] is not None
    revision = db.session.scalar(sa.select(PostRevision))
    assert revision.source == "I finished school and feel lost."
    assert revision.changed_by_id == member.id and revision.reason == "typo"
    assert events(space, "post.updated")[0].data["post"]["body_html"] == \
        "<p>I finished school.</p>\n"
    # Replay never hands out the superseded text.
    assert "lost" not in events(space, "post.created")[0].data["post"]["body_html"]
    assert count(AuditEntry) == 0  # an author's own edit is not an audited change


def test_revisions_are_for_facilitators_only(space, member, other_member, facilitator, thread,
                                             as_user):
    post = db.session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
    as_user(member).patch(f"/api/v1/posts/{post.id}", json={"body": "Second version"})
    url = f"/api/v1/posts/{post.id}/revisions"
    assert as_user(member).get(url).status_code == HTTPStatus.FORBIDDEN
    assert as_user(other_member).get(url).status_code == HTTPStatus.FORBIDDEN
    revisions = as_user(facilitator).get(url).json["items"]
    assert [r["body"] for r in revisions] == ["I finished school and feel lost."]


def test_others_cannot_edit_or_remove_and_facilitators_must_say_why(
        space, member, other_member, facilitator, thread, as_user):
    post = db.session.scalar(sa.select(Post).where(Post.thread_id == thread.id))
    url = f"/api/v1/posts/{post.id}"
    assert as_user(other_member).patch(url, json={"body": "mine now"}).status_code == \
        HTTPStatus.FORBIDDEN
    assert as_user(other_member).delete(url).status_code == HTTPStatus.FORBIDDEN
    no_reason = as_user(facilitator).patch(url, json={"body": "Tidied"})
    assert no_reason.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "reason" in no_reason.json["error"]["fields"]
    assert as_user(facilitator).patch(url, json={"body": "Tidied", "reason": "name removed"}) \
        .status_code == HTTPStatus.OK
    audit = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "post:edit"))
    assert audit.actor_id == facilitator.id and audit.data["reason"] == "name removed"
    db.session.refresh(post)
    assert post.source == "Tidied"


def test_removal_leaves_a_tombstone_that_hides_the_text_from_members(
        space, member, other_member, facilitator, thread, as_user):
    post = reply(thread, other_member, "Something I regret")
    response = as_user(facilitator).delete(f"/api/v1/posts/{post.id}?reason=personal+data")
    assert response.status_code == HTTPStatus.OK
    db.session.refresh(post)
    assert post.state == PostState.REMOVED and post.removed_by.value == "facilitator"
    audit = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "post:remove"))
    assert audit.target_id == post.id and audit.data["reason"] == "personal data"
    for user in (member, other_member):
        seen = as_user(user).get(f"/api/v1/threads/{thread.id}/posts").json["items"][-1]
        assert seen["state"] == "removed" and seen["removed_by"] == "facilitator"
        assert seen["body_html"] == "" and "body" not in seen
        assert as_user(user).get(f"/api/v1/posts/{post.id}").json["body_html"] == ""
        replay = as_user(user).get(f"/api/v1/spaces/{space.id}/events").json["items"]
        assert "regret" not in str(replay)
    seen = as_user(facilitator).get(f"/api/v1/posts/{post.id}").json
    assert "regret" in seen["body_html"] and seen["body"] == "Something I regret"
    db.session.refresh(thread)
    assert thread.post_count == 1
    assert as_user(other_member).patch(f"/api/v1/posts/{post.id}", json={"body": "x"}) \
        .status_code == HTTPStatus.CONFLICT  # the author cannot bring it back by editing


def test_an_author_removes_their_own_post_and_it_says_so(space, member, thread, as_user):
    post = reply(thread, member, "oops")
    client = as_user(member)
    assert client.delete(f"/api/v1/posts/{post.id}").json["post"]["removed_by"] == "author"
    assert client.delete(f"/api/v1/posts/{post.id}").status_code == HTTPStatus.OK  # idempotent
    assert len(events(space, "post.removed")) == 1
    edit = client.patch(f"/api/v1/posts/{post.id}", json={"body": "back"})
    assert edit.status_code == HTTPStatus.CONFLICT


def test_a_removal_counts_from_the_thread_as_stored_not_as_read_earlier(
        space, member, other_member, thread):
    """Another reply may be counted between reading the thread and removing a post (a
    second web worker): the removal takes one off the stored count, it does not write
    back the count it read."""
    from community.forums import actions

    post = reply(thread, other_member, "To be removed")
    assert thread.post_count == 2  # read by this request
    db.session.execute(sa.update(Thread).where(Thread.id == thread.id)  # another writer
                       .values(post_count=Thread.post_count + 1)
                       .execution_options(synchronize_session=False))
    actions.check_remove_post(post, get_membership(other_member, space.id))
    db.session.commit()
    assert thread.post_count == 2
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).post_count == 2


def test_counting_a_post_out_locks_the_space_before_the_thread_row(space, member, thread):
    """Posting takes the space's event lock, then the thread row; a removal, a hide or a
    rejection counts the post out of the thread in the same order (the other order let
    two workers deadlock). SQLite writes one transaction at a time: nothing to order."""
    from community.forums import actions

    post = reply(thread, member, "Counted, then not")
    actions.count_post(post, -1)
    assert thread.post_count == 1
    if db.engine.dialect.name == "postgresql":
        assert holds_space_lock(space.id) == 1
    db.session.rollback()


def holds_space_lock(space_id: int) -> int:
    """How many times this session's transaction holds the space's event lock."""
    return db.session.scalar(sa.text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 7243 "
        "AND objid = :space AND pid = pg_backend_pid()"), {"space": space_id})


def test_members_never_see_held_posts_of_others_but_facilitators_and_the_author_do(
        space, member, other_member, facilitator, thread, as_user):
    post = hold(reply(thread, other_member, "Call me on 12345678"))
    ids = lambda user: [p["id"] for p in as_user(user).get(  # noqa: E731
        f"/api/v1/threads/{thread.id}/posts").json["items"]]
    assert post.id not in ids(member)
    assert as_user(member).get(f"/api/v1/posts/{post.id}").status_code == HTTPStatus.NOT_FOUND
    assert post.id in ids(facilitator) and post.id in ids(other_member)
    mine = as_user(other_member).get(f"/api/v1/posts/{post.id}").json
    assert mine["state"] == "pending" and mine["state_reason"]
    assert as_user(member).get(f"/api/v1/spaces/{space.id}/search?q=Call").json["items"] == []
    assert as_user(facilitator).get(f"/api/v1/spaces/{space.id}/search?q=Call") \
        .json["items"] == []  # search shows published posts only, to everyone


# --- read state, mentions, search, events ----------------------------------------------

def test_unread_markers_follow_what_a_member_has_read(space, member, other_member, thread,
                                                      as_user):
    client = as_user(other_member)
    listed = client.get(f"/api/v1/spaces/{space.id}/threads").json["items"][0]
    assert listed["unread"] is True
    client.post(f"/api/v1/threads/{thread.id}/read", json={"post_id": thread.last_post_id})
    assert client.get(f"/api/v1/spaces/{space.id}/threads").json["items"][0]["unread"] is False
    reply(thread, member, "news")
    assert client.get(f"/api/v1/spaces/{space.id}/threads").json["items"][0]["unread"] is True
    # The read position never moves back, nor past the end.
    client.post(f"/api/v1/threads/{thread.id}/read", json={"post_id": 10**9})
    client.post(f"/api/v1/threads/{thread.id}/read", json={"post_id": 1})
    db.session.refresh(thread)
    state = db.session.scalar(sa.select(ReadState).where(ReadState.thread_id == thread.id,
                                                         ReadState.last_read_post_id > 1))
    assert state.last_read_post_id == thread.last_post_id
    # Your own posts are read by you.
    assert as_user(member).get(f"/api/v1/threads/{thread.id}").json["unread"] is False


def test_a_mention_links_the_member_and_notifies_them_once(space, member, other_member, thread,
                                                          as_user):
    response = as_user(member).post(f"/api/v1/threads/{thread.id}/posts",
                                    json={"body": "What do you think, @kit? And @Robin?"})
    html = response.json["post"]["body_html"]
    assert 'class="mention"' in html and "@kit</a>" in html
    notes = list(db.session.scalars(sa.select(Notification)))
    assert [n.user_id for n in notes] == [other_member.id]  # not the author herself
    as_user(member).patch(f"/api/v1/posts/{response.json['post']['id']}",
                          json={"body": "What do you think, @Kit?"})
    assert count(Notification) == 1
    listed = as_user(other_member).get("/api/v1/notifications").json
    assert listed["unread"] == 1 and listed["items"][0]["author"]["name"] == "Robin"
    assert as_user(member).get("/api/v1/notifications").json["items"] == []


def test_mention_links_keep_the_path_the_app_is_mounted_under(
        app, space, member, other_member, thread, as_user):
    kit = get_membership(other_member, space.id).id
    mounted = as_user(member).post(f"/api/v1/threads/{thread.id}/posts",
                                   json={"body": "Hello @kit"},
                                   environ_overrides={"SCRIPT_NAME": "/community"})
    assert f'href="/community/spaces/{space.id}/members/{kit}/posts"' in \
        mounted.json["post"]["body_html"]
    # Without a request (the CLI), BASE_URL's path is the mount.
    from community.forums.actions import member_path

    base = app.config["BASE_URL"]
    app.config["BASE_URL"] = "https://guidance.example/community"
    try:
        assert member_path(space.id, kit) == f"/community/spaces/{space.id}/members/{kit}/posts"
    finally:
        app.config["BASE_URL"] = base
    assert member_path(space.id, kit) == f"/spaces/{space.id}/members/{kit}/posts"


def test_real_name_spaces_mention_by_display_name(member, other_member, facilitator, as_user):
    from community.spaces.models import Anonymity

    space = factories.make_space(name="Named", facilitators=[facilitator],
                                 members=[member, other_member], anonymity=Anonymity.REAL_NAMES)
    thread, _ = start_thread(space, member)
    post = reply(thread, member, "Thanks @Olga Other!")
    assert "@Olga Other</a>" in post.body_html
    assert db.session.scalar(sa.select(Notification.user_id)) == other_member.id


def test_search_finds_published_posts_of_this_space_only(space, member, facilitator, thread,
                                                         as_user):
    reply(thread, member, "Apprenticeship as a carpenter sounds good")
    removed = reply(thread, member, "Carpentry secret")
    as_user(member).delete(f"/api/v1/posts/{removed.id}")
    stranger = factories.make_user(display_name="Stranger")
    elsewhere = factories.make_space(name="Elsewhere", members=[stranger, member])
    start_thread(elsewhere, stranger, body="Carpenter in another space")
    for user in (member, facilitator):
        hits = as_user(user).get(f"/api/v1/spaces/{space.id}/search",
                                 query_string={"q": "carpent"}).json["items"]
        assert [h["post"]["body"] if "body" in h["post"] else h["post"]["body_html"]
                for h in hits] == ["Apprenticeship as a carpenter sounds good"]
        assert hits[0]["thread"]["title"] == thread.title
    weird = as_user(member).get(f"/api/v1/spaces/{space.id}/search",
                                query_string={"q": '"NEAR( * OR) AND:'})
    assert weird.status_code == HTTPStatus.OK


def test_search_finds_a_thread_by_its_title_shown_by_its_opening_post(
        space, member, facilitator, as_user):
    thread, opening = start_thread(space, member, title="Bageri eller økonomi?",
                                   body="Jeg kan ikke vælge.")
    reply(thread, member, "Some reply without the words")
    stranger = factories.make_user(display_name="Stranger")
    elsewhere = factories.make_space(name="Elsewhere", members=[stranger])
    start_thread(elsewhere, stranger, title="Bageri i Aarhus", body="Another space")
    db.session.commit()
    for query in ("bageri", "Økonomi", "bager eller"):
        hits = as_user(member).get(f"/api/v1/spaces/{space.id}/search",
                                   query_string={"q": query}).json["items"]
        assert [h["post"]["id"] for h in hits] == [opening.id], query
        assert hits[0]["thread"]["title"] == "Bageri eller økonomi?"
    # Renamed by a facilitator: found by the new title only.
    renamed = as_user(facilitator).patch(f"/api/v1/threads/{thread.id}",
                                         json={"title": "Choosing a trade"})
    assert renamed.status_code == HTTPStatus.OK, renamed.json
    found = as_user(member).get(f"/api/v1/spaces/{space.id}/search", query_string={"q": "trade"})
    assert [h["post"]["id"] for h in found.json["items"]] == [opening.id]
    assert as_user(member).get(f"/api/v1/spaces/{space.id}/search",
                               query_string={"q": "bageri"}).json["items"] == []


def test_the_event_stream_filters_by_audience_and_resumes_after_an_id(
        space, member, other_member, facilitator, thread, as_user):
    from community.realtime.outbox import record_event

    record_event(space.id, "queue.changed", {"n": 1}, audiences=["facilitators"])
    record_event(space.id, "post.held", {"n": 2}, audiences=[f"user:{other_member.id}"])
    db.session.commit()
    url = f"/api/v1/spaces/{space.id}/events"
    types = lambda user, **q: [e["type"] for e in as_user(user).get(  # noqa: E731
        url, query_string=q).json["items"]]
    assert types(member) == ["thread.created", "post.created"]
    assert types(other_member) == ["thread.created", "post.created", "post.held"]
    assert types(facilitator) == ["thread.created", "post.created", "queue.changed"]
    first = as_user(member).get(url, query_string={"limit": 1}).json
    assert first["more"] is True
    rest = as_user(member).get(url, query_string={"after": first["last_event_id"]}).json
    assert [e["type"] for e in rest["items"]] == ["post.created"] and rest["more"] is False
    assert "audience" not in rest["items"][0]


def test_held_posts_are_announced_only_to_facilitators_and_the_author(space, member,
                                                                      other_member, thread):
    from community.forums import actions

    original = actions.initial_state
    actions.initial_state = lambda *a: (PostState.PENDING, ["Held for review"])
    try:
        post = reply(thread, other_member, "Pending text")
    finally:
        actions.initial_state = original
    audiences = {e.audience for e in events(space) if e.subject == f"post:{post.id}"}
    assert audiences == {"facilitators", f"user:{other_member.id}"}
    db.session.refresh(thread)
    assert thread.post_count == 1 and thread.last_post_id != post.id


def test_the_openapi_document_lists_the_forum_operations(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/api/v1/spaces/{space_id}/threads", "/api/v1/threads/{thread_id}",
                 "/api/v1/threads/{thread_id}/posts", "/api/v1/posts/{post_id}",
                 "/api/v1/spaces/{space_id}/events", "/api/v1/spaces/{space_id}/search"):
        assert path in paths, path


def test_a_reply_updates_the_thread_counters_in_the_database_and_in_the_session(
        space, member, other_member, thread):
    from community.forums import actions
    from community.spaces.queries import get_membership

    post = actions.check_create_post(thread, get_membership(other_member, space.id), body="Yes!")
    assert (thread.post_count, thread.last_post_id) == (2, post.id)  # without a reload
    if db.engine.dialect.name == "postgresql":
        # The space's event lock was taken by the counter update itself and is held
        # until commit, so event ids still commit in order within the space.
        assert holds_space_lock(space.id) == 1
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Thread, thread.id)
    assert (stored.post_count, stored.last_post_id) == (2, post.id)
    assert stored.last_post_at == post.created_at
    assert events(space, "post.created")[-1].subject == f"post:{post.id}"


def test_a_reply_checks_the_thread_and_membership_as_they_are_now(
        app, space, member, other_member, thread):
    """A caller may hand the reply objects that an earlier commit expired (a long-lived
    worker, the CLI): the reply reads them afresh with its checks, so a thread locked
    meanwhile by another worker refuses it, and nothing is written."""
    from community.errors import Forbidden
    from community.forums import actions
    from community.spaces.queries import get_membership

    membership = get_membership(other_member, space.id)
    db.session.execute(sa.update(Thread).where(Thread.id == thread.id)  # another worker
                       .values(locked=True).execution_options(synchronize_session=False))
    assert thread.locked is False
    db.session.commit()  # expires thread and membership
    before = (count(Post), count(Event))
    try:
        actions.check_create_post(thread, membership, body="Sneaking in")
    except Forbidden as refused:
        assert refused.code == "thread_locked"
    else:
        raise AssertionError("a reply to a thread locked meanwhile was accepted")
    db.session.rollback()
    assert thread.locked is True
    assert (count(Post), count(Event)) == before


def test_a_reply_waits_for_the_space_before_it_locks_the_thread_or_takes_an_event_id(
        app, space, member, other_member, thread):
    """A reply's writes are one statement on PostgreSQL; the space's event lock in it
    comes before the thread row and the event ids (which then commit in order)."""
    from community.forums import actions
    from community.spaces.models import Membership

    thread_id, membership_id = thread.id, get_membership(other_member, space.id).id
    post_id = write_while_the_space_is_busy(app, space.id, lambda: actions.check_create_post(
        db.session.get(Thread, thread_id), db.session.get(Membership, membership_id),
        body="Waiting my turn").id, rows=(("threads", thread_id),))
    assert db.session.get(Thread, thread_id).post_count == 2
    assert [e.subject for e in events(space, "post.created")][-1] == f"post:{post_id}"


def test_pinning_a_thread_waits_for_the_space_before_it_locks_the_thread_row(
        app, space, facilitator, thread):
    """A facilitator's pin used to lock the thread row and then wait for the space's
    event lock, while a reply holding the lock waited for the row: a deadlock."""
    from community.forums import actions
    from community.spaces.models import Membership

    thread_id, membership_id = thread.id, get_membership(facilitator, space.id).id
    write_while_the_space_is_busy(app, space.id, lambda: actions.check_update_thread(
        db.session.get(Thread, thread_id), db.session.get(Membership, membership_id),
        pinned=True).id, rows=(("threads", thread_id),))
    assert db.session.get(Thread, thread_id).pinned is True
    assert events(space, "thread.updated")[-1].data["thread"]["pinned"] is True


def test_an_edit_waits_for_the_space_before_it_locks_the_post_row(
        app, space, other_member, thread):
    """An author's edit against a facilitator's approval or removal of the same post
    (which hold the space's lock, then write the post): the edit waits first."""
    from community.forums import actions
    from community.spaces.models import Membership

    post = reply(thread, other_member, "First draft")
    post_id, membership_id = post.id, get_membership(other_member, space.id).id
    write_while_the_space_is_busy(app, space.id, lambda: actions.check_edit_post(
        db.session.get(Post, post_id), db.session.get(Membership, membership_id),
        body="Second draft").id, rows=(("posts", post_id),))
    assert db.session.get(Post, post_id).source == "Second draft"


def test_a_post_that_may_mention_someone_is_rendered_once_with_the_links(
        space, member, other_member, thread, monkeypatch):
    from community import text
    from community.forums import actions
    from community.spaces.queries import get_membership

    calls: list[str] = []
    original = text.render

    def counting(source, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(source)
        return original(source, **kwargs)

    monkeypatch.setattr(text, "render", counting)
    body = actions.prepare_body("Thanks @kit, see https://example.org")
    post = actions.check_create_post(thread, get_membership(member, space.id), body=body)
    assert len(calls) == 1
    assert 'class="mention"' in post.body_html and "https://example.org</a>" in post.body_html
    plain = actions.prepare_body("No names here, mail a@b.example")
    assert plain.html == actions.prepare_body("No names here, mail a@b.example").html


def test_removing_a_held_post_leaves_no_tombstone_for_peers(space, member, other_member,
                                                            facilitator, as_user):
    thread, _ = start_thread(space, member)
    space.moderation_policy = ModerationPolicy.PRE  # every member post is held from now on
    db.session.commit()
    held = reply(thread, member, "Something I regret.")
    assert held.state == PostState.PENDING
    as_user(member).delete(f"/api/v1/posts/{held.id}")
    peers = as_user(other_member).get(f"/api/v1/threads/{thread.id}/posts").json["items"]
    assert held.id not in [p["id"] for p in peers]
    assert as_user(other_member).get(f"/api/v1/posts/{held.id}").status_code == \
        HTTPStatus.NOT_FOUND
    facilitators = as_user(facilitator).get(f"/api/v1/threads/{thread.id}/posts").json["items"]
    assert [p["state"] for p in facilitators if p["id"] == held.id] == ["removed"]


def test_removing_a_published_post_leaves_a_tombstone_for_peers(space, member, other_member,
                                                                as_user):
    thread, _ = start_thread(space, member)
    shown = reply(thread, member, "Something I said.")
    as_user(member).delete(f"/api/v1/posts/{shown.id}")
    peers = as_user(other_member).get(f"/api/v1/threads/{thread.id}/posts").json["items"]
    tombstone = next(p for p in peers if p["id"] == shown.id)
    assert tombstone["state"] == "removed" and "Something I said" not in tombstone["body_html"]
