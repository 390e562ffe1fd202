"""Flags: one per member, the threshold hides a post, safety concerns jump the queue,
alert facilitators and safeguarding contacts, show a banner and escalate when unclaimed."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import sqlalchemy as sa

from community.admin.models import AuditEntry
from community.cli import cli
from community.database import utcnow
from community.extensions import db
from community.forums.models import PostState
from community.moderation.models import Flag, Rank, ReviewState, SafeguardingContact
from tests import factories
from tests.moderation.conftest import banner_for, events, item_of, log_actions, reply


def test_a_member_flags_a_post_once_and_it_enters_the_queue(
        space, thread, member, other_member, as_user):
    post = reply(thread, member, "Just do what your parents say.")
    client = as_user(other_member)
    response = client.post(f"/api/v1/posts/{post.id}/flags",
                           json={"reason": "disrespectful", "note": "Harsh"})
    assert response.status_code == HTTPStatus.CREATED
    again = client.post(f"/api/v1/posts/{post.id}/flags", json={"reason": "spam"})
    assert again.status_code == HTTPStatus.CONFLICT
    assert again.get_json()["error"]["code"] == "already_flagged"
    item = item_of(post)
    assert item.state == ReviewState.PENDING and item.rank == Rank.FLAGGED
    assert item.reasons == [{"kind": "flags", "detail": "disrespectful"}]
    db.session.refresh(post)
    assert post.state == PostState.PUBLISHED  # one flag, threshold two
    assert log_actions(item_id=item.id) == ["flag"]


def test_reaching_the_threshold_hides_the_post_pending_review(
        space, thread, member, other_member, facilitator, as_user):
    post = reply(thread, member, "Something people dislike.")
    as_user(other_member).post(f"/api/v1/posts/{post.id}/flags", json={"reason": "off_topic"})
    as_user(facilitator).post(f"/api/v1/posts/{post.id}/flags", json={"reason": "spam"})
    db.session.refresh(post)
    assert post.state == PostState.PENDING
    assert "flagged" in post.state_reason
    item = item_of(post)
    assert [r["detail"] for r in item.reasons] == ["off_topic", "spam"]  # merged, one item
    assert "hide" in log_actions(item_id=item.id)
    assert events("post.hidden")[-1].audience == "space"
    listing = as_user(other_member).get(f"/api/v1/threads/{thread.id}/posts").get_json()
    assert post.id not in [p["id"] for p in listing["items"]]


def test_flagging_is_refused_for_own_posts_unknown_reasons_and_outsiders(
        space, thread, member, outsider, as_user):
    post = reply(thread, member, "My own words.")
    own = as_user(member).post(f"/api/v1/posts/{post.id}/flags", json={"reason": "spam"})
    assert own.status_code == HTTPStatus.FORBIDDEN
    bad = as_user(member).post(f"/api/v1/posts/{post.id}/flags", json={"reason": "ugly"})
    assert bad.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    stranger = as_user(outsider).post(f"/api/v1/posts/{post.id}/flags", json={"reason": "spam"})
    assert stranger.status_code == HTTPStatus.NOT_FOUND
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Flag)) == 0


def test_a_resolved_item_is_reopened_not_duplicated(
        space, thread, member, other_member, facilitator, as_user):
    post = reply(thread, member, "Borderline text.")
    as_user(other_member).post(f"/api/v1/posts/{post.id}/flags", json={"reason": "other"})
    item = item_of(post)
    as_user(facilitator).post(f"/api/v1/queue/{item.id}/approve", json={"version": item.version})
    assert item_of(post).state == ReviewState.APPROVED
    kit2 = factories.make_user(email="third@example.org")
    factories.make_membership(space=space, user=kit2)
    factories.site_agreement(accepted_by=[kit2])
    from community.spaces.models import Agreement

    agreement = db.session.scalar(sa.select(Agreement).where(Agreement.space_id == space.id))
    from community.spaces.models import Acceptance

    db.session.add(Acceptance(user_id=kit2.id, agreement_id=agreement.id))
    db.session.commit()
    response = as_user(kit2).post(f"/api/v1/posts/{post.id}/flags", json={"reason": "spam"})
    assert response.status_code == HTTPStatus.CREATED
    reopened = item_of(post)
    assert reopened.id == item.id and reopened.state == ReviewState.PENDING
    db.session.refresh(post)
    assert post.state == PostState.PUBLISHED  # one new flag since reopening


def test_a_safety_concern_jumps_the_queue_and_alerts_facilitators_and_contacts(
        app, space, thread, member, other_member, facilitator, admin, as_user):
    contact = factories.make_user(email="safe@example.org", display_name="Sam Safe")
    as_user(admin).post("/moderation/safeguarding", data={"email": "safe@example.org"})
    assert db.session.get(SafeguardingContact, contact.id) is not None
    ordinary = reply(thread, member, "Ordinary post")
    worrying = reply(thread, member, "I do not see the point in anything any more.")
    as_user(other_member).post(f"/api/v1/posts/{ordinary.id}/flags", json={"reason": "spam"})
    as_user(other_member).post(f"/api/v1/posts/{worrying.id}/flags",
                               json={"reason": "safety", "note": "Please check on them"})
    queue = as_user(facilitator).get(f"/api/v1/spaces/{space.id}/queue").get_json()
    assert [i["post_id"] for i in queue["items"]] == [worrying.id, ordinary.id]
    assert queue["items"][0]["priority"] == "safety"
    alerts = events("safety.alert")
    assert {e.audience for e in alerts} == {"facilitators", f"user:{contact.id}"}
    assert "body_html" not in str(alerts[0].data)
    # the banner on their pages, until handled
    for user in (facilitator, contact):
        assert "safety-banner" in banner_for(app, user), user
    assert "safety-banner" not in banner_for(app, other_member)
    item = item_of(worrying)
    as_user(facilitator).post(f"/api/v1/queue/{item.id}/approve", json={"version": item.version})
    assert "safety-banner" not in banner_for(app, facilitator)


def test_unclaimed_safety_concerns_escalate_to_admins_after_the_configured_time(
        app, space, thread, member, other_member, admin, facilitator, as_user):
    post = reply(thread, member, "Worrying words")
    as_user(other_member).post(f"/api/v1/posts/{post.id}/flags", json={"reason": "safety"})
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["moderation", "escalate"])
    assert result.exit_code == 0 and "Escalated 0" in result.output
    item = item_of(post)
    item.safety_at = utcnow() - timedelta(minutes=16)  # time travel: 16 minutes later
    db.session.commit()
    result = runner.invoke(cli, ["moderation", "escalate"])
    assert "Escalated 1" in result.output
    item = item_of(post)
    assert item.escalated_at is not None
    assert events("safety.escalated")[-1].audience == f"user:{admin.id}"
    assert "escalate" in log_actions(item_id=item.id)
    assert "safety-banner" in banner_for(app, admin)
    again = runner.invoke(cli, ["moderation", "escalate"])
    assert "Escalated 0" in again.output  # once per alert


def test_a_claimed_safety_concern_is_not_escalated(
        app, space, thread, member, other_member, facilitator, as_user):
    app.config["MODERATION_ESCALATE_AFTER_MINUTES"] = 5
    try:
        post = reply(thread, member, "Worrying words")
        as_user(other_member).post(f"/api/v1/posts/{post.id}/flags", json={"reason": "safety"})
        item = item_of(post)
        as_user(facilitator).post(f"/api/v1/queue/{item.id}/claim",
                                  json={"version": item.version})
        item = item_of(post)
        item.safety_at = utcnow() - timedelta(minutes=6)
        db.session.commit()
        result = app.test_cli_runner().invoke(cli, ["moderation", "escalate"])
        assert "Escalated 0" in result.output
    finally:
        app.config.pop("MODERATION_ESCALATE_AFTER_MINUTES")


def test_designating_contacts_is_for_admins_and_audited(admin, facilitator, as_user):
    denied = as_user(facilitator).post("/moderation/safeguarding",
                                       data={"email": "frida@example.org"})
    assert denied.status_code == HTTPStatus.FORBIDDEN
    as_user(admin).post("/moderation/safeguarding", data={"email": "frida@example.org"})
    assert db.session.scalar(sa.select(AuditEntry.action).where(
        AuditEntry.action == "safeguarding:change")) == "safeguarding:change"
