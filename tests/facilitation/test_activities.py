"""Activities and announcements: who may start them, when members answer, who sees what."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import sqlalchemy as sa

from community.admin.models import AuditEntry
from community.database import utcnow
from community.extensions import db
from community.facilitation.models.activities import Activity
from community.forums.models import Post, Thread, ThreadKind
from community.realtime.models import Event


def _later(**kw: int) -> str:
    return (utcnow() + timedelta(**kw)).isoformat()


def start(client, space, **over):  # type: ignore[no-untyped-def]
    body = {"template": "values", "closes_at": _later(days=3), **over}
    return client.post(f"/api/v1/spaces/{space.id}/activities", json=body)


def answer(client, thread_id: int, text: str):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/threads/{thread_id}/posts", json={"body": text})


def bodies(client, thread_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/threads/{thread_id}/posts")
    assert response.status_code == HTTPStatus.OK
    return [p["body_html"] for p in response.json["items"]]


def test_a_facilitator_starts_an_activity_from_a_template(space, facilitator, as_user):
    response = start(as_user(facilitator), space)
    assert response.status_code == HTTPStatus.CREATED, response.json
    data = response.json
    assert data["dots"] == "self_awareness" and data["visibility"] == "after_own_answer"
    assert data["status"] == "open" and data["template"] == "values"
    activity = db.session.get(Activity, data["id"])
    thread = db.session.get(Thread, activity.thread_id)
    assert thread.kind == ThreadKind.ACTIVITY and thread.title == "Values I won't compromise on"
    audit = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "activity:create"))
    assert audit.target_id == activity.id and audit.space_id == space.id
    templates = as_user(facilitator).get("/api/v1/activity-templates").json["items"]
    assert {"values", "job_for_a_day", "two_options", "next_step"} <= {t["key"] for t in templates}


def test_members_outsiders_and_admins_cannot_start_activities(space, member, outsider, admin,
                                                              as_user):
    assert start(as_user(member), space).status_code == HTTPStatus.FORBIDDEN
    assert start(as_user(outsider), space).status_code == HTTPStatus.NOT_FOUND
    assert start(as_user(admin), space).status_code == HTTPStatus.NOT_FOUND
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Activity)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Thread)) == 0


def test_bad_activity_input_is_refused_and_nothing_is_written(space, facilitator, as_user):
    client = as_user(facilitator)
    past = (utcnow() - timedelta(days=1)).isoformat()
    for over in ({"template": "nope"}, {"closes_at": past}, {"template": None},
                 {"template": None, "prompt": "Say", "title": "T1x"},
                 {"dots": "astrology"}, {"closes_at": "2026-13-01"},
                 {"closes_at": "2030-01-01T10:00:00"}):
        response = start(client, space, **over)
        assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, (over, response.json)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Thread)) == 0


def test_members_answer_only_between_opening_and_closing(space, facilitator, member, as_user):
    data = start(as_user(facilitator), space, opens_at=_later(hours=1)).json
    client = as_user(member)
    response = answer(client, data["thread_id"], "Too early")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json["error"]["code"] == "activity_not_open"
    db.session.execute(sa.update(Activity).values(opens_at=utcnow() - timedelta(days=2),
                                                  closes_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    response = answer(client, data["thread_id"], "Too late")
    assert response.json["error"]["code"] == "activity_closed"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 1  # the prompt


def test_answers_stay_hidden_until_a_member_posts_their_own(space, facilitator, member,
                                                            other_member, as_user):
    thread_id = start(as_user(facilitator), space).json["thread_id"]
    robin, kit = as_user(member), as_user(other_member)
    assert answer(robin, thread_id, "Fairness above all").status_code == HTTPStatus.CREATED
    post_id = db.session.scalar(sa.select(sa.func.max(Post.id)))
    # Kit sees the prompt only: not through the list, the post, search or the events.
    assert not any("Fairness" in b for b in bodies(kit, thread_id))
    assert len(bodies(kit, thread_id)) == 1
    assert kit.get(f"/api/v1/posts/{post_id}").status_code == HTTPStatus.NOT_FOUND
    found = kit.get(f"/api/v1/spaces/{space.id}/search?q=fairness").json["items"]
    assert found == []
    kit_events = kit.get(f"/api/v1/spaces/{space.id}/events").json["items"]
    assert not any("Fairness" in str(e) for e in kit_events)
    page = kit.get(f"/threads/{thread_id}")
    assert page.status_code == HTTPStatus.OK and b"Fairness" not in page.data
    audiences = set(db.session.scalars(sa.select(Event.audience).where(
        Event.type == "post.created", Event.subject == f"post:{post_id}")))
    assert audiences == {"facilitators", f"user:{member.id}"}
    # The facilitator and the author see it.
    assert any("Fairness" in b for b in bodies(as_user(facilitator), thread_id))
    assert any("Fairness" in b for b in bodies(robin, thread_id))
    # Once Kit has answered, Kit sees Robin's answer.
    assert answer(kit, thread_id, "Time with family").status_code == HTTPStatus.CREATED
    assert any("Fairness" in b for b in bodies(kit, thread_id))
    assert kit.get(f"/api/v1/posts/{post_id}").status_code == HTTPStatus.OK
    assert b"Fairness" in kit.get(f"/threads/{thread_id}").data


def test_answers_hidden_until_close_appear_when_the_activity_closes(space, facilitator, member,
                                                                    other_member, as_user):
    thread_id = start(as_user(facilitator), space, template="two_options").json["thread_id"]
    robin, kit = as_user(member), as_user(other_member)
    answer(robin, thread_id, "Option A: carpentry")
    answer(kit, thread_id, "Option B: nursing")
    assert not any("carpentry" in b for b in bodies(kit, thread_id))
    db.session.execute(sa.update(Activity).values(closes_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert any("carpentry" in b for b in bodies(kit, thread_id))


def test_a_facilitator_changes_an_activity_and_a_member_may_not(space, facilitator, member,
                                                                as_user):
    activity_id = start(as_user(facilitator), space).json["id"]
    denied = as_user(member).patch(f"/api/v1/activities/{activity_id}",
                                   json={"visibility": "open"})
    assert denied.status_code == HTTPStatus.FORBIDDEN
    response = as_user(facilitator).patch(f"/api/v1/activities/{activity_id}",
                                          json={"visibility": "open"})
    assert response.status_code == HTTPStatus.OK and response.json["visibility"] == "open"
    assert db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "activity:update")) is not None
    listed = as_user(member).get(f"/api/v1/spaces/{space.id}/activities").json["items"]
    assert [a["id"] for a in listed] == [activity_id]


def test_the_activity_pages_for_facilitators_and_members(space, facilitator, member, as_user):
    client = as_user(facilitator)
    assert b"pros and cons" in client.get(f"/spaces/{space.id}/activities").data.lower()
    page = client.get(f"/spaces/{space.id}/activities/new?template=next_step")
    assert page.status_code == HTTPStatus.OK and b"who could" in page.data
    response = client.post(f"/spaces/{space.id}/activities/new?template=next_step", data={
        "title": "My next step", "prompt": "What next?", "instructions": "Small steps.",
        "dots": "transition_learning", "visibility": "open",
        "closes_at": (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == HTTPStatus.FOUND, response.data[:2000]
    thread = db.session.scalar(sa.select(Thread))
    assert b"Small steps." in client.get(f"/threads/{thread.id}").data
    bad = client.post(f"/spaces/{space.id}/activities/new", data={
        "title": "X", "prompt": "What next?", "dots": "transition_learning",
        "visibility": "open", "closes_at": "2020-01-01T10:00"})
    assert bad.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert as_user(member).get(f"/spaces/{space.id}/activities/new").status_code \
        == HTTPStatus.FORBIDDEN


def test_a_facilitator_posts_a_pinned_announcement_with_replies_closed(space, facilitator,
                                                                       member, as_user):
    response = as_user(facilitator).post(f"/api/v1/spaces/{space.id}/announcements", json={
        "title": "Session moved", "body": "We meet on Thursday.", "pinned": True,
        "replies_allowed": False})
    assert response.status_code == HTTPStatus.CREATED, response.json
    thread = db.session.get(Thread, response.json["thread"]["id"])
    assert thread.pinned and not thread.replies_allowed and thread.kind == ThreadKind.ANNOUNCEMENT
    assert db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "announcement:create")).target_id == thread.id
    reply = as_user(member).post(f"/api/v1/threads/{thread.id}/posts", json={"body": "ok"})
    assert reply.status_code == HTTPStatus.FORBIDDEN
    denied = as_user(member).post(f"/api/v1/spaces/{space.id}/announcements",
                                  json={"title": "Mine", "body": "x"})
    assert denied.status_code == HTTPStatus.FORBIDDEN
    page = as_user(facilitator).post(f"/spaces/{space.id}/announcements/new", data={
        "title": "Welcome all", "body": "Hello", "pinned": "y"})
    assert page.status_code == HTTPStatus.FOUND
    assert db.session.scalar(sa.select(Thread).where(Thread.title == "Welcome all")).pinned


def test_a_mention_in_a_hidden_answer_does_not_tell_peers_it_exists(space, facilitator, member,
                                                                     other_member, as_user):
    from community.forums.models import Notification

    thread_id = start(as_user(facilitator), space).json["thread_id"]
    robin = as_user(member)
    assert answer(robin, thread_id, "Like @Kit said, fairness. Ask @Frida Facilitator?"
                  ).status_code == HTTPStatus.CREATED
    notified = set(db.session.scalars(sa.select(Notification.user_id)))
    assert other_member.id not in notified
    assert as_user(other_member).get("/api/v1/notifications").json["items"] == []
