"""Who may do what in a space: the one table behind every access_* function."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from community.accounts.models import User
    from community.spaces.models import Membership


class SpaceRole(enum.StrEnum):
    OUTSIDER = "outsider"
    MEMBER = "member"
    FACILITATOR = "facilitator"
    ADMIN = "admin"  # a site admin who is not an active member of the space


class Permission(enum.StrEnum):
    VIEW_SPACE = "space:view"  # name, purpose and settings; not content
    READ_CONTENT = "space:read"  # threads, posts, roster, events (behind the agreement gate)
    POST = "space:post"
    MANAGE_SPACE = "space:manage"  # settings, invitations, join requests, removals, agreement
    APPOINT_FACILITATOR = "space:appoint"
    LEAVE = "space:leave"
    MODERATE = "space:moderate"  # pin, lock, rename; see held, removed and earlier versions
    FLAG = "space:flag"  # flag a post for review
    REVIEW = "space:review"  # the moderation queue, log and sanctions (admins site-wide)


_M, _F, _A = SpaceRole.MEMBER, SpaceRole.FACILITATOR, SpaceRole.ADMIN

GRANTS: dict[Permission, frozenset[SpaceRole]] = {
    Permission.VIEW_SPACE: frozenset({_M, _F, _A}),
    Permission.READ_CONTENT: frozenset({_M, _F}),
    Permission.POST: frozenset({_M, _F}),
    Permission.MANAGE_SPACE: frozenset({_F}),
    Permission.APPOINT_FACILITATOR: frozenset({_A}),
    Permission.LEAVE: frozenset({_M, _F}),
    Permission.MODERATE: frozenset({_F}),
    Permission.FLAG: frozenset({_M, _F}),
    Permission.REVIEW: frozenset({_F, _A}),
}


def space_role(user: User, membership: Membership | None) -> SpaceRole:
    """A facilitator who is also an admin acts as a facilitator in their own space."""
    if membership is not None and membership.is_active:
        return SpaceRole(membership.role.value)
    if user.is_admin:
        return SpaceRole.ADMIN
    return SpaceRole.OUTSIDER


def allows(permission: Permission, role: SpaceRole, *, is_admin: bool = False) -> bool:
    if role in GRANTS[permission]:
        return True
    # Site admins keep their admin powers inside spaces they also belong to.
    return is_admin and SpaceRole.ADMIN in GRANTS[permission]
