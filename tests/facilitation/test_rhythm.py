"""Slow mode per thread and thread timers run by `community timers` (with time travel)."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import sqlalchemy as sa

from community.admin.models import AuditEntry
from community.database import utcnow
from community.extensions import db
from community.facilitation.models.rhythm import ThreadTimer
from community.facilitation.rhythm import run_due_timers
from community.forums import actions as forum_actions
from community.forums.models import Post, Thread, ThreadKind
from community.spaces.queries import get_membership


def _thread(space, member):  # type: ignore[no-untyped-def]
    thread, _post = forum_actions.check_create_thread(
        space, get_membership(member, space.id), title="Rhythm", body="First")
    db.session.commit()
    return thread.id


def test_slow_mode_lets_a_member_post_once_every_n_minutes(space, as_user, facilitator,
                                                          member):
    thread_id = _thread(space, member)
    assert as_user(member).put(f"/api/v1/threads/{thread_id}/slow-mode",
                               json={"minutes": 10}).status_code == HTTPStatus.FORBIDDEN
    response = as_user(facilitator).put(f"/api/v1/threads/{thread_id}/slow-mode",
                                        json={"minutes": 10})
    assert response.status_code == HTTPStatus.OK
    assert db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "thread:slow_mode")).data["minutes"] == 10
    refused = as_user(member).post(f"/api/v1/threads/{thread_id}/posts", json={"body": "again"})
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused.json["error"]["code"] == "slow_mode"
    assert "may_post_at" in refused.json["error"]
    # facilitators are exempt
    assert as_user(facilitator).post(f"/api/v1/threads/{thread_id}/posts",
                                     json={"body": "noted"}).status_code == HTTPStatus.CREATED
    # time travel: the member's first post is now 11 minutes old
    db.session.execute(sa.update(Post).values(created_at=utcnow() - timedelta(minutes=11)))
    db.session.commit()
    assert as_user(member).post(f"/api/v1/threads/{thread_id}/posts",
                                json={"body": "later"}).status_code == HTTPStatus.CREATED
    assert as_user(facilitator).put(f"/api/v1/threads/{thread_id}/slow-mode",
                                    json={"minutes": -1}).status_code \
        == HTTPStatus.UNPROCESSABLE_ENTITY


def test_timers_close_open_and_announce_when_due_and_only_once(space, as_user, facilitator,
                                                               member):
    thread_id = _thread(space, member)
    client = as_user(facilitator)
    soon = (utcnow() + timedelta(minutes=5)).isoformat()
    later = (utcnow() + timedelta(minutes=30)).isoformat()
    assert client.post(f"/api/v1/spaces/{space.id}/timers", json={
        "action": "close", "run_at": soon, "thread_id": thread_id}).status_code \
        == HTTPStatus.CREATED
    assert client.post(f"/api/v1/spaces/{space.id}/timers", json={
        "action": "announce", "run_at": later, "title": "Week 2",
        "body": "This week: values."}).status_code == HTTPStatus.CREATED
    assert run_due_timers(echo=lambda _l: None) == 0
    assert run_due_timers(utcnow() + timedelta(minutes=6), echo=lambda _l: None) == 1
    assert db.session.get(Thread, thread_id).locked is True
    assert run_due_timers(utcnow() + timedelta(minutes=31), echo=lambda _l: None) == 1
    announcement = db.session.scalar(sa.select(Thread).where(
        Thread.kind == ThreadKind.ANNOUNCEMENT))
    assert announcement.title == "Week 2"
    assert run_due_timers(utcnow() + timedelta(days=1), echo=lambda _l: None) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "thread_timer:run")) == 2


def test_timers_refuse_members_past_times_and_unknown_actions(space, as_user, facilitator,
                                                              member):
    thread_id = _thread(space, member)
    url = f"/api/v1/spaces/{space.id}/timers"
    soon = (utcnow() + timedelta(minutes=5)).isoformat()
    assert as_user(member).post(url, json={"action": "close", "run_at": soon,
                                           "thread_id": thread_id}).status_code \
        == HTTPStatus.FORBIDDEN
    client = as_user(facilitator)
    past = (utcnow() - timedelta(minutes=5)).isoformat()
    for body in ({"action": "close", "run_at": past, "thread_id": thread_id},
                 {"action": "explode", "run_at": soon},
                 {"action": "close", "run_at": soon},
                 {"action": "announce", "run_at": soon, "title": "", "body": "x"},
                 {"action": "close", "run_at": "tomorrow", "thread_id": thread_id}):
        assert client.post(url, json=body).status_code == HTTPStatus.UNPROCESSABLE_ENTITY, body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ThreadTimer)) == 0


def test_a_timer_can_be_cancelled_before_it_runs(space, as_user, facilitator, member):
    thread_id = _thread(space, member)
    client = as_user(facilitator)
    created = client.post(f"/api/v1/spaces/{space.id}/timers", json={
        "action": "close", "run_at": (utcnow() + timedelta(minutes=5)).isoformat(),
        "thread_id": thread_id}).json["timer"]
    url = f"/api/v1/spaces/{space.id}/timers/{created['id']}"
    assert as_user(member).delete(url).status_code == HTTPStatus.FORBIDDEN
    assert client.delete(url).status_code == HTTPStatus.NO_CONTENT
    assert run_due_timers(utcnow() + timedelta(hours=1), echo=lambda _l: None) == 0


def test_the_timers_command_runs_from_the_cli(app, space, facilitator, member):
    from community.cli import cli

    result = app.test_cli_runner().invoke(cli, ["timers"])
    assert result.exit_code == 0, result.output
    assert "ran 0 timer(s)" in result.output


def test_the_timer_page_and_slow_mode_form(space, as_user, facilitator, member):
    thread_id = _thread(space, member)
    client = as_user(facilitator)
    assert client.get(f"/spaces/{space.id}/timers").status_code == HTTPStatus.OK
    assert as_user(member).get(f"/spaces/{space.id}/timers").status_code == HTTPStatus.FORBIDDEN
    run_at = (utcnow() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(f"/spaces/{space.id}/timers", data={
        "action": "close", "run_at": run_at, "thread_id": thread_id}).status_code \
        == HTTPStatus.FOUND
    assert client.post(f"/threads/{thread_id}/slow-mode", data={"minutes": 5}).status_code \
        == HTTPStatus.FOUND
