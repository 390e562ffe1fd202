"""Every admin page and API endpoint: sign-in when signed out, 403 for non-admins."""

from __future__ import annotations

from http import HTTPStatus

import pytest

PAGES = ["/admin/", "/admin/users", "/admin/users/{user}", "/admin/agreement", "/admin/audit",
         "/admin/audit.csv", "/admin/settings"]
PAGE_POSTS = ["/admin/users/{user}/suspend", "/admin/users/{user}/unsuspend",
              "/admin/users/{user}/admin", "/admin/agreement", "/admin/settings"]
API_GETS = ["/api/v1/admin/users", "/api/v1/admin/users/{user}", "/api/v1/admin/audit",
            "/api/v1/admin/settings"]
API_WRITES = [("POST", "/api/v1/admin/users/{user}/suspend"),
              ("POST", "/api/v1/admin/users/{user}/unsuspend"),
              ("PUT", "/api/v1/admin/users/{user}/admin"),
              ("PATCH", "/api/v1/admin/settings")]


def test_every_admin_route_is_covered_here(app):
    covered = {p.split("{")[0] for p in PAGES + PAGE_POSTS + API_GETS}
    covered |= {p.split("{")[0] for _m, p in API_WRITES}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("admin.", "api_admin.")):
            assert rule.rule.split("<")[0] in covered, rule.rule


def test_admins_open_every_admin_page_and_api_list(as_user, space, admin, member):
    client = as_user(admin)
    for path in PAGES:
        assert client.get(path.format(user=member.id)).status_code == HTTPStatus.OK, path
    for path in API_GETS:
        assert client.get(path.format(user=member.id)).status_code == HTTPStatus.OK, path


def test_signed_out_visitors_are_sent_to_sign_in(client, space, member):
    for path in PAGES:
        response = client.get(path.format(user=member.id))
        assert response.status_code == HTTPStatus.FOUND, path
        assert response.location.startswith("/sign-in?next="), path
    for path in PAGE_POSTS:
        response = client.post(path.format(user=member.id), data={"reason": "x", "is_admin": "1"})
        assert response.status_code == HTTPStatus.FOUND, path
    for path in API_GETS:
        response = client.get(path.format(user=member.id))
        assert response.status_code == HTTPStatus.UNAUTHORIZED, path
    for method, path in API_WRITES:
        response = client.open(path.format(user=member.id), method=method,
                               json={"reason": "x", "is_admin": True})
        assert response.status_code == HTTPStatus.UNAUTHORIZED, path


@pytest.mark.parametrize("who", ["facilitator", "member", "outsider"])
def test_signed_in_non_admins_are_refused_with_403(request, as_user, space, member, who):
    from community.accounts.models import User
    from community.extensions import db

    client = as_user(request.getfixturevalue(who))
    for path in PAGES:
        assert client.get(path.format(user=member.id)).status_code == HTTPStatus.FORBIDDEN, path
    for path in PAGE_POSTS:
        response = client.post(path.format(user=member.id), data={"reason": "x", "is_admin": "1",
                                                                  "title": "Hi there",
                                                                  "body": "Text"})
        assert response.status_code == HTTPStatus.FORBIDDEN, path
    for path in API_GETS:
        response = client.get(path.format(user=member.id))
        assert response.status_code == HTTPStatus.FORBIDDEN, path
        assert response.json["error"]["code"] == "forbidden"
    for method, path in API_WRITES:
        response = client.open(path.format(user=member.id), method=method,
                               json={"reason": "x", "is_admin": True} if method != "PATCH"
                               else {"signup": "invite"})
        assert response.status_code == HTTPStatus.FORBIDDEN, path
    from community.admin.settings import signup_mode

    assert signup_mode() == "open"
    fresh = db.session.get(User, member.id)
    assert fresh.status.value == "active" and not fresh.is_admin
