"""JSON API for spaces, memberships, invitations and join requests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any, TypeVar

from flask_babel import gettext as _
from flask_login import current_user, login_required

from community.accounts.access import access_user_by_id
from community.api.common import (
    ErrorSchema,
    api_blueprint,
    bad_cursor,
    decode_cursor,
    encode_cursor,
)
from community.errors import Forbidden, NotFound
from community.extensions import db
from community.policy import Permission
from community.spaces import actions, queries
from community.spaces.access import (
    access_invitation_by_id,
    access_join_request_by_id,
    access_joinable_space_by_id,
    access_membership_to_end,
    access_space_by_id,
)
from community.spaces.models import Invitation, JoinRequest, Membership, Space
from community.spaces.schemas import (
    AcceptInvitationSchema,
    FacilitatorCreateSchema,
    IdentitySchema,
    InvitationCreatedSchema,
    InvitationCreateSchema,
    InvitationListSchema,
    JoinDecisionSchema,
    JoinRequestCreateSchema,
    JoinRequestListSchema,
    JoinRequestSchema,
    ListArgsSchema,
    MembershipSchema,
    RosterSchema,
    SpaceCreateSchema,
    SpaceListSchema,
    SpaceSchema,
    SpaceSettingsSchema,
)

blp = api_blueprint("api_spaces", __name__, "Spaces, memberships, invitations, join requests.")

T = TypeVar("T")

_ERRORS = (HTTPStatus.NOT_FOUND, HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY)


def _errors(*statuses: HTTPStatus) -> Callable[[Any], Any]:
    """Document the error answers an operation can give (all share the error body)."""
    def wrap(view: Any) -> Any:
        for status in statuses:
            view = blp.alt_response(status, schema=ErrorSchema)(view)
        return view
    return wrap


def _page(items: Sequence[T], args: dict[str, Any], key: Callable[[T], int]
          ) -> dict[str, Any]:
    """Keyset pagination by id over a small list (a group's roster, a user's spaces)."""
    after = decode_cursor(args.get("cursor"))
    if after is not None and (isinstance(after, bool) or not isinstance(after, int)):
        raise bad_cursor()
    rest = sorted((i for i in items if after is None or key(i) > after), key=key)
    limit = args.get("limit", 50)
    page = rest[:limit]
    more = len(rest) > limit
    return {"items": page, "next_cursor": encode_cursor(key(page[-1])) if more else None}


def _space(space: Space, membership: Membership | None) -> dict[str, Any]:
    return {
        "id": space.id, "slug": space.slug, "name": space.name, "purpose": space.purpose,
        "join_policy": space.join_policy, "anonymity": space.anonymity,
        "moderation_policy": space.moderation_policy, "retention_days": space.retention_days,
        "archived": space.archived_at is not None, "created_at": space.created_at,
        "role": membership.role if membership else None,
        "pseudonym": membership.pseudonym if membership else None,
    }


def _invitation(invitation: Invitation) -> dict[str, Any]:
    return {"id": invitation.id, "role": invitation.role, "max_uses": invitation.max_uses,
            "uses": invitation.uses, "created_at": invitation.created_at,
            "expires_at": invitation.expires_at, "revoked_at": invitation.revoked_at,
            "usable": actions.invitation_problem(invitation) is None}


def _join_request(request: JoinRequest) -> dict[str, Any]:
    return {"id": request.id, "space_id": request.space_id, "user_id": request.user_id,
            "display_name": request.user.display_name, "pseudonym": request.pseudonym,
            "message": request.message, "state": request.state,
            "created_at": request.created_at}


# --- spaces -------------------------------------------------------------------------------------

@blp.route("/spaces", methods=["GET"])
@login_required
@blp.arguments(ListArgsSchema, location="query")
@blp.response(HTTPStatus.OK, SpaceListSchema)
def list_spaces(args: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Spaces the caller belongs to; site admins see every space."""
    mine = {m.space_id: m for m in queries.list_memberships_of(current_user)}
    page = _page(queries.list_spaces_for(current_user), args, key=lambda s: s.id)
    page["items"] = [_space(s, mine.get(s.id)) for s in page["items"]]
    return page


