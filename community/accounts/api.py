"""JSON API for accounts: tokens, users, the caller."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community.accounts import actions, queries
from community.accounts.access import access_token_by_id
from community.accounts.schemas import (
    MeSchema,
    ProfileUpdateSchema,
    TokenCreatedSchema,
    TokenCreateSchema,
    TokenListSchema,
    UserCreateSchema,
    UserSchema,
)
from community.admin.settings import signup_open
from community.api.common import ErrorSchema, api_blueprint
from community.errors import Forbidden, Unauthorized
from community.extensions import address_key, db, limiter
from community.spaces.queries import list_memberships_of

blp = api_blueprint("api_accounts", __name__, "Accounts, personal API tokens and the caller.")


@blp.route("/tokens", methods=["POST"])
@limiter.limit(lambda: current_app.config["SIGNIN_RATE_LIMIT"], key_func=address_key)
@blp.arguments(TokenCreateSchema)
@blp.response(HTTPStatus.CREATED, TokenCreatedSchema)
@blp.alt_response(HTTPStatus.UNAUTHORIZED, schema=ErrorSchema)
def create_token(body: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Create a personal API token from e-mail and password (the token is shown once)."""
    user = actions.check_credentials(email=body["email"], password=body["password"])
    if user is None:
        raise Unauthorized(_("That e-mail and password do not match an active account."),
                           code="invalid_credentials")
    token, raw = actions.do_create_token(user, name=body.get("name") or "API")
    db.session.commit()
    return {"id": token.id, "token": raw, "name": token.name}


@blp.route("/tokens", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, TokenListSchema)
def list_tokens():  # type: ignore[no-untyped-def]
    """The caller's active tokens (never the secret itself)."""
    return {"items": queries.list_tokens(current_user), "next_cursor": None}


@blp.route("/tokens/<int:token_id>", methods=["DELETE"])
@login_required
@blp.response(HTTPStatus.NO_CONTENT)
@blp.alt_response(HTTPStatus.NOT_FOUND, schema=ErrorSchema)
def revoke_token(token_id: int):  # type: ignore[no-untyped-def]
    """Revoke one of the caller's tokens."""
    actions.do_revoke_token(access_token_by_id(current_user, token_id))
    db.session.commit()


@blp.route("/users", methods=["POST"])
@limiter.limit(lambda: current_app.config["SIGNUP_RATE_LIMIT"], key_func=address_key)
@blp.arguments(UserCreateSchema)
@blp.response(HTTPStatus.CREATED, UserSchema)
@blp.alt_response(HTTPStatus.CONFLICT, schema=ErrorSchema)
def create_user(body: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Create an account: open to anyone when sign-up is open, else to admins only."""
    is_admin = current_user.is_authenticated and current_user.is_admin
    if not signup_open() and not is_admin:
        raise Forbidden(_("Sign-up is by invitation only."), code="signup_closed")
    user = actions.check_signup(email=body["email"], password=body["password"],
                                display_name=body["display_name"],
                                acting_user=current_user if is_admin else None)
    db.session.commit()
    return user


def _me() -> dict[str, Any]:
    memberships = [{"space_id": m.space_id, "space_name": m.space.name, "role": m.role.value,
                    "pseudonym": m.pseudonym} for m in list_memberships_of(current_user)]
    profile = {name: getattr(current_user, name) for name in UserSchema().fields}
    return {**profile, "memberships": memberships}


@blp.route("/me", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, MeSchema)
def me():  # type: ignore[no-untyped-def]
    """The caller, with their memberships and roles."""
    return _me()


@blp.route("/me", methods=["PATCH"])
@login_required
@blp.arguments(ProfileUpdateSchema)
@blp.response(HTTPStatus.OK, MeSchema)
def update_me(body: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Change the caller's display name or language."""
    actions.do_update_profile(current_user, display_name=body.get("display_name"),
                              locale=body.get("locale"))
    db.session.commit()
    return _me()
