"""A suspended account cannot sign in, and its sessions and tokens stop working at once."""

from __future__ import annotations

from http import HTTPStatus

from tests.factories import PASSWORD, make_token


def sign_in(client, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/sign-in", data={"email": email, "password": password})


def test_suspension_ends_sessions_and_tokens_and_refuses_sign_in(app, as_user, space, admin,
                                                                  member):
    browser = app.test_client()
    assert sign_in(browser, member.email).status_code == HTTPStatus.FOUND
    assert browser.get("/profile").status_code == HTTPStatus.OK
    token = {"Authorization": f"Bearer {make_token(user=member)}"}
    assert browser.get("/api/v1/me", headers=token).status_code == HTTPStatus.OK

    suspended = as_user(admin).post(f"/admin/users/{member.id}/suspend",
                                    data={"reason": "Broke confidentiality"})
    assert suspended.status_code == HTTPStatus.FOUND

    profile = browser.get("/profile")
    assert profile.status_code == HTTPStatus.FOUND and profile.location.startswith("/sign-in")
    assert browser.get("/api/v1/me").status_code == HTTPStatus.UNAUTHORIZED
    assert app.test_client().get("/api/v1/me", headers=token).status_code == \
        HTTPStatus.UNAUTHORIZED
    refused = sign_in(app.test_client(), member.email)
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "do not match an active account" in refused.text
    api = app.test_client().post("/api/v1/tokens",
                                 json={"email": member.email, "password": PASSWORD})
    assert api.status_code == HTTPStatus.UNAUTHORIZED


def test_lifting_a_suspension_lets_the_person_sign_in_again_but_old_sessions_stay_ended(
        app, as_user, space, admin, member):
    browser = app.test_client()
    sign_in(browser, member.email)
    admin_api = as_user(admin)
    assert admin_api.post(f"/api/v1/admin/users/{member.id}/suspend",
                          json={"reason": "Investigating"}).status_code == HTTPStatus.OK
    assert admin_api.post(f"/api/v1/admin/users/{member.id}/unsuspend").status_code == \
        HTTPStatus.OK
    assert browser.get("/api/v1/me").status_code == HTTPStatus.UNAUTHORIZED
    again = app.test_client()
    assert sign_in(again, member.email).status_code == HTTPStatus.FOUND
    assert again.get("/api/v1/me").json["display_name"] == "Mads Member"
