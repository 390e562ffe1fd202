"""Who is calling (session cookie or API token), CSRF for cookie-borne writes, response headers."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import Flask, Response, current_app, has_request_context, request, session
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin

from community.accounts.models import ApiToken, User, UserStatus
from community.errors import Unauthorized
from community.extensions import csrf, db, login_manager

BEARER = "Bearer "


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Read on every signed-in request: built once (Session.get builds its query each time).
_USER = (sa.select(User).where(User.id == sa.bindparam("user_id"))
         .execution_options(autoflush=False))  # as Session.get: nothing pending is written


@login_manager.user_loader
def _load_user(session_id: str) -> User | None:
    """Sessions name the user and the session version, so bumping it ends them all."""
    if has_request_context() and request.headers.get("Authorization", "").startswith(BEARER):
        return None  # an explicit token decides alone; a revoked one must not fall back
    user_id, _sep, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.scalar(_USER, {"user_id": int(user_id)})
    if user is None or user.status != UserStatus.ACTIVE or user.session_version != int(version):
        return None
    return user


@login_manager.request_loader
def _load_user_from_token(req) -> User | None:  # type: ignore[no-untyped-def]
    header = req.headers.get("Authorization", "")
    if not header.startswith(BEARER):
        return None
    return user_for_token(header[len(BEARER):].strip())


def user_for_token(token: str) -> User | None:
    """The active owner of an unrevoked token, or None. Used by the API and sockets."""
    if not token or len(token) > 200:
        return None
    row = db.session.execute(
        sa.select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
    ).scalar_one_or_none()
    if row is None or row.status != UserStatus.ACTIVE:
        return None
    return row


@login_manager.unauthorized_handler
def _unauthorized() -> None:
    raise Unauthorized(_("Please sign in."))


class Anonymous(AnonymousUserMixin):
    is_admin = False
    locale = None


login_manager.anonymous_user = Anonymous


def content_security_policy() -> str:
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def register(app: Flask) -> None:
    @app.before_request
    def _csrf_for_cookie_writes() -> None:
        cfg = current_app.config
        if not cfg.get("WTF_CSRF_ENABLED", True) or request.method not in cfg.get(
                "WTF_CSRF_METHODS", ("POST", "PUT", "PATCH", "DELETE")):
            return
        # A bearer token cannot be sent by another site's page, so it needs no CSRF token;
        # nor does a JSON call that carries no signed-in session (a script getting a token).
        if request.headers.get("Authorization", "").startswith(BEARER):
            return
        if request.path.startswith("/api/") and "_user_id" not in session:
            return
        csrf.protect()

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # Behind TLS: the request came over it (directly, or per a trusted proxy's
        # X-Forwarded-Proto, see PROXY_HOPS) or the site is configured as https. Browsers
        # ignore HSTS over plain http, so a stray http request behind a https site is fine.
        if request.is_secure or current_app.config["PREFERRED_URL_SCHEME"] == "https":
            response.headers.setdefault("Strict-Transport-Security",
                                        "max-age=31536000; includeSubDomains")
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
