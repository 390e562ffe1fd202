"""The queue's state machine: claim, approve, edit-and-approve, reject, remove, and two
facilitators acting on the same item at once."""

from __future__ import annotations

import threading
from http import HTTPStatus

import pytest
import sqlalchemy as sa

from community.admin.models import AuditEntry
from community.extensions import db
from community.forums.models import Post, PostRevision, PostState
from community.moderation.models import Notice, ReviewState
from community.spaces.models import ModerationPolicy, Role
from tests import factories
from tests.moderation.conftest import events, item_of, log_actions, reply, start_thread


@pytest.fixture
def second_facilitator(space):  # type: ignore[no-untyped-def]
    user = factories.make_user(display_name="Sigrid Second", email="sigrid@example.org")
    factories.make_membership(space=space, user=user, role=Role.FACILITATOR)
    from community.spaces.models import Acceptance, Agreement

    factories.site_agreement(accepted_by=[user])
    agreement = db.session.scalar(sa.select(Agreement).where(Agreement.space_id == space.id))
    db.session.add(Acceptance(user_id=user.id, agreement_id=agreement.id))
    db.session.commit()
    return user


@pytest.fixture
def held(space, thread, member):  # type: ignore[no-untyped-def]
    space.moderation_policy = ModerationPolicy.PRE
    db.session.commit()
    return reply(thread, member, "Can I study nursing part time?")


def test_claiming_shows_others_who_is_on_it_and_blocks_their_decisions(
        held, facilitator, second_facilitator, as_user):
    item = item_of(held)
    response = as_user(facilitator).post(f"/api/v1/queue/{item.id}/claim",
                                         json={"version": item.version})
    assert response.status_code == HTTPStatus.OK
    body = response.get_json()
    assert body["claimed_by"]["name"] == "Frida Facilitator"
    other = as_user(second_facilitator).post(f"/api/v1/queue/{item.id}/approve",
                                             json={"version": body["version"]})
    assert other.status_code == HTTPStatus.CONFLICT
    assert other.get_json()["error"]["item"]["claimed_by"]["id"] == facilitator.id
    assert log_actions(item_id=item.id) == ["hold", "claim"]
    assert db.session.scalar(sa.select(AuditEntry.action).where(
        AuditEntry.action == "review:claim")) == "review:claim"


def test_approving_publishes_the_held_post_and_tells_the_author(
        held, thread, facilitator, member, other_member, as_user):
    item = item_of(held)
    response = as_user(facilitator).post(f"/api/v1/queue/{item.id}/approve",
                                         json={"version": item.version})
    assert response.status_code == HTTPStatus.OK
    assert response.get_json()["state"] == "approved"
    post = db.session.get(Post, held.id)
    assert post.state == PostState.PUBLISHED and post.state_reason is None
    assert post.thread.post_count == 2
    assert {e.audience for e in events("post.approved")} == {"facilitators",
                                                             f"user:{member.id}"}
    assert events("post.created")[-1].audience == "space"
    listing = as_user(other_member).get(f"/api/v1/threads/{thread.id}/posts").get_json()
    assert held.id in [p["id"] for p in listing["items"]]


def test_an_approval_censors_the_published_post_with_the_rules_as_they_are_now(
        space, thread, member, facilitator, as_user):
    """A censor rule added while the post waited applies to what the space receives: the
    rules' stamp comes with the item, and the rules cached when the post was screened
    are stale."""
    space.moderation_policy = ModerationPolicy.PRE
    db.session.commit()
    post = reply(thread, member, "That darn interview again")
    added = as_user(facilitator).post(f"/api/v1/spaces/{space.id}/watched-words",
                                      json={"pattern": "darn", "action": "censor"})
    assert added.status_code == HTTPStatus.CREATED
    item = item_of(post)
    response = as_user(facilitator).post(f"/api/v1/queue/{item.id}/approve",
                                         json={"version": item.version})
    assert response.status_code == HTTPStatus.OK
    published = events("post.created")[-1]
    assert published.audience == "space"
    assert "darn" not in published.data["post"]["body_html"]
    assert "interview again" in published.data["post"]["body_html"]


