"""The agreements API for every persona: read, publish, accept, versions, acceptances, the gate."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from community.admin.models import AuditEntry
from community.extensions import db
from community.spaces.models import Acceptance, Agreement
from tests.factories import make_agreement


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(db.select(db.func.count(model.id)))


def persona(request: pytest.FixtureRequest, name: str):  # type: ignore[no-untyped-def]
    return request.getfixturevalue(name)


def test_the_site_agreement_answers_with_its_current_version_and_the_callers_acceptance(
        as_user, space, member, outsider):
    body = as_user(member).get("/api/v1/agreements/site").json
    assert body["version"] == 1 and body["accepted"] is True and body["current"] is True
    assert set(body) >= {"version", "title", "body_html", "published_at", "accepted"}
    assert as_user(outsider).get("/api/v1/agreements/site").json["accepted"] is False


def test_reading_the_site_agreement_needs_a_sign_in(client, space):
    response = client.get("/api/v1/agreements/site")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json["error"]["code"] == "unauthorized"


def test_with_nothing_published_the_agreements_answer_404(as_user, member, facilitator):
    from tests.factories import make_space

    space = make_space(facilitators=[facilitator], members=[member], with_agreement=False)
    db.session.execute(db.delete(Acceptance))
    db.session.execute(db.delete(Agreement))
    db.session.commit()
    client = as_user(member)
    assert client.get("/api/v1/agreements/site").status_code == HTTPStatus.NOT_FOUND
    assert client.get(f"/api/v1/spaces/{space.id}/agreement").status_code == HTTPStatus.NOT_FOUND
    response = client.post("/api/v1/agreements/site/accept", json={"version": 1})
    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize(("who", "status"), [
    ("admin", HTTPStatus.CREATED), ("facilitator", HTTPStatus.FORBIDDEN),
    ("member", HTTPStatus.FORBIDDEN), ("outsider", HTTPStatus.FORBIDDEN)])
def test_only_admins_publish_the_site_agreement(request, as_user, space, who, status):
    user = persona(request, who)
    response = as_user(user).post("/api/v1/agreements/site",
                                  json={"title": "Site rules 2", "body": "Be *kind*."})
    assert response.status_code == status
    published = db.session.scalar(
        db.select(db.func.count(AuditEntry.id)).where(AuditEntry.action == "agreement:publish"))
    if status == HTTPStatus.CREATED:
        assert response.json["version"] == 2
        assert response.json["body_html"] == "<p>Be <em>kind</em>.</p>\n"
        assert response.json["accepted"] is True  # the publisher accepts what they publish
        assert published == 1
    else:
        assert response.json["error"]["code"] == "forbidden"
        assert published == 0


@pytest.mark.parametrize(("who", "status"), [
    ("facilitator", HTTPStatus.CREATED), ("member", HTTPStatus.FORBIDDEN),
    ("other_member", HTTPStatus.FORBIDDEN), ("admin", HTTPStatus.FORBIDDEN),
    ("outsider", HTTPStatus.NOT_FOUND)])
def test_only_facilitators_publish_their_space_agreement(request, as_user, space, who, status):
    response = as_user(persona(request, who)).post(
        f"/api/v1/spaces/{space.id}/agreement", json={"title": "Version two", "body": "Text"})
    assert response.status_code == status
    versions = db.session.scalar(db.select(db.func.max(Agreement.version))
                                 .where(Agreement.space_id == space.id))
    assert versions == (2 if status == HTTPStatus.CREATED else 1)
    audited = db.session.scalar(db.select(AuditEntry).where(AuditEntry.space_id == space.id))
    assert (audited is not None) == (status == HTTPStatus.CREATED)


@pytest.mark.parametrize(("payload", "field"), [
    ({"title": "", "body": "Text"}, "title"),
    ({"title": "ab", "body": "Text"}, "title"),
    ({"title": "Fine title", "body": ""}, "body"),
    ({"title": "Fine title", "body": "x" * 50_001}, "body"),
    ({"title": "Fine title"}, "body"),
    ({"title": 5, "body": "Text"}, "title"),
])
def test_bad_agreement_input_is_422_with_the_field_and_nothing_is_written(
        as_user, space, facilitator, payload, field):
    before = (count(Agreement), count(AuditEntry), count(Acceptance))
    response = as_user(facilitator).post(f"/api/v1/spaces/{space.id}/agreement", json=payload)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json["error"]["code"] == "invalid"
    assert field in response.json["error"]["fields"]
    assert (count(Agreement), count(AuditEntry), count(Acceptance)) == before


def test_malformed_json_is_400_and_nothing_is_written(as_user, space, admin):
    before = count(Agreement)
    for path in ("/api/v1/agreements/site", "/api/v1/agreements/site/accept"):
        response = as_user(admin).post(path, data="{nope",
                                       headers={"Content-Type": "application/json"})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.json["error"]["code"] == "malformed"
    assert count(Agreement) == before


def test_a_body_over_the_request_limit_is_413(as_user, space, admin):
    response = as_user(admin).post("/api/v1/agreements/site",
                                   json={"title": "Huge", "body": "x" * 1_100_000})
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json["error"]["code"] == "too_large"
    assert count(Agreement) == 2


@pytest.mark.parametrize(("who", "status"), [
    ("facilitator", HTTPStatus.OK), ("member", HTTPStatus.OK), ("other_member", HTTPStatus.OK),
    ("admin", HTTPStatus.OK), ("outsider", HTTPStatus.NOT_FOUND)])
def test_members_facilitators_and_admins_read_a_space_agreement(request, as_user, space, who,
                                                                status):
    client = as_user(persona(request, who))
    for path in (f"/api/v1/spaces/{space.id}/agreement",
                 f"/api/v1/spaces/{space.id}/agreement/versions",
                 f"/api/v1/spaces/{space.id}/agreement/versions/1"):
        assert client.get(path).status_code == status, path


def test_an_unknown_space_or_version_is_404(as_user, space, member):
    client = as_user(member)
    assert client.get("/api/v1/spaces/999999/agreement").status_code == HTTPStatus.NOT_FOUND
    assert client.get(f"/api/v1/spaces/{space.id}/agreement/versions/9").status_code == \
        HTTPStatus.NOT_FOUND
    assert client.get("/api/v1/agreements/site/versions/9").status_code == HTTPStatus.NOT_FOUND


def test_earlier_versions_are_listed_newest_first_page_by_page(as_user, space, facilitator,
                                                               outsider):
    make_agreement(space=space, title="Second version")
    make_agreement(space=space, title="Third version", body="Newest *text*")
    client = as_user(facilitator)
    first = client.get(f"/api/v1/spaces/{space.id}/agreement/versions?limit=2").json
    assert [v["version"] for v in first["items"]] == [3, 2]
    rest = client.get(f"/api/v1/spaces/{space.id}/agreement/versions?limit=2"
                      f"&cursor={first['next_cursor']}").json
    assert [v["version"] for v in rest["items"]] == [1] and rest["next_cursor"] is None
    old = client.get(f"/api/v1/spaces/{space.id}/agreement/versions/2").json
    assert old["title"] == "Second version" and old["current"] is False
    assert client.get(f"/api/v1/spaces/{space.id}/agreement/versions?cursor=@@").status_code \
        == HTTPStatus.UNPROCESSABLE_ENTITY
    site = as_user(outsider).get("/api/v1/agreements/site/versions").json
    assert [v["version"] for v in site["items"]] == [1]


def test_accepting_the_site_agreement_is_recorded_once(as_user, space, outsider):
    client = as_user(outsider)
    first = client.post("/api/v1/agreements/site/accept", json={"version": 1})
    assert first.status_code == HTTPStatus.OK
    assert first.json["version"] == 1 and first.json["space_id"] is None
    again = client.post("/api/v1/agreements/site/accept", json={"version": 1})
    assert again.status_code == HTTPStatus.OK
    assert again.json["accepted_at"] == first.json["accepted_at"]
    assert db.session.scalar(db.select(db.func.count(Acceptance.id))
                             .where(Acceptance.user_id == outsider.id)) == 1


def test_accepting_an_outdated_version_is_409_with_the_current_version(as_user, space, member):
    make_agreement(space=space, title="Second version")
    client = as_user(member)
    response = client.post(f"/api/v1/spaces/{space.id}/agreement/accept", json={"version": 1})
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json["error"]["code"] == "agreement_outdated"
    assert response.json["error"]["current_version"] == 2
    unknown = client.post(f"/api/v1/spaces/{space.id}/agreement/accept", json={"version": 5})
    assert unknown.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "version" in unknown.json["error"]["fields"]
    as_text = client.post(f"/api/v1/spaces/{space.id}/agreement/accept", json={"version": "2"})
    assert as_text.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert client.get(f"/api/v1/spaces/{space.id}/agreement").json["accepted"] is False


@pytest.mark.parametrize(("who", "status"), [
    ("facilitator", HTTPStatus.OK), ("member", HTTPStatus.OK), ("other_member", HTTPStatus.OK),
    ("admin", HTTPStatus.NOT_FOUND), ("outsider", HTTPStatus.NOT_FOUND)])
def test_only_members_and_facilitators_accept_a_space_agreement(request, as_user, space, who,
                                                                status):
    make_agreement(space=space, title="Second version")
    user = persona(request, who)
    response = as_user(user).post(f"/api/v1/spaces/{space.id}/agreement/accept",
                                  json={"version": 2})
    assert response.status_code == status
    accepted = db.session.scalar(db.select(Acceptance).join(Agreement).where(
        Acceptance.user_id == user.id, Agreement.space_id == space.id, Agreement.version == 2))
    assert (accepted is not None) == (status == HTTPStatus.OK)


def test_the_site_agreement_comes_before_a_space_agreement(as_user, space, member):
    make_agreement(title="Site version two")
    make_agreement(space=space, title="Space version two")
    client = as_user(member)
    response = client.post(f"/api/v1/spaces/{space.id}/agreement/accept", json={"version": 2})
    assert response.status_code == HTTPStatus.PRECONDITION_REQUIRED
    assert response.json["error"]["code"] == "agreement_required"
    assert response.json["error"]["agreement_url"] == "/api/v1/agreements/site"


def test_a_member_must_accept_a_new_space_version_before_reading_on(as_user, space, member):
    make_agreement(space=space, title="Space version two")
    client = as_user(member)
    members = f"/api/v1/spaces/{space.id}/members"
    response = client.get(members)
    assert response.status_code == HTTPStatus.PRECONDITION_REQUIRED
    assert response.json["error"]["code"] == "agreement_required"
    assert response.json["error"]["agreement_url"] == f"/api/v1/spaces/{space.id}/agreement"
    agreement = client.get(response.json["error"]["agreement_url"]).json
    assert agreement["accepted"] is False
    client.post(f"/api/v1/spaces/{space.id}/agreement/accept",
                json={"version": agreement["version"]})
    assert client.get(members).status_code == HTTPStatus.OK


def test_a_member_must_accept_a_new_site_version_before_reading_on(as_user, space, admin,
                                                                   member):
    assert as_user(admin).post("/api/v1/agreements/site",
                               json={"title": "Site two", "body": "New rules"}).status_code == \
        HTTPStatus.CREATED
    client = as_user(member)
    members = f"/api/v1/spaces/{space.id}/members"
    response = client.get(members)
    assert response.status_code == HTTPStatus.PRECONDITION_REQUIRED
    assert response.json["error"]["agreement_url"] == "/api/v1/agreements/site"
    assert client.post("/api/v1/agreements/site/accept", json={"version": 2}).status_code == \
        HTTPStatus.OK
    assert client.get(members).status_code == HTTPStatus.OK


def test_facilitators_see_who_has_and_has_not_accepted(as_user, space, facilitator, member):
    client = as_user(facilitator)
    client.post(f"/api/v1/spaces/{space.id}/agreement", json={"title": "Two", "body": "Text"})
    as_user(member).post(f"/api/v1/spaces/{space.id}/agreement/accept", json={"version": 2})
    body = client.get(f"/api/v1/spaces/{space.id}/agreement/acceptances").json
    assert body["version"] == 2
    status = {item["name"]: item["accepted"] for item in body["items"]}
    assert status == {"Frida Facilitator": True, "Robin": True, "Kit": False}
    paged = client.get(f"/api/v1/spaces/{space.id}/agreement/acceptances?limit=2").json
    assert len(paged["items"]) == 2
    rest = client.get(f"/api/v1/spaces/{space.id}/agreement/acceptances?limit=2"
                      f"&cursor={paged['next_cursor']}").json
    assert [i["name"] for i in rest["items"]] == ["Kit"] and rest["next_cursor"] is None


@pytest.mark.parametrize(("who", "status"), [
    ("member", HTTPStatus.FORBIDDEN), ("admin", HTTPStatus.FORBIDDEN),
    ("outsider", HTTPStatus.NOT_FOUND)])
def test_nobody_else_sees_the_acceptances(request, as_user, space, who, status):
    response = as_user(persona(request, who)).get(
        f"/api/v1/spaces/{space.id}/agreement/acceptances")
    assert response.status_code == status


def test_the_openapi_document_lists_the_agreement_operations(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/agreements/site"])
    assert "post" in paths["/api/v1/spaces/{space_id}/agreement/accept"]
    assert "get" in paths["/api/v1/spaces/{space_id}/agreement/acceptances"]
