"""Live sessions: scheduling (facilitators only), weekly series, "live now" on the space page."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import sqlalchemy as sa

from community.admin.models import AuditEntry
from community.database import utcnow
from community.extensions import db
from community.facilitation import sessions
from community.facilitation.models.sessions import LiveSession
from community.realtime.models import Event


def schedule(client, space, **over):  # type: ignore[no-untyped-def]
    start = utcnow() - timedelta(minutes=10)
    body = {"title": "Open office hour", "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(), **over}
    return client.post(f"/api/v1/spaces/{space.id}/live-sessions", json=body)


def test_a_facilitator_schedules_a_session_that_is_live_now(space, facilitator, member, as_user):
    response = schedule(as_user(facilitator), space)
    assert response.status_code == HTTPStatus.CREATED, response.json
    assert response.json["live_now"] is True
    session = db.session.get(LiveSession, response.json["id"])
    assert session.title == "Open office hour"
    assert db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "live_session:create")).target_id == session.id
    assert db.session.scalar(sa.select(Event).where(Event.type == "live_session.created"))
    page = as_user(member).get(f"/spaces/{space.id}")
    assert b"Live now:" in page.data and b"Open office hour" in page.data
    listed = as_user(member).get(f"/api/v1/spaces/{space.id}/live-sessions").json["items"]
    assert listed[0]["live_now"] is True


def test_a_weekly_series_ends_after_its_count_or_date(space, facilitator, as_user):
    client = as_user(facilitator)
    start = utcnow() + timedelta(days=1)
    data = schedule(client, space, weekly=True, repeat_count=3, starts_at=start.isoformat(),
                    ends_at=(start + timedelta(hours=1)).isoformat()).json
    session = db.session.get(LiveSession, data["id"])
    found = sessions.occurrences(session)
    assert [o.starts_at - found[0].starts_at for o in found] == [
        timedelta(0), timedelta(days=7), timedelta(days=14)]
    until = (start + timedelta(days=10)).date().isoformat()
    data = schedule(client, space, weekly=True, repeat_until=until, starts_at=start.isoformat(),
                    ends_at=(start + timedelta(hours=1)).isoformat()).json
    assert len(sessions.occurrences(db.session.get(LiveSession, data["id"]))) == 2


def test_bad_session_input_is_refused(space, facilitator, as_user):
    client = as_user(facilitator)
    now = utcnow()
    for over in ({"ends_at": (now - timedelta(hours=1)).isoformat()},
                 {"ends_at": (now + timedelta(days=2)).isoformat()},
                 {"title": "x"}, {"weekly": True}, {"starts_at": "yesterday"},
                 {"starts_at": "2030-01-01T10:00:00"}):
        assert schedule(client, space, **over).status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LiveSession)) == 0


def test_members_outsiders_and_admins_cannot_schedule_or_cancel(space, facilitator, member,
                                                                outsider, admin, as_user):
    assert schedule(as_user(member), space).status_code == HTTPStatus.FORBIDDEN
    assert schedule(as_user(outsider), space).status_code == HTTPStatus.NOT_FOUND
    assert schedule(as_user(admin), space).status_code == HTTPStatus.NOT_FOUND
    session_id = schedule(as_user(facilitator), space).json["id"]
    for user, status in ((member, HTTPStatus.FORBIDDEN), (outsider, HTTPStatus.NOT_FOUND),
                         (admin, HTTPStatus.NOT_FOUND)):
        assert as_user(user).delete(f"/api/v1/live-sessions/{session_id}").status_code == status
    response = as_user(facilitator).delete(f"/api/v1/live-sessions/{session_id}")
    assert response.status_code == HTTPStatus.NO_CONTENT
    assert db.session.get(LiveSession, session_id) is None
    assert db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "live_session:delete")) is not None


def test_the_sessions_page_schedules_and_cancels(space, facilitator, member, as_user):
    client = as_user(facilitator)
    start = utcnow() + timedelta(days=1)
    response = client.post(f"/spaces/{space.id}/sessions", data={
        "title": "Thursday drop-in", "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == HTTPStatus.FOUND, response.data[:1000]
    assert b"Thursday drop-in" in as_user(member).get(f"/spaces/{space.id}/sessions").data
    assert b"Next:" in as_user(member).get(f"/spaces/{space.id}").data
    assert as_user(member).post(f"/spaces/{space.id}/sessions", data={
        "title": "Mine"}).status_code == HTTPStatus.FORBIDDEN
    session = db.session.scalar(sa.select(LiveSession))
    assert client.post(f"/sessions/{session.id}/delete").status_code == HTTPStatus.FOUND
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LiveSession)) == 0
