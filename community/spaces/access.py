"""Fetch-and-authorize for spaces: the one place that decides who sees and does what."""

from __future__ import annotations

from community.accounts.models import User
from community.agreements.queries import require_accepted
from community.errors import Forbidden, NotFound
from community.extensions import db
from community.policy import Permission, SpaceRole, allows, space_role
from community.spaces.models import Membership, Space
from community.spaces.queries import get_membership


def access_space_by_id(user: User, space_id: int,
                       permission: Permission = Permission.READ_CONTENT
                       ) -> tuple[Space, Membership | None]:
    """The space and the caller's active membership, if the caller may do `permission`.

    Raises NotFound when the caller may not even know the space exists, Forbidden when
    they can see it but not do this, and AgreementRequired when reading or posting
    content before accepting the current site and space agreements.
    """
    space = db.session.get(Space, space_id) if user.is_authenticated else None
    if space is None:
        raise NotFound()
    membership = get_membership(user, space.id)
    role = space_role(user, membership)
    if not allows(Permission.VIEW_SPACE, role, is_admin=user.is_admin):
        raise NotFound()
    if not allows(permission, role, is_admin=user.is_admin):
        raise Forbidden()
    if permission in (Permission.READ_CONTENT, Permission.POST):
        require_accepted(user, space)
    active = membership if membership is not None and membership.is_active else None
    return space, active


def access_space_role(user: User, space: Space) -> SpaceRole:
    return space_role(user, get_membership(user, space.id))
