"""End of a cohort: archiving a space."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import sqlalchemy as sa

from community.admin.models import AuditEntry
from community.database import utcnow
from community.extensions import db
from community.facilitation.archive import end_expired_access
from community.facilitation.models.rhythm import SpaceArchive
from community.forums import actions as forum_actions
from community.forums.models import Post, PostState
from community.privacy.retention import purge
from community.spaces.models import Space
from community.spaces.queries import get_membership


def test_archiving_stops_posting_and_members_read_for_the_chosen_days(
        space, as_user, facilitator, member):
    thread, _post = forum_actions.check_create_thread(
        space, get_membership(member, space.id), title="Farewell", body="Thanks all")
    db.session.commit()
    assert as_user(member).post(f"/api/v1/spaces/{space.id}/archive",
                                json={"read_days": 7}).status_code == HTTPStatus.FORBIDDEN
    response = as_user(facilitator).post(f"/api/v1/spaces/{space.id}/archive",
                                         json={"read_days": 7})
    assert response.status_code == HTTPStatus.OK
    assert db.session.get(Space, space.id).archived_at is not None
    audit = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "space:archive"))
    assert audit.data["read_days"] == 7
    reader = as_user(member)
    assert reader.get(f"/api/v1/threads/{thread.id}/posts").status_code == HTTPStatus.OK
    assert reader.post(f"/api/v1/threads/{thread.id}/posts",
                       json={"body": "one more"}).status_code == HTTPStatus.FORBIDDEN
    assert as_user(facilitator).post(f"/api/v1/spaces/{space.id}/archive",
                                     json={"read_days": 7}).status_code == HTTPStatus.CONFLICT
    # time travel: the grace period is over
    db.session.execute(sa.update(SpaceArchive).values(read_until=utcnow() - timedelta(hours=1)))
    db.session.commit()
    assert reader.get(f"/api/v1/threads/{thread.id}/posts").status_code == HTTPStatus.NOT_FOUND
    assert as_user(facilitator).get(f"/api/v1/threads/{thread.id}/posts").status_code \
        == HTTPStatus.OK
    assert end_expired_access(echo=lambda _l: None) == 1
    assert end_expired_access(echo=lambda _l: None) == 0


def test_retention_runs_from_the_end_of_read_access(space, as_user, facilitator, member):
    db.session.get(Space, space.id).retention_days = 30
    db.session.commit()
    forum_actions.check_create_thread(space, get_membership(member, space.id),
                                      title="Fresh", body="Written today")
    db.session.commit()
    as_user(facilitator).post(f"/api/v1/spaces/{space.id}/archive", json={"read_days": 0})
    purge(utcnow() + timedelta(days=10), echo=lambda _l: None)
    assert db.session.scalar(sa.select(Post.state)) == PostState.PUBLISHED
    purge(utcnow() + timedelta(days=31), echo=lambda _l: None)
    assert db.session.scalar(sa.select(Post.state)) == PostState.REMOVED


def test_bad_archive_input_is_refused_and_nothing_changes(space, as_user, facilitator):
    client = as_user(facilitator)
    for body in ({"read_days": -1}, {"read_days": "x"}, {}, {"read_days": 99999}):
        assert client.post(f"/api/v1/spaces/{space.id}/archive", json=body).status_code \
            == HTTPStatus.UNPROCESSABLE_ENTITY
    assert db.session.get(Space, space.id).archived_at is None
    assert client.post(f"/spaces/{space.id}/archive", data={"read_days": "-3"}).status_code \
        == HTTPStatus.UNPROCESSABLE_ENTITY
    assert db.session.get(Space, space.id).archived_at is None


def test_the_archive_page(space, as_user, facilitator, member):
    assert as_user(member).get(f"/spaces/{space.id}/archive").status_code == HTTPStatus.FORBIDDEN
    client = as_user(facilitator)
    assert client.get(f"/spaces/{space.id}/archive").status_code == HTTPStatus.OK
    assert client.post(f"/spaces/{space.id}/archive", data={"read_days": 3}).status_code \
        == HTTPStatus.FOUND
    assert db.session.get(SpaceArchive, space.id) is not None
