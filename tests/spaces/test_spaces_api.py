"""Spaces through the API: create, list, read, change settings, appoint facilitators."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from community.extensions import db
from community.spaces.models import Anonymity, Role, Space
from tests.factories import make_user
from tests.spaces.conftest import audit_rows, membership_of

NEW_SPACE = {"name": "  Career  Changers  ", "purpose": "Switching careers in mid-life.",
             "join_policy": "request", "anonymity": "pseudonyms_required",
             "moderation_policy": "new_members", "retention_days": 365}


def count_spaces() -> int:
    return db.session.scalar(db.select(db.func.count(Space.id)))


def test_an_admin_creates_a_space_with_a_unique_slug_and_an_audit_row(app, as_user, admin):
    client = as_user(admin)
    first = client.post("/api/v1/spaces", json=NEW_SPACE)
    second = client.post("/api/v1/spaces", json=NEW_SPACE)
    assert first.status_code == second.status_code == HTTPStatus.CREATED
    assert first.json["name"] == "Career Changers"
    assert first.json["slug"] == "career-changers"
    assert second.json["slug"] == "career-changers-2"
    assert first.json["anonymity"] == "pseudonyms_required"
    assert first.json["retention_days"] == 365
    assert first.json["role"] is None
    space = db.session.get(Space, first.json["id"])
    assert space.join_policy.value == "request"
    rows = audit_rows("space:create")
    assert [r.target_id for r in rows] == [first.json["id"], second.json["id"]]
    assert rows[0].actor_id == admin.id


def test_a_space_gets_defaults_for_settings_not_given(app, as_user, admin):
    response = as_user(admin).post("/api/v1/spaces", json={"name": "Ålborg øst"})
    assert response.status_code == HTTPStatus.CREATED
    assert response.json["slug"] == "alborg-st"
    assert response.json["join_policy"] == "invite"
    assert response.json["retention_days"] is None


@pytest.mark.parametrize("persona", ["facilitator", "member", "outsider"])
def test_only_admins_create_spaces(app, as_user, space, persona, request):
    before = count_spaces()
    response = as_user(request.getfixturevalue(persona)).post("/api/v1/spaces", json=NEW_SPACE)
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json["error"]["code"] == "forbidden"
    assert count_spaces() == before


def test_signed_out_callers_get_401(client):
    assert client.get("/api/v1/spaces").status_code == HTTPStatus.UNAUTHORIZED
    assert client.post("/api/v1/spaces", json=NEW_SPACE).status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize(("body", "field"), [
    ({"name": ""}, "name"),
    ({"name": "x" * 121}, "name"),
    ({"name": "ok", "purpose": "p" * 2001}, "purpose"),
    ({"name": "ok", "anonymity": "masks"}, "anonymity"),
    ({"name": "ok", "join_policy": "open"}, "join_policy"),
    ({"name": "ok", "moderation_policy": "none"}, "moderation_policy"),
    ({"name": "ok", "retention_days": 0}, "retention_days"),
    ({"name": "ok", "retention_days": "30"}, "retention_days"),
    ({"name": "ok", "colour": "red"}, "colour"),
    ({}, "name"),
])
def test_bad_space_fields_are_named_and_nothing_is_written(app, as_user, admin, body, field):
    response = as_user(admin).post("/api/v1/spaces", json=body)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert field in response.json["error"]["fields"]
    assert count_spaces() == 0
    assert audit_rows("space:create") == []


def test_a_name_of_only_white_space_is_refused(app, as_user, admin):
    response = as_user(admin).post("/api/v1/spaces", json={"name": "   \t "})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "name" in response.json["error"]["fields"]
    assert count_spaces() == 0


def test_malformed_json_gets_a_400_body(app, as_user, admin, space):
    client = as_user(admin)
    for method, url in (("post", "/api/v1/spaces"), ("patch", f"/api/v1/spaces/{space.id}")):
        response = getattr(client, method)(url, data="{nope",
                                           headers={"Content-Type": "application/json"})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.json["error"]["code"] == "malformed"
    assert count_spaces() == 1


def test_the_list_shows_the_callers_spaces_and_admins_see_all(app, as_user, space, other_space,
                                                              member, admin, outsider):
    mine = as_user(member).get("/api/v1/spaces").json
    assert [(s["id"], s["role"], s["pseudonym"]) for s in mine["items"]] == \
        [(space.id, "member", "Robin")]
    assert mine["next_cursor"] is None
    assert {s["id"] for s in as_user(admin).get("/api/v1/spaces").json["items"]} == \
        {space.id, other_space.id}
    assert [s["id"] for s in as_user(outsider).get("/api/v1/spaces").json["items"]] == \
        [other_space.id]


def test_the_list_is_paginated_with_a_cursor(app, as_user, admin, space, other_space):
    client = as_user(admin)
    first = client.get("/api/v1/spaces?limit=1").json
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = client.get(f"/api/v1/spaces?limit=1&cursor={first['next_cursor']}").json
    assert second["next_cursor"] is None
    assert {first["items"][0]["id"], second["items"][0]["id"]} == {space.id, other_space.id}
    bad = client.get("/api/v1/spaces?cursor=%%%")
    assert bad.status_code == HTTPStatus.UNPROCESSABLE_ENTITY


def test_members_and_admins_read_a_space_and_others_get_404(app, as_user, space, member,
                                                            facilitator, admin, outsider):
    url = f"/api/v1/spaces/{space.id}"
    assert as_user(member).get(url).json["role"] == "member"
    assert as_user(facilitator).get(url).json["role"] == "facilitator"
    as_admin = as_user(admin).get(url)
    assert as_admin.status_code == HTTPStatus.OK
    assert as_admin.json["role"] is None
    response = as_user(outsider).get(url)
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json["error"]["code"] == "not_found"
    unknown = as_user(outsider).get("/api/v1/spaces/999999")
    assert unknown.status_code == HTTPStatus.NOT_FOUND
    assert unknown.json == response.json


def test_a_member_of_space_a_gets_404_for_every_space_b_operation(app, as_user, space,
                                                                  other_space, member):
    client = as_user(member)
    b = other_space.id
    for method, url, body in [
        ("get", f"/api/v1/spaces/{b}", None),
        ("patch", f"/api/v1/spaces/{b}", {"name": "Mine now"}),
        ("get", f"/api/v1/spaces/{b}/members", None),
        ("delete", f"/api/v1/spaces/{b}/members/{member.id}", None),
        ("post", f"/api/v1/spaces/{b}/invitations", {}),
        ("get", f"/api/v1/spaces/{b}/invitations", None),
        ("get", f"/api/v1/spaces/{b}/join-requests", None),
        ("post", f"/api/v1/spaces/{b}/join-requests", {}),
        ("post", f"/api/v1/spaces/{b}/facilitators", {"user_id": member.id}),
    ]:
        response = getattr(client, method)(url, json=body) if body is not None \
            else getattr(client, method)(url)
        assert response.status_code == HTTPStatus.NOT_FOUND, (method, url)
        assert response.json["error"]["code"] == "not_found"
    db.session.refresh(other_space)
    assert other_space.name == "Elsewhere"


def test_a_facilitator_changes_settings_and_the_change_is_audited(app, as_user, space,
                                                                 facilitator):
    response = as_user(facilitator).patch(f"/api/v1/spaces/{space.id}", json={
        "name": "Next steps", "anonymity": "real_names", "retention_days": None,
        "moderation_policy": "pre", "purpose": "New purpose"})
    assert response.status_code == HTTPStatus.OK
    assert response.json["anonymity"] == "real_names"
    db.session.refresh(space)
    assert space.anonymity == Anonymity.REAL_NAMES
    assert space.purpose == "New purpose"
    (row,) = audit_rows("space:update")
    assert row.actor_id == facilitator.id and row.space_id == space.id
    assert row.data["fields"] == ["anonymity", "moderation_policy", "purpose"]
    assert row.data["changes"]["anonymity"] == {"from": "pseudonyms_allowed", "to": "real_names"}


def test_an_unchanged_patch_writes_no_audit_row(app, as_user, space, facilitator):
    response = as_user(facilitator).patch(f"/api/v1/spaces/{space.id}",
                                          json={"name": space.name})
    assert response.status_code == HTTPStatus.OK
    assert audit_rows("space:update") == []


def test_a_patch_with_one_bad_field_changes_nothing(app, as_user, space, facilitator):
    response = as_user(facilitator).patch(f"/api/v1/spaces/{space.id}",
                                          json={"name": "Renamed", "anonymity": "nope"})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert set(response.json["error"]["fields"]) == {"anonymity"}
    db.session.refresh(space)
    assert space.name == "Next steps"
    assert audit_rows("space:update") == []


@pytest.mark.parametrize(("persona", "status"), [
    ("member", HTTPStatus.FORBIDDEN), ("admin", HTTPStatus.FORBIDDEN),
    ("outsider", HTTPStatus.NOT_FOUND)])
def test_only_facilitators_change_settings(app, as_user, space, persona, status, request):
    response = as_user(request.getfixturevalue(persona)).patch(
        f"/api/v1/spaces/{space.id}", json={"name": "Hijacked"})
    assert response.status_code == status
    db.session.refresh(space)
    assert space.name == "Next steps"


def test_an_admin_promotes_a_member_to_facilitator(app, as_user, space, admin, member):
    response = as_user(admin).post(f"/api/v1/spaces/{space.id}/facilitators",
                                   json={"user_id": member.id})
    assert response.status_code == HTTPStatus.OK
    assert response.json["role"] == "facilitator"
    assert membership_of(member, space).role == Role.FACILITATOR
    (row,) = audit_rows("membership:role")
    assert row.target_id == member.id and row.data["previous_role"] == "member"
    # Appointing again changes nothing and is not audited twice.
    as_user(admin).post(f"/api/v1/spaces/{space.id}/facilitators", json={"user_id": member.id})
    assert len(audit_rows("membership:role")) == 1


def test_an_admin_adds_a_non_member_as_facilitator(app, as_user, space, admin, outsider):
    response = as_user(admin).post(f"/api/v1/spaces/{space.id}/facilitators",
                                   json={"user_id": outsider.id})
    assert response.status_code == HTTPStatus.OK
    membership = membership_of(outsider, space)
    assert membership.is_facilitator
    assert audit_rows("membership:role")[0].data["previous_role"] is None


@pytest.mark.parametrize(("persona", "status"), [
    ("facilitator", HTTPStatus.FORBIDDEN), ("member", HTTPStatus.FORBIDDEN),
    ("outsider", HTTPStatus.NOT_FOUND)])
def test_only_admins_appoint_facilitators(app, as_user, space, persona, status, request,
                                          other_member):
    response = as_user(request.getfixturevalue(persona)).post(
        f"/api/v1/spaces/{space.id}/facilitators", json={"user_id": other_member.id})
    assert response.status_code == status
    assert membership_of(other_member, space).role == Role.MEMBER
    assert audit_rows("membership:role") == []


def test_appointing_an_unknown_or_suspended_user_is_refused(app, as_user, space, admin):
    client = as_user(admin)
    unknown = client.post(f"/api/v1/spaces/{space.id}/facilitators", json={"user_id": 999999})
    assert unknown.status_code == HTTPStatus.NOT_FOUND
    suspended = make_user(status="suspended")
    response = client.post(f"/api/v1/spaces/{space.id}/facilitators",
                           json={"user_id": suspended.id})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "user_id" in response.json["error"]["fields"]
    assert membership_of(suspended, space) is None
    wrong_type = client.post(f"/api/v1/spaces/{space.id}/facilitators", json={"user_id": "1"})
    assert wrong_type.status_code == HTTPStatus.UNPROCESSABLE_ENTITY


def test_the_openapi_document_lists_the_space_operations(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/spaces"])
    assert {"get", "patch"} <= set(paths["/api/v1/spaces/{space_id}"])
    assert "post" in paths["/api/v1/invitations/{token}/accept"]
    assert "delete" in paths["/api/v1/spaces/{space_id}/members/{user_id}"]
