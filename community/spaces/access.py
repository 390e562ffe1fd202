"""Fetch-and-authorize for spaces: the one place that decides who sees and does what."""

from __future__ import annotations

from typing import cast

from flask_babel import gettext as _

from community.accounts.models import User
from community.agreements.queries import require_accepted
from community.errors import Forbidden, NotFound
from community.extensions import db
from community.policy import Permission, SpaceRole, allows, space_role
from community.spaces.models import Invitation, JoinPolicy, JoinRequest, Membership, Space
from community.spaces.queries import get_active_membership_of_user, get_membership

UNREAD = object()  # access_space_by_id's `membership`: not read yet, read it


def access_space_by_id(user: User, space_id: int,
                       permission: Permission = Permission.READ_CONTENT, *,
                       membership: Membership | object | None = UNREAD
                       ) -> tuple[Space, Membership | None]:
    """The space and the caller's active membership, if the caller may do `permission`.

    Raises NotFound when the caller may not even know the space exists, Forbidden when
    they can see it but not do this, and AgreementRequired when reading or posting
    content before accepting the current site and space agreements. `membership`: the
    caller's membership row of the space (or None), when already read with something
    else in the same statement.
    """
    space = db.session.get(Space, space_id) if user.is_authenticated else None
    if space is None:
        raise NotFound()
    if membership is UNREAD:
        membership = get_membership(user, space.id)
    membership = cast("Membership | None", membership)
    role = space_role(user, membership)
    if not allows(Permission.VIEW_SPACE, role, is_admin=user.is_admin):
        raise NotFound()
    if not allows(permission, role, is_admin=user.is_admin):
        raise Forbidden()
    if permission in (Permission.READ_CONTENT, Permission.POST):
        if role == SpaceRole.MEMBER and space.archived_at is not None:
            from community.facilitation.archive import member_read_ended

            if member_read_ended(space):
                raise Forbidden(_("This space was archived; reading has ended."),
                                code="archive_closed")
        require_accepted(user, space)
    active = membership if membership is not None and membership.is_active else None
    return space, active


def access_space_role(user: User, space: Space) -> SpaceRole:
    return space_role(user, get_membership(user, space.id))


def access_joinable_space_by_id(user: User, space_id: int) -> Space:
    """A space that takes join requests, for a signed-in visitor: name and purpose only.

    Invite-only and archived spaces answer NotFound, exactly like unknown ids.
    """
    space = db.session.get(Space, space_id) if user.is_authenticated else None
    if space is None or space.join_policy != JoinPolicy.REQUEST or space.archived_at is not None:
        raise NotFound()
    return space


def access_invitation_by_id(space: Space, invitation_id: int) -> Invitation:
    """An invitation of `space` (the caller has already been authorized for the space)."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.space_id != space.id:
        raise NotFound()
    return invitation


def access_join_request_by_id(space: Space, request_id: int) -> JoinRequest:
    """A join request of `space` (the caller has already been authorized for the space)."""
    join_request = db.session.get(JoinRequest, request_id)
    if join_request is None or join_request.space_id != space.id:
        raise NotFound()
    return join_request


def access_membership_to_end(user: User, space_id: int, target_user_id: int
                             ) -> tuple[Space, Membership]:
    """The active membership `user` may end: their own (leave) or, as facilitator, anyone's.

    Leaving needs no agreement: a member who will not accept a new version can still go.
    """
    if user.is_authenticated and target_user_id == user.id:
        space, own = access_space_by_id(user, space_id, Permission.LEAVE)
        if own is None:
            raise NotFound()
        return space, own
    space, _own = access_space_by_id(user, space_id, Permission.MANAGE_SPACE)
    target = get_active_membership_of_user(space, target_user_id)
    if target is None:
        raise NotFound()
    return space, target
