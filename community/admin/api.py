"""JSON API for admins: users, suspension, admin rights and the audit log."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask_login import current_user

from community.accounts import actions as account_actions
from community.accounts.access import access_user_by_id
from community.accounts.models import User
from community.admin import queries, settings
from community.admin.access import access_admin_area
from community.admin.schemas import (
    AdminRoleSchema,
    AdminUserDetailSchema,
    AdminUserListSchema,
    AuditArgs,
    AuditListSchema,
    SiteSettingsPatchSchema,
    SiteSettingsSchema,
    SuspendSchema,
    UserListArgs,
)
from community.api.common import (
    ErrorSchema,
    api_blueprint,
    bad_cursor,
    decode_cursor,
    encode_cursor,
)
from community.extensions import db

blp = api_blueprint("api_admin", __name__, "Site administration and the audit log.")


@blp.before_request
def _admins_only() -> None:
    """Every endpoint here is for site admins: 401 when signed out, 403 for others."""
    access_admin_area(current_user)


def _int_cursor(cursor: str | None) -> int | None:
    value = decode_cursor(cursor)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise bad_cursor()
    return value


def _next(value: int | None) -> str | None:
    return encode_cursor(value) if value is not None else None


def user_detail(user: User) -> dict[str, Any]:
    memberships = [{"space_id": m.space_id, "space_name": m.space.name, "role": m.role.value,
                    "state": m.state.value, "pseudonym": m.pseudonym}
                   for m in queries.list_user_memberships(user)]
    fields = AdminUserDetailSchema().fields
    return {**{name: getattr(user, name) for name in fields if name != "memberships"},
            "memberships": memberships}


@blp.route("/admin/users", methods=["GET"])
@blp.arguments(UserListArgs, location="query")
@blp.response(HTTPStatus.OK, AdminUserListSchema)
@blp.alt_response(HTTPStatus.FORBIDDEN, schema=ErrorSchema)
def list_users(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Every account, by id; `q` searches e-mail addresses and names."""
    rows, after = queries.list_users(search=args["q"], after_id=_int_cursor(args["cursor"]),
                                     limit=args["limit"])
    return {"items": rows, "next_cursor": _next(after)}


@blp.route("/admin/users/<int:user_id>", methods=["GET"])
@blp.response(HTTPStatus.OK, AdminUserDetailSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, schema=ErrorSchema)
def get_user(user_id: int):  # type: ignore[no-untyped-def]
    """One account with every membership it has had."""
    return user_detail(access_user_by_id(current_user, user_id))


@blp.route("/admin/users/<int:user_id>/suspend", methods=["POST"])
@blp.arguments(SuspendSchema)
@blp.response(HTTPStatus.OK, AdminUserDetailSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, schema=ErrorSchema)
def suspend_user(body: dict[str, Any], user_id: int):  # type: ignore[no-untyped-def]
    """Suspend an account: sign-in refused, its sessions and tokens stop working at once."""
    user = access_user_by_id(current_user, user_id)
    account_actions.do_suspend_user(user, reason=body["reason"], acting_user=current_user)
    db.session.commit()
    return user_detail(user)


@blp.route("/admin/users/<int:user_id>/unsuspend", methods=["POST"])
@blp.response(HTTPStatus.OK, AdminUserDetailSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, schema=ErrorSchema)
def unsuspend_user(user_id: int):  # type: ignore[no-untyped-def]
    """Let a suspended account sign in again (its old sessions stay ended)."""
    user = access_user_by_id(current_user, user_id)
    account_actions.do_unsuspend_user(user, acting_user=current_user)
    db.session.commit()
    return user_detail(user)


@blp.route("/admin/users/<int:user_id>/admin", methods=["PUT"])
@blp.arguments(AdminRoleSchema)
@blp.response(HTTPStatus.OK, AdminUserDetailSchema)
@blp.alt_response(HTTPStatus.NOT_FOUND, schema=ErrorSchema)
def set_admin(body: dict[str, Any], user_id: int):  # type: ignore[no-untyped-def]
    """Give or take site admin rights (not one's own)."""
    user = access_user_by_id(current_user, user_id)
    account_actions.do_set_admin(user, is_admin=body["is_admin"], acting_user=current_user)
    db.session.commit()
    return user_detail(user)


@blp.route("/admin/audit", methods=["GET"])
@blp.arguments(AuditArgs, location="query")
@blp.response(HTTPStatus.OK, AuditListSchema)
@blp.alt_response(HTTPStatus.FORBIDDEN, schema=ErrorSchema)
def list_audit(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The audit log, newest first, filtered by action, actor, space and UTC days."""
    rows, before = queries.list_audit(
        action=args["action"], actor_id=args["actor_id"], space_id=args["space_id"],
        since=args["since"], until=args["until"], before_id=_int_cursor(args["cursor"]),
        limit=args["limit"])
    return {"items": rows, "next_cursor": _next(before)}


def _settings() -> dict[str, Any]:
    current = settings.get_site_settings()
    return {**{f: getattr(current, f) for f in settings.FIELDS},
            "signup": settings.signup_mode(), "updated_at": current.updated_at}


@blp.route("/admin/settings", methods=["GET"])
@blp.response(HTTPStatus.OK, SiteSettingsSchema)
@blp.alt_response(HTTPStatus.FORBIDDEN, schema=ErrorSchema)
def get_settings():  # type: ignore[no-untyped-def]
    """The site's confidentiality rules (sign-up falls back to COMMUNITY_SIGNUP)."""
    return _settings()


@blp.route("/admin/settings", methods=["PATCH"])
@blp.arguments(SiteSettingsPatchSchema)
@blp.response(HTTPStatus.OK, SiteSettingsSchema)
@blp.alt_response(HTTPStatus.UNPROCESSABLE_ENTITY, schema=ErrorSchema)
def update_settings(body: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Change some of the rules; only the fields sent change. Audited as site:settings."""
    settings.check_update_site_settings(body, acting_user=current_user)
    db.session.commit()
    return _settings()
