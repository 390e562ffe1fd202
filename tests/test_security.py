"""Defences every page and endpoint shares: CSRF, headers, size limits, error bodies."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest

from community import create_app
from community.accounts.models import ApiToken
from community.extensions import db
from tests.conftest import app_config
from tests.factories import PASSWORD, make_token


@pytest.fixture
def csrf_on(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def page_token(client, path: str) -> str:  # type: ignore[no-untyped-def]
    html = client.get(path).data.decode()
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def test_a_form_post_without_the_csrf_token_is_refused(client, member, csrf_on):
    response = client.post("/sign-in", data={"email": member.email, "password": PASSWORD})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b"The form has expired" in response.data
    assert client.get("/").status_code == HTTPStatus.FOUND


def test_a_form_post_with_the_csrf_token_goes_through(client, member, csrf_on):
    token = page_token(client, "/sign-in")
    response = client.post("/sign-in", data={"email": member.email, "password": PASSWORD,
                                             "csrf_token": token})
    assert response.status_code == HTTPStatus.FOUND


def test_cookie_authenticated_api_writes_need_the_csrf_header(as_user, member, csrf_on):
    client = as_user(member)
    refused = client.patch("/api/v1/me", json={"display_name": "Changed"})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.json["error"]["code"] == "csrf_failed"
    token = page_token(client, "/profile")
    accepted = client.patch("/api/v1/me", json={"display_name": "Changed"},
                            headers={"X-CSRF-Token": token})
    assert accepted.status_code == HTTPStatus.OK
    assert accepted.json["display_name"] == "Changed"


def test_token_authenticated_api_writes_need_no_csrf_token(client, member, csrf_on):
    auth = {"Authorization": f"Bearer {make_token(user=member)}"}
    response = client.patch("/api/v1/me", json={"display_name": "Scripted"}, headers=auth)
    assert response.status_code == HTTPStatus.OK


def test_a_script_can_get_a_token_without_a_session(client, member, csrf_on):
    response = client.post("/api/v1/tokens", json={"email": member.email, "password": PASSWORD})
    assert response.status_code == HTTPStatus.CREATED
    assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 1


def test_pages_carry_a_strict_content_security_policy_and_safe_headers(client):
    response = client.get("/sign-in")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert "http" not in csp  # no third-party origins
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain http here


def test_session_cookies_are_http_only_and_same_site(client, member):
    response = client.post("/sign-in", data={"email": member.email, "password": PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_oversized_requests_get_413_with_an_error_body(client):
    response = client.post("/api/v1/tokens", data="x" * (2 * 1024 * 1024),
                           headers={"Content-Type": "application/json"})
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json["error"]["code"] == "too_large"


def test_unknown_api_paths_and_methods_answer_json_errors(client):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == HTTPStatus.NOT_FOUND
    assert missing.json == {"error": {"code": "not_found", "message": "Not found."}}
    wrong = client.put("/api/v1/me")
    assert wrong.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert wrong.json["error"]["code"] == "method_not_allowed"


def test_unknown_pages_answer_a_page_not_a_trace(client):
    response = client.get("/no/such/page")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert b"Traceback" not in response.data and b"<h1>" in response.data


def test_the_openapi_document_lists_the_api(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/tokens" in spec["paths"] and "/api/v1/me" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_numbers_too_large_for_any_column_answer_4xx_not_500(as_user, member):
    client = as_user(member)
    huge = 2**64
    for response in (client.get(f"/api/v1/spaces/{huge}"),
                     client.get(f"/api/v1/spaces/{2**40}"),
                     client.post("/api/v1/agreements/site/accept", json={"version": huge}),
                     client.post("/api/v1/agreements/site/accept", json={"version": 2**40})):
        assert HTTPStatus.BAD_REQUEST <= response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR
        assert "error" in response.json


HSTS = "Strict-Transport-Security"


@pytest.fixture
def tls_app(app, tmp_path):  # type: ignore[no-untyped-def]
    """The same database served as https://… behind one reverse proxy that ends TLS."""
    behind = create_app({**app_config(app.config["DATABASE_URL"], str(tmp_path)),
                         "BASE_URL": "https://community.example.org", "PROXY_HOPS": 1})
    behind.test_client_class = app.test_client_class
    yield behind
    with behind.app_context():
        db.engine.dispose()


def test_hsts_is_sent_only_over_tls(client):
    assert HSTS not in client.get("/sign-in").headers
    # a client cannot claim TLS through a proxy header when no proxy is trusted
    forged = client.get("/sign-in", headers={"X-Forwarded-Proto": "https"})
    assert HSTS not in forged.headers
    direct = client.get("/sign-in", base_url="https://localhost")
    assert direct.headers[HSTS] == "max-age=31536000; includeSubDomains"


def test_behind_a_tls_proxy_pages_carry_hsts_and_cookies_are_secure(tls_app, member):
    client = tls_app.test_client()
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "community.example.org"}
    page = client.get("/sign-in", headers=proxied)
    assert page.headers[HSTS] == "max-age=31536000; includeSubDomains"
    signed_in = client.post("/sign-in", headers=proxied, data={
        "email": member.email, "password": PASSWORD, "remember": "y"})
    assert signed_in.status_code == HTTPStatus.FOUND
    cookies = {c.split("=", 1)[0]: c for c in signed_in.headers.getlist("Set-Cookie")}
    assert {"session", "remember_token"} <= set(cookies)
    for name in ("session", "remember_token"):
        assert "Secure" in cookies[name] and "HttpOnly" in cookies[name], cookies[name]
        assert "SameSite=Lax" in cookies[name], cookies[name]


def test_over_plain_http_cookies_are_not_marked_secure(client, member):
    """Else the embedded default on http://127.0.0.1 could never keep anyone signed in."""
    response = client.post("/sign-in", data={"email": member.email, "password": PASSWORD,
                                             "remember": "y"})
    for cookie in response.headers.getlist("Set-Cookie"):
        assert "Secure" not in cookie and "HttpOnly" in cookie, cookie


def csp_sources(csp: str) -> dict[str, list[str]]:
    directives = [d.split() for d in csp.split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


@pytest.mark.parametrize("path", ["/sign-in", "/no/such/page", "/api/v1/me",
                                  "/static/style.css", "/api/v1/openapi.json"])
def test_every_response_names_no_origin_but_our_own_and_may_not_be_framed(client, path):
    response = client.get(path)
    response.close()  # a static file is streamed from an open file
    sources = csp_sources(response.headers["Content-Security-Policy"])
    assert sources["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert sources["default-src"] == ["'self'"] and sources["object-src"] == ["'none'"]
    for directive, allowed in sources.items():
        for source in allowed:
            # keywords and the data: scheme for images; no host, no wildcard, no nonce-less
            # escape hatch such as 'unsafe-inline', 'unsafe-eval' or 'unsafe-hashes'
            assert source in ("'self'", "'none'") or (directive == "img-src"
                                                       and source == "data:"), \
                (directive, source)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