@pytest.mark.parametrize("scope", ["space", "site"])
def test_a_facilitator_accepts_a_new_agreement_version_before_acting_on_the_queue(
        scope, space, held, facilitator, as_user):
    """The queue shows the space's content, so a new version of the space's or the
    site's agreement stops its facilitators' actions (428, nothing changed) until they
    accept it (the gate is read with the item)."""
    from community.spaces.models import Acceptance

    item = item_of(held)
    agreement = factories.make_agreement(space=space if scope == "space" else None,
                                         title="Version two")
    claim = as_user(facilitator).post(f"/api/v1/queue/{item.id}/claim",
                                      json={"version": item.version})
    assert claim.status_code == HTTPStatus.PRECONDITION_REQUIRED
    expected = (f"/api/v1/spaces/{space.id}/agreement" if scope == "space"
                else "/api/v1/agreements/site")
    assert claim.get_json()["error"]["agreement_url"].endswith(expected)
    db.session.expire_all()
    assert item_of(held).claimed_by_id is None and log_actions(item_id=item.id) == ["hold"]

    db.session.add(Acceptance(user_id=facilitator.id, agreement_id=agreement.id))
    db.session.commit()
    claim = as_user(facilitator).post(f"/api/v1/queue/{item.id}/claim",
                                      json={"version": item.version})
    assert claim.status_code == HTTPStatus.OK
    assert log_actions(item_id=item.id) == ["hold", "claim"]


def test_an_approval_waits_for_the_space_before_it_locks_the_item_thread_or_post(
        app, held, thread, facilitator):
    """A queue action takes the space's event lock with the item, before the item's row
    (and so before the thread's and the post's): an author's edit, which takes the lock
    first and then re-queues the item, could otherwise deadlock with an approval."""
    from community.accounts.models import User
    from community.moderation.access import access_review_item_by_id
    from community.moderation.actions import check_approve
    from tests.forums.conftest import write_while_the_space_is_busy

    item_id, thread_id, post_id, user_id = item_of(held).id, thread.id, held.id, facilitator.id

    def approve() -> int:
        item, moderator = access_review_item_by_id(db.session.get(User, user_id), item_id,
                                                   for_update=True)
        return check_approve(item, moderator, version=item.version).version

    write_while_the_space_is_busy(app, thread.space_id, approve, rows=(
        ("review_items", item_id), ("threads", thread_id), ("posts", post_id)))
    post = db.session.get(Post, post_id)
    assert post.state == PostState.PUBLISHED and post.published_at is not None
    assert post.thread.post_count == 2 and post.thread.last_post_id == post_id


def test_an_approval_that_finds_the_item_changed_writes_nothing(app, held, thread, facilitator):
    """The decision is written in the statement that publishes the post and counts it
    (PostgreSQL) or just before it (SQLite); when the item's version moved on since it was
    read, the approval is a conflict and the post, the thread and the item stay as
    they were."""
    from community.errors import Conflict
    from community.moderation.access import access_review_item_by_id
    from community.moderation.actions import check_approve
    from community.moderation.models import ReviewItem

    item_id, post_id, thread_id = item_of(held).id, held.id, thread.id
    count_before = thread.post_count
    db.session.commit()
    with app.test_request_context():
        item, moderator = access_review_item_by_id(facilitator, item_id, for_update=True)
        seen = item.version
        items = ReviewItem.__table__
        db.session.connection().execute(sa.update(items).where(items.c.id == item_id)
                                        .values(version=items.c.version + 1))
        with pytest.raises(Conflict):
            check_approve(item, moderator, version=seen)
        db.session.rollback()
    db.session.expire_all()
    post = db.session.get(Post, post_id)
    assert post.state == PostState.PENDING and post.published_at is None
    assert post.thread.post_count == count_before
    assert item_of(post).state == ReviewState.PENDING and item_of(post).version == seen
    assert "approve" not in log_actions(item_id=item_id)
    assert not [e for e in events("post.created") if e.data["post"]["id"] == post_id
                and e.audience == "space"]
    assert db.session.get(type(thread), thread_id).last_post_id != post_id


def test_edit_and_approve_keeps_the_earlier_text_as_a_revision(held, facilitator, as_user):
    item = item_of(held)
    response = as_user(facilitator).post(f"/api/v1/queue/{item.id}/approve", json={
        "version": item.version, "body": "Can I study nursing part-time?",
        "reason": "Removed a name"})
    assert response.status_code == HTTPStatus.OK
    post = db.session.get(Post, held.id)
    assert post.source == "Can I study nursing part-time?" and post.edited_at is not None
    revision = db.session.scalar(sa.select(PostRevision).where(PostRevision.post_id == post.id))
    assert revision.source == "Can I study nursing part time?"
    assert revision.reason == "Removed a name"
    assert log_actions(item_id=item.id)[-1] == "edit_approve"


