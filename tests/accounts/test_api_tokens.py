"""Personal API tokens: created from credentials, shown once, stored hashed, revocable."""

from __future__ import annotations

from http import HTTPStatus

from community.accounts.models import ApiToken, UserStatus
from community.extensions import db
from tests.factories import PASSWORD, make_token


def test_a_token_is_shown_once_and_stored_only_as_a_hash(client, member):
    response = client.post("/api/v1/tokens",
                           json={"email": "MADS@example.org", "password": PASSWORD, "name": "cli"})
    assert response.status_code == HTTPStatus.CREATED
    token = response.json["token"]
    stored = db.session.get(ApiToken, response.json["id"])
    assert stored.name == "cli"
    assert token not in stored.token_hash
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == HTTPStatus.OK
    assert me.json["display_name"] == "Mads Member"
    listed = client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {token}"})
    assert [t["name"] for t in listed.json["items"]] == ["cli"]
    assert "token" not in listed.json["items"][0]


def test_a_wrong_password_gets_no_token(client, member):
    response = client.post("/api/v1/tokens", json={"email": member.email, "password": "nope nope"})
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json["error"]["code"] == "invalid_credentials"
    assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 0


def test_a_revoked_token_stops_working(client, member):
    token = make_token(user=member)
    auth = {"Authorization": f"Bearer {token}"}
    token_id = client.get("/api/v1/tokens", headers=auth).json["items"][0]["id"]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=auth).status_code == \
        HTTPStatus.NO_CONTENT
    assert client.get("/api/v1/me", headers=auth).status_code == HTTPStatus.UNAUTHORIZED


def test_nobody_can_revoke_someone_elses_token(client, member, other_member):
    make_token(user=member)
    mine = db.session.scalar(db.select(ApiToken))
    other = {"Authorization": f"Bearer {make_token(user=other_member)}"}
    assert client.delete(f"/api/v1/tokens/{mine.id}", headers=other).status_code == \
        HTTPStatus.NOT_FOUND
    db.session.refresh(mine)
    assert mine.revoked_at is None


def test_a_suspended_users_token_stops_working(client, member):
    auth = {"Authorization": f"Bearer {make_token(user=member)}"}
    member.status = UserStatus.SUSPENDED
    db.session.commit()
    response = client.get("/api/v1/me", headers=auth)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json["error"]["code"] == "unauthorized"


def test_token_creation_is_rate_limited_per_address(client, member):
    for _ in range(10):
        client.post("/api/v1/tokens", json={"email": member.email, "password": "wrong pass 1"})
    response = client.post("/api/v1/tokens", json={"email": member.email, "password": PASSWORD})
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response.json["error"]["code"] == "rate_limited"
    assert "Retry-After" in response.headers


def test_malformed_json_gets_a_clear_400(client):
    response = client.post("/api/v1/tokens", data="{not json",
                           headers={"Content-Type": "application/json"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json["error"]["code"] == "malformed"


def test_missing_fields_are_named(client):
    response = client.post("/api/v1/tokens", json={"email": "a@b.org"})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "password" in response.json["error"]["fields"]