@blp.route("/spaces", methods=["POST"])
@login_required
@blp.arguments(SpaceCreateSchema)
@blp.response(HTTPStatus.CREATED, SpaceSchema)
@_errors(HTTPStatus.FORBIDDEN, HTTPStatus.UNPROCESSABLE_ENTITY)
def create_space(body: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Create a space (site admins). The slug is made from the name and is unique."""
    if not current_user.is_admin:
        raise Forbidden(_("Only site admins create spaces."))
    space = actions.check_create_space(acting_user=current_user, **body)
    db.session.commit()
    return _space(space, None)


@blp.route("/spaces/<int:space_id>", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, SpaceSchema)
@_errors(HTTPStatus.NOT_FOUND)
def get_space(space_id: int):  # type: ignore[no-untyped-def]
    """The space, its settings and the caller's role (members; admins for any space)."""
    space, membership = access_space_by_id(current_user, space_id, Permission.VIEW_SPACE)
    return _space(space, membership)


@blp.route("/spaces/<int:space_id>", methods=["PATCH"])
@login_required
@blp.arguments(SpaceSettingsSchema)
@blp.response(HTTPStatus.OK, SpaceSchema)
@_errors(*_ERRORS)
def update_space(body: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """Change settings (facilitators). Only the fields sent are changed; audited."""
    space, membership = access_space_by_id(current_user, space_id, Permission.MANAGE_SPACE)
    actions.check_update_space(space, body, acting_user=current_user)
    db.session.commit()
    return _space(space, membership)


@blp.route("/spaces/<int:space_id>/facilitators", methods=["POST"])
@login_required
@blp.arguments(FacilitatorCreateSchema)
@blp.response(HTTPStatus.OK, MembershipSchema)
@_errors(*_ERRORS)
def appoint_facilitator(body: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """Appoint a facilitator (site admins): a member is promoted, anyone else is added."""
    space, _membership = access_space_by_id(current_user, space_id,
                                            Permission.APPOINT_FACILITATOR)
    user = access_user_by_id(current_user, body["user_id"])
    membership = actions.do_appoint_facilitator(space, user, acting_user=current_user)
    db.session.commit()
    return membership


# --- members ------------------------------------------------------------------------------------

@blp.route("/spaces/<int:space_id>/members", methods=["GET"])
@login_required
@blp.arguments(ListArgsSchema, location="query")
@blp.response(HTTPStatus.OK, RosterSchema)
@_errors(HTTPStatus.NOT_FOUND, HTTPStatus.PRECONDITION_REQUIRED)
def list_members(args: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """The roster: members see shown names and roles; facilitators also see user ids, and
    real names only of members without a pseudonym (see reveal_identity)."""
    space, membership = access_space_by_id(current_user, space_id, Permission.READ_CONTENT)
    as_facilitator = membership is not None and membership.is_facilitator
    page = _page(queries.list_members(space), args, key=lambda m: m.id)
    page["items"] = [queries.roster_entry(m, as_facilitator=as_facilitator) for m in page["items"]]
    return page


@blp.route("/spaces/<int:space_id>/members/<int:user_id>/identity", methods=["POST"])
@login_required
@blp.response(HTTPStatus.OK, IdentitySchema)
@_errors(HTTPStatus.NOT_FOUND, HTTPStatus.FORBIDDEN)
def reveal_identity(space_id: int, user_id: int):  # type: ignore[no-untyped-def]
    """Who is behind a member's pseudonym (facilitators, where the site allows; audited)."""
    space, _membership = access_space_by_id(current_user, space_id, Permission.MANAGE_SPACE)
    target = queries.get_active_membership_of_user(space, user_id)
    if target is None:
        raise NotFound()
    user = actions.check_reveal_identity(space, target, acting_user=current_user)
    db.session.commit()
    return {"user_id": user.id, "pseudonym": target.pseudonym,
            "display_name": user.display_name}


@blp.route("/spaces/<int:space_id>/members/<int:user_id>", methods=["DELETE"])
@login_required
@blp.response(HTTPStatus.NO_CONTENT)
@_errors(HTTPStatus.NOT_FOUND, HTTPStatus.FORBIDDEN, HTTPStatus.CONFLICT)
def remove_member(space_id: int, user_id: int):  # type: ignore[no-untyped-def]
    """Remove a member (facilitators) or leave (the member itself). 409 for the last facilitator."""
    space, membership = access_membership_to_end(current_user, space_id, user_id)
    actions.check_remove_member(space, membership, acting_user=current_user)
    db.session.commit()


# --- invitations --------------------------------------------------------------------------------

@blp.route("/spaces/<int:space_id>/invitations", methods=["POST"])
@login_required
@blp.arguments(InvitationCreateSchema)
@blp.response(HTTPStatus.CREATED, InvitationCreatedSchema)
@_errors(*_ERRORS)
def create_invitation(body: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """Create an invitation link (facilitators). The token is shown once and stored hashed."""
    space, _membership = access_space_by_id(current_user, space_id, Permission.MANAGE_SPACE)
    invitation, token = actions.check_create_invitation(space, acting_user=current_user, **body)
    db.session.commit()
    return {**_invitation(invitation), "token": token, "url": actions.invitation_url(token)}


@blp.route("/spaces/<int:space_id>/invitations", methods=["GET"])
@login_required
@blp.arguments(ListArgsSchema, location="query")
@blp.response(HTTPStatus.OK, InvitationListSchema)
@_errors(HTTPStatus.NOT_FOUND, HTTPStatus.FORBIDDEN)
def list_invitations(args: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """The space's invitations (facilitators), without their tokens."""
    space, _membership = access_space_by_id(current_user, space_id, Permission.MANAGE_SPACE)
    page = _page(queries.list_invitations(space), args, key=lambda i: i.id)
    page["items"] = [_invitation(i) for i in page["items"]]
    return page


@blp.route("/spaces/<int:space_id>/invitations/<int:invitation_id>", methods=["DELETE"])
@login_required
@blp.response(HTTPStatus.NO_CONTENT)
@_errors(HTTPStatus.NOT_FOUND, HTTPStatus.FORBIDDEN)
def revoke_invitation(space_id: int, invitation_id: int):  # type: ignore[no-untyped-def]
    """Revoke an invitation (facilitators); idempotent."""
    space, _membership = access_space_by_id(current_user, space_id, Permission.MANAGE_SPACE)
    actions.do_revoke_invitation(access_invitation_by_id(space, invitation_id),
                                 acting_user=current_user)
    db.session.commit()


@blp.route("/invitations/<token>/accept", methods=["POST"])
@login_required
@blp.arguments(AcceptInvitationSchema)
@blp.response(HTTPStatus.CREATED, MembershipSchema)
@_errors(HTTPStatus.NOT_FOUND, HTTPStatus.UNPROCESSABLE_ENTITY, HTTPStatus.CONFLICT)
def accept_invitation(body: dict[str, Any], token: str):  # type: ignore[no-untyped-def]
    """Join with an invitation: 201 when joined now, 200 when already a member.

    Unknown, expired, revoked and used-up invitations all answer 404 `invitation_invalid`.
    """
    membership, joined = actions.check_accept_invitation(
        token, user=current_user, pseudonym=body.get("pseudonym"))
    db.session.commit()
    return membership, HTTPStatus.CREATED if joined else HTTPStatus.OK


# --- join requests ------------------------------------------------------------------------------

@blp.route("/spaces/<int:space_id>/join-requests", methods=["GET"])
@login_required
@blp.arguments(ListArgsSchema, location="query")
@blp.response(HTTPStatus.OK, JoinRequestListSchema)
@_errors(HTTPStatus.NOT_FOUND, HTTPStatus.FORBIDDEN)
def list_join_requests(args: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """Pending join requests (facilitators), oldest first."""
    space, _membership = access_space_by_id(current_user, space_id, Permission.MANAGE_SPACE)
    page = _page(queries.list_pending_join_requests(space), args, key=lambda r: r.id)
    page["items"] = [_join_request(r) for r in page["items"]]
    return page


@blp.route("/spaces/<int:space_id>/join-requests", methods=["POST"])
@login_required
@blp.arguments(JoinRequestCreateSchema)
@blp.response(HTTPStatus.CREATED, JoinRequestSchema)
@_errors(HTTPStatus.NOT_FOUND, HTTPStatus.UNPROCESSABLE_ENTITY, HTTPStatus.CONFLICT)
def request_to_join(body: dict[str, Any], space_id: int):  # type: ignore[no-untyped-def]
    """Ask to join a space that takes requests (any signed-in non-member)."""
    space = access_joinable_space_by_id(current_user, space_id)
    request = actions.check_request_to_join(space, user=current_user,
                                            pseudonym=body.get("pseudonym"),
                                            message=body.get("message", ""))
    db.session.commit()
    return _join_request(request)


def _decide(space_id: int, request_id: int, *, approve: bool) -> dict[str, Any]:
    space, _membership = access_space_by_id(current_user, space_id, Permission.MANAGE_SPACE)
    request = access_join_request_by_id(space, request_id)
    membership = actions.check_decide_join_request(request, approve=approve,
                                                   acting_user=current_user)
    db.session.commit()
    return {"join_request": _join_request(request), "membership": membership}


@blp.route("/spaces/<int:space_id>/join-requests/<int:request_id>/approve", methods=["POST"])
@login_required
@blp.response(HTTPStatus.OK, JoinDecisionSchema)
@_errors(HTTPStatus.NOT_FOUND, HTTPStatus.FORBIDDEN, HTTPStatus.CONFLICT)
def approve_join_request(space_id: int, request_id: int):  # type: ignore[no-untyped-def]
    """Approve a pending request (facilitators): the requester becomes a member."""
    return _decide(space_id, request_id, approve=True)


@blp.route("/spaces/<int:space_id>/join-requests/<int:request_id>/decline", methods=["POST"])
@login_required
@blp.response(HTTPStatus.OK, JoinDecisionSchema)
@_errors(HTTPStatus.NOT_FOUND, HTTPStatus.FORBIDDEN, HTTPStatus.CONFLICT)
def decline_join_request(space_id: int, request_id: int):  # type: ignore[no-untyped-def]
    """Decline a pending request (facilitators)."""
    return _decide(space_id, request_id, approve=False)