def test_rejecting_sends_the_reason_privately_to_the_author(
        held, facilitator, member, as_user):
    item = item_of(held)
    missing = as_user(facilitator).post(f"/api/v1/queue/{item.id}/reject",
                                        json={"version": item.version, "reason": "  "})
    assert missing.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    response = as_user(facilitator).post(f"/api/v1/queue/{item.id}/reject", json={
        "version": item.version, "reason": "Please do not share addresses"})
    assert response.status_code == HTTPStatus.OK
    post = db.session.get(Post, held.id)
    assert post.state == PostState.REJECTED
    rejected = events("post.rejected")
    assert {e.audience for e in rejected} == {"facilitators", f"user:{member.id}"}
    assert rejected[0].data["reason"] == "Please do not share addresses"
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == member.id))
    assert notice.kind == "rejected"
    assert b"Please do not share addresses" in as_user(member).get("/moderation/notices").data


def test_removing_leaves_a_tombstone(space, thread, member, other_member, facilitator,
                                     as_user):
    post = reply(thread, member, "Rude words")
    as_user(other_member).post(f"/api/v1/posts/{post.id}/flags", json={"reason": "spam"})
    item = item_of(post)
    response = as_user(facilitator).post(f"/api/v1/queue/{item.id}/remove",
                                         json={"version": item.version, "reason": "Rude"})
    assert response.status_code == HTTPStatus.OK
    post = db.session.get(Post, post.id)
    assert post.state == PostState.REMOVED and post.removed_by.value == "facilitator"
    assert events("post.removed")[-1].data["post"]["body_html"] == ""
    assert item_of(post).state == ReviewState.REMOVED


def test_two_facilitators_with_the_same_version_exactly_one_wins(
        held, facilitator, second_facilitator, as_user):
    item = item_of(held)
    item_id, version = item.id, item.version
    first = as_user(facilitator).post(f"/api/v1/queue/{item_id}/approve",
                                      json={"version": version})
    second = as_user(second_facilitator).post(f"/api/v1/queue/{item_id}/reject",
                                              json={"version": version, "reason": "No"})
    assert first.status_code == HTTPStatus.OK
    assert second.status_code == HTTPStatus.CONFLICT
    error = second.get_json()["error"]
    assert error["code"] == "conflict"
    assert error["item"]["state"] == "approved" and error["item"]["version"] > version
    assert db.session.get(Post, held.id).state == PostState.PUBLISHED


