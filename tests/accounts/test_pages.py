"""Signing up, in and out through the pages; profile, password and token pages."""

from __future__ import annotations

from http import HTTPStatus

from community.accounts.models import ApiToken, User, UserStatus
from community.admin.models import AuditEntry
from community.extensions import db
from tests.factories import PASSWORD


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def sign_in(client, email, password=PASSWORD, **extra):  # type: ignore[no-untyped-def]
    return client.post("/sign-in", data={"email": email, "password": password, **extra})


def test_signing_up_creates_a_normalised_account_and_signs_in(client):
    response = client.post("/sign-up", data={"display_name": "  Siri   Dahl ",
                                             "email": "Siri@Example.ORG",
                                             "password": "blue kayak morning tea"})
    assert response.status_code == HTTPStatus.FOUND
    user = db.session.scalar(db.select(User))
    assert (user.email, user.display_name) == ("siri@example.org", "Siri Dahl")
    assert user.password_hash.startswith("$argon2id$")
    assert client.get("/").status_code == HTTPStatus.OK
    entry = db.session.scalar(db.select(AuditEntry))
    assert (entry.action, entry.target_id) == ("user:signup", user.id)


def test_a_taken_email_is_refused_next_to_the_field(client, member):
    response = client.post("/sign-up", data={"display_name": "Copy", "email": "MADS@example.org",
                                             "password": "blue kayak morning tea"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b"This e-mail is already in use." in response.data
    assert count(User) == 1


def test_short_and_common_passwords_are_refused(client):
    for password, message in (("short", b"at least 10 characters"),
                              ("password123", b"too common"),
                              ("aaaaaaaaaaaa", b"too common")):
        response = client.post("/sign-up", data={"display_name": "Sam", "email": "sam@example.org",
                                                 "password": password})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert message in response.data
    assert count(User) == 0


def test_sign_up_is_closed_when_the_site_is_invitation_only(app, client):
    app.config["SIGNUP"] = "invite"
    try:
        assert client.get("/sign-up").status_code == HTTPStatus.FORBIDDEN
        response = client.post("/sign-up", data={"display_name": "Sam", "email": "s@example.org",
                                                 "password": "blue kayak morning tea"})
        assert response.status_code == HTTPStatus.FORBIDDEN
        api = client.post("/api/v1/users", json={"display_name": "Sam", "email": "s@example.org",
                                                 "password": "blue kayak morning tea"})
        assert api.status_code == HTTPStatus.FORBIDDEN
        assert api.json["error"]["code"] == "signup_closed"
    finally:
        app.config["SIGNUP"] = "open"
    assert count(User) == 0


def test_an_admin_can_create_accounts_through_the_api_when_sign_up_is_closed(app, as_user, admin):
    app.config["SIGNUP"] = "invite"
    try:
        response = as_user(admin).post("/api/v1/users", json={
            "display_name": "Sam", "email": "sam@example.org",
            "password": "blue kayak morning tea"})
    finally:
        app.config["SIGNUP"] = "open"
    assert response.status_code == HTTPStatus.CREATED
    assert response.json["email"] == "sam@example.org"
    assert "password" not in response.json


def test_signing_in_and_out(client, member):
    assert client.get("/").status_code == HTTPStatus.FOUND
    response = sign_in(client, "mads@example.org")
    assert response.status_code == HTTPStatus.FOUND
    assert client.get("/").status_code == HTTPStatus.OK
    assert client.post("/sign-out").status_code == HTTPStatus.FOUND
    assert client.get("/").headers["Location"].startswith("/sign-in")


def test_a_wrong_password_says_nothing_about_which_part_was_wrong(client, member):
    wrong_password = sign_in(client, member.email, "not the password")
    unknown_email = sign_in(client, "nobody@example.org")
    assert wrong_password.status_code == unknown_email.status_code == HTTPStatus.BAD_REQUEST
    message = b"That e-mail and password do not match an active account."
    assert message in wrong_password.data and message in unknown_email.data


def test_sign_in_redirects_only_to_local_paths(client, member):
    assert sign_in(client.__class__(client.application), member.email).status_code == 302
    for target, expected in (("/profile", "/profile"), ("//evil.example/x", "/"),
                             ("https://evil.example/", "/")):
        fresh = client.application.test_client()
        response = fresh.post(f"/sign-in?next={target}",
                              data={"email": member.email, "password": PASSWORD})
        assert response.headers["Location"] == expected


def test_sign_in_is_rate_limited(client, member):
    for _ in range(10):
        sign_in(client, member.email, "not the password")
    response = sign_in(client, member.email)
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert client.get("/").status_code == HTTPStatus.FOUND  # still signed out


def test_remember_me_sets_a_lasting_http_only_cookie(client, member):
    response = sign_in(client, member.email, remember="y")
    cookie = next(c for c in response.headers.getlist("Set-Cookie")
                  if c.startswith("remember_token="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie


def test_a_suspended_account_cannot_sign_in_and_its_session_ends(client, member):
    sign_in(client, member.email)
    assert client.get("/").status_code == HTTPStatus.OK
    member.status = UserStatus.SUSPENDED
    member.session_version += 1
    db.session.commit()
    assert client.get("/").status_code == HTTPStatus.FOUND
    assert sign_in(client, member.email).status_code == HTTPStatus.BAD_REQUEST


def test_changing_the_password_signs_out_other_devices(app, member):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, member.email)
    sign_in(phone, member.email)
    new = "river stone lantern quiet"
    response = laptop.post("/profile/password", data={"current_password": PASSWORD,
                                                      "new_password": new})
    assert response.status_code == HTTPStatus.FOUND
    assert laptop.get("/").status_code == HTTPStatus.OK
    assert phone.get("/").status_code == HTTPStatus.FOUND
    assert sign_in(app.test_client(), member.email, new).status_code == HTTPStatus.FOUND


def test_changing_the_password_needs_the_current_one(as_user, member):
    response = as_user(member).post("/profile/password", data={
        "current_password": "wrong one", "new_password": "river stone lantern quiet"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b"This is not your current password." in response.data


def test_profile_changes_name_and_language(as_user, member):
    client = as_user(member)
    response = client.post("/profile", data={"display_name": "Mads M.", "locale": "da"})
    assert response.status_code == HTTPStatus.FOUND
    db.session.refresh(member)
    assert (member.display_name, member.locale) == ("Mads M.", "da")
    assert b'lang="da"' in client.get("/profile").data


def test_profile_refuses_an_unknown_language_and_an_empty_name(as_user, member):
    client = as_user(member)
    assert client.post("/profile", data={"display_name": "Mads", "locale": "xx"}).status_code \
        == HTTPStatus.BAD_REQUEST
    assert client.post("/profile", data={"display_name": "   ", "locale": "en"}).status_code \
        == HTTPStatus.BAD_REQUEST
    db.session.refresh(member)
    assert (member.display_name, member.locale) == ("Mads Member", None)


def test_the_tokens_page_shows_a_new_token_once_and_revokes_it(as_user, member):
    client = as_user(member)
    created = client.post("/profile/tokens", data={"name": "my script"})
    token = db.session.scalar(db.select(ApiToken))
    raw = created.data.decode().split('<p class="token">')[1].split("</p>")[0]
    assert raw.startswith("cc_") and raw not in client.get("/profile/tokens").data.decode()
    client.post(f"/profile/tokens/{token.id}/revoke")
    db.session.refresh(token)
    assert token.revoked_at is not None
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code \
        == HTTPStatus.UNAUTHORIZED


def test_account_pages_need_a_signed_in_user(client):
    for path in ("/profile", "/profile/password", "/profile/tokens"):
        response = client.get(path)
        assert response.status_code == HTTPStatus.FOUND
        assert response.headers["Location"].startswith("/sign-in")
    assert client.get("/api/v1/me").status_code == HTTPStatus.UNAUTHORIZED
