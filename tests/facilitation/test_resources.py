"""The resource library: suggestions, approval, editing, re-checking and safe links."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import sqlalchemy as sa

from community.admin.models import AuditEntry
from community.database import utcnow
from community.extensions import db
from community.facilitation.models.resources import Resource, ResourceState

GOOD = {"title": "Labour market outlook", "url": "https://example.org/outlook",
        "good_for": "Which jobs are in demand", "source_org": "Public employment service",
        "dots": "opportunity_awareness"}


def add(client, space, **over):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/spaces/{space.id}/resources", json={**GOOD, **over})


def test_a_member_suggests_and_a_facilitator_approves(space, facilitator, member, other_member,
                                                      as_user):
    response = add(as_user(member), space)
    assert response.status_code == HTTPStatus.CREATED and response.json["state"] == "suggested"
    resource_id = response.json["id"]
    # Peers do not see suggestions; the suggester does.
    assert as_user(other_member).get(f"/api/v1/resources/{resource_id}").status_code \
        == HTTPStatus.NOT_FOUND
    assert as_user(member).get(f"/api/v1/resources/{resource_id}").status_code == HTTPStatus.OK
    denied = as_user(member).patch(f"/api/v1/resources/{resource_id}",
                                   json={"decision": "approve"})
    assert denied.status_code == HTTPStatus.FORBIDDEN
    response = as_user(facilitator).patch(f"/api/v1/resources/{resource_id}",
                                          json={"decision": "approve"})
    assert response.status_code == HTTPStatus.OK and response.json["state"] == "approved"
    resource = db.session.get(Resource, resource_id)
    assert resource.vetted_by_id == facilitator.id and resource.checked_on is not None
    assert db.session.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "resource:decide")).target_id == resource_id
    again = as_user(facilitator).patch(f"/api/v1/resources/{resource_id}",
                                       json={"decision": "reject"})
    assert again.status_code == HTTPStatus.CONFLICT
    assert db.session.get(Resource, resource_id).state == ResourceState.APPROVED
    items = as_user(other_member).get(f"/api/v1/spaces/{space.id}/resources").json["items"]
    assert [r["id"] for r in items] == [resource_id]


def test_only_http_links_are_accepted(space, facilitator, as_user):
    client = as_user(facilitator)
    for url in ("javascript:alert(1)", "data:text/html,x", "ftp://example.org/x",
                "https://", "example.org", "http://exa mple.org"):
        assert add(client, space, url=url).status_code == HTTPStatus.UNPROCESSABLE_ENTITY, url
    assert add(client, space, dots="vibes").status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert add(client, space, title="").status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Resource)) == 0


def test_outsiders_and_admins_cannot_see_or_suggest(space, facilitator, outsider, admin,
                                                    as_user):
    resource_id = add(as_user(facilitator), space).json["id"]
    for user in (outsider, admin):
        client = as_user(user)
        assert add(client, space).status_code == HTTPStatus.NOT_FOUND
        assert client.get(f"/api/v1/resources/{resource_id}").status_code == HTTPStatus.NOT_FOUND
        assert client.get(f"/spaces/{space.id}/resources").status_code in (
            HTTPStatus.NOT_FOUND, HTTPStatus.FORBIDDEN)


def test_resources_unchecked_for_180_days_are_marked_and_rechecked(space, facilitator, member,
                                                                   as_user):
    data = add(as_user(facilitator), space).json
    assert data["state"] == "approved" and data["needs_recheck"] is False
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "resource:add"))
    old = utcnow() - timedelta(days=181)
    db.session.execute(sa.update(Resource).values(checked_on=old, vetted_at=old))
    db.session.commit()
    page = as_user(member).get(f"/spaces/{space.id}/resources")
    assert b"needs re-checking" in page.data
    assert b'rel="nofollow noopener noreferrer"' in page.data
    assert as_user(member).post(f"/resources/{data['id']}/check").status_code \
        == HTTPStatus.FORBIDDEN
    assert as_user(facilitator).post(f"/resources/{data['id']}/check").status_code \
        == HTTPStatus.FOUND
    assert db.session.get(Resource, data["id"]).checked_on > old + timedelta(days=100)
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "resource:check"))


def test_a_facilitator_edits_a_resource_on_its_page(space, facilitator, member, as_user):
    resource_id = add(as_user(facilitator), space).json["id"]
    client = as_user(facilitator)
    assert client.get(f"/resources/{resource_id}/edit").status_code == HTTPStatus.OK
    response = client.post(f"/resources/{resource_id}/edit", data={
        **GOOD, "title": "Outlook 2027"})
    assert response.status_code == HTTPStatus.FOUND
    assert db.session.get(Resource, resource_id).title == "Outlook 2027"
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "resource:update"))
    bad = client.post(f"/resources/{resource_id}/edit", data={**GOOD, "url": "javascript:x"})
    assert bad.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert db.session.get(Resource, resource_id).url == GOOD["url"]
    assert as_user(member).get(f"/resources/{resource_id}/edit").status_code \
        == HTTPStatus.FORBIDDEN
    suggested = as_user(member).post(f"/spaces/{space.id}/resources", data={
        **GOOD, "title": "My find"})
    assert suggested.status_code == HTTPStatus.FOUND
    assert db.session.scalar(sa.select(Resource).where(
        Resource.title == "My find")).state == ResourceState.SUGGESTED