def test_two_facilitators_acting_at_the_same_moment_exactly_one_wins(
        app, held, facilitator, second_facilitator):
    item = item_of(held)
    item_id, version = item.id, item.version
    from tests.conftest import login

    clients = [login(app.test_client(), facilitator),
               login(app.test_client(), second_facilitator)]
    barrier = threading.Barrier(2)
    results: list[int] = []

    def act(client, path, body):  # type: ignore[no-untyped-def]
        with app.app_context():
            barrier.wait()
            results.append(client.post(path, json=body).status_code)
            db.session.remove()

    db.session.commit()
    threads = [threading.Thread(target=act, args=(clients[0], f"/api/v1/queue/{item_id}/approve",
                                                  {"version": version})),
               threading.Thread(target=act, args=(clients[1], f"/api/v1/queue/{item_id}/reject",
                                                  {"version": version, "reason": "No"}))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [HTTPStatus.OK, HTTPStatus.CONFLICT]
    db.session.expire_all()
    assert item_of(held).state in (ReviewState.APPROVED, ReviewState.REJECTED)
    assert len([a for a in log_actions(item_id=item_id) if a in ("approve", "reject")]) == 1


def test_the_queue_is_keyset_paginated_most_urgent_first(space, thread, member, facilitator,
                                                         as_user):
    space.moderation_policy = ModerationPolicy.PRE
    db.session.commit()
    posts = [reply(thread, member, f"Question {n}") for n in range(5)]
    client = as_user(facilitator)
    first = client.get(f"/api/v1/spaces/{space.id}/queue?limit=3").get_json()
    assert first["pending"] == 5 and len(first["items"]) == 3
    second = client.get(f"/api/v1/spaces/{space.id}/queue?limit=3&cursor="
                        f"{first['next_cursor']}").get_json()
    ids = [i["post_id"] for i in first["items"] + second["items"]]
    assert ids == [p.id for p in posts] and second["next_cursor"] is None
    bad = client.get(f"/api/v1/spaces/{space.id}/queue?cursor=garbage")
    assert bad.status_code == HTTPStatus.UNPROCESSABLE_ENTITY


def test_the_item_page_shows_context_flags_and_history_and_acts_through_forms(
        held, facilitator, as_user):
    item = item_of(held)
    client = as_user(facilitator)
    page = client.get(f"/queue/{item.id}")
    assert page.status_code == HTTPStatus.OK
    assert b"Can I study nursing part time?" in page.data and b"pre-moderation" in page.data
    stale = client.post(f"/queue/{item.id}/reject", data={"version": "999", "reason": "x"})
    assert stale.status_code == HTTPStatus.CONFLICT
    done = client.post(f"/queue/{item.id}/approve", data={"version": str(item.version)})
    assert done.status_code == HTTPStatus.FOUND
    assert item_of(held).state == ReviewState.APPROVED
    assert client.get(f"/spaces/{held.space_id}/queue").status_code == HTTPStatus.OK
    assert client.get("/moderation/queue").status_code == HTTPStatus.OK


def test_the_item_page_shows_the_author_by_pseudonym_only(as_user, space, member, facilitator):
    """Facilitators see identities behind pseudonyms only where the site allows it, and
    then one audited look-up at a time (the roster), never on the queue item."""
    thread, _ = start_thread(space, member)
    space.moderation_policy = ModerationPolicy.PRE
    db.session.commit()
    item = item_of(reply(thread, member, "Please look at this."))
    page = as_user(facilitator).get(f"/queue/{item.id}").get_data(as_text=True)
    assert "Robin" in page and "Mads Member" not in page


def test_decided_items_are_listed_newest_first_page_by_page(space, thread, member, facilitator,
                                                           admin, as_user):
    space.moderation_policy = ModerationPolicy.PRE
    db.session.commit()
    posts = [reply(thread, member, f"Question {n}") for n in range(3)]
    client = as_user(facilitator)
    for post in posts:
        item = item_of(post)
        claimed = client.post(f"/api/v1/queue/{item.id}/claim", json={"version": item.version})
        assert client.post(f"/api/v1/queue/{item.id}/approve", json={
            "version": claimed.get_json()["version"]}).status_code == HTTPStatus.OK
    url = f"/api/v1/spaces/{space.id}/queue?state=approved&limit=2"
    first = client.get(url).get_json()
    second = client.get(f"{url}&cursor={first['next_cursor']}").get_json()
    ids = [i["post_id"] for i in first["items"] + second["items"]]
    assert ids == [p.id for p in reversed(posts)] and second["next_cursor"] is None
    assert first["pending"] == 0
    across = as_user(admin).get("/api/v1/queue?state=approved&limit=2").get_json()
    assert [i["post_id"] for i in across["items"]] == ids[:2]


def test_the_navigation_counts_the_items_waiting_in_the_spaces_each_person_reviews(
        app, space, thread, facilitator, member, admin):
    from tests.moderation.conftest import banner_for

    other = factories.make_space(name="Second space", facilitators=[facilitator],
                                 members=[(member, "Robin")],
                                 moderation_policy=ModerationPolicy.PRE)
    solo = factories.make_user(display_name="Solveig Solo", email="solveig@example.org")
    factories.make_membership(space=other, user=solo, role=Role.FACILITATOR)
    space.moderation_policy = ModerationPolicy.PRE
    db.session.commit()
    reply(thread, member, "Held in the first space")
    other_thread = start_thread(other, facilitator, "Welcome", "Second")[0]
    for n in range(2):
        reply(other_thread, member, f"Held in the second space ({n})")

    def badge(user) -> str:  # type: ignore[no-untyped-def]
        return banner_for(app, user).split("Review queue", 1)[-1]

    assert "3 items waiting" in badge(facilitator)   # both of Frida's spaces
    assert "2 items waiting" in badge(solo)          # only the second space
    assert "3 items waiting" in badge(admin)         # every space
    assert "Review queue" not in banner_for(app, member)
