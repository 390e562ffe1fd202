"""Fetch-and-authorize for agreements: who may read, accept and publish which agreement."""

from __future__ import annotations

from community.accounts.models import User
from community.errors import Forbidden, NotFound
from community.policy import Permission
from community.spaces.access import access_space_by_id
from community.spaces.models import Membership, Space


def access_site_agreement_to_publish(user: User) -> None:
    """Only site admins publish the baseline agreement."""
    if not user.is_admin:
        raise Forbidden()


def access_space_agreement_to_read(user: User, space_id: int) -> tuple[Space, Membership | None]:
    """Members and facilitators read their space's agreement; admins may read it too.

    Reading is not behind the gate: the agreement is what one must read to pass it.
    """
    return access_space_by_id(user, space_id, Permission.VIEW_SPACE)


def access_space_agreement_to_accept(user: User, space_id: int) -> tuple[Space, Membership]:
    """Only active members and facilitators accept; anyone else learns nothing (404)."""
    space, membership = access_space_by_id(user, space_id, Permission.VIEW_SPACE)
    if membership is None:
        raise NotFound()
    return space, membership


def access_space_agreement_to_manage(user: User, space_id: int) -> tuple[Space, Membership | None]:
    """Facilitators publish versions and see who has accepted them."""
    return access_space_by_id(user, space_id, Permission.MANAGE_SPACE)
