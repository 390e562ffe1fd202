"""Reads about spaces, memberships and invitations."""

from __future__ import annotations

import sqlalchemy as sa

from community.accounts.models import User
from community.database import utcnow
from community.extensions import db
from community.security import hash_token
from community.spaces.models import (
    Invitation,
    JoinRequest,
    JoinRequestState,
    Membership,
    MembershipState,
    Role,
    Space,
)

# Read by every request inside a space (the space gate): built once.
_MEMBERSHIP = sa.select(Membership).where(Membership.user_id == sa.bindparam("user_id"),
                                          Membership.space_id == sa.bindparam("space_id"))


def get_membership(user: User, space_id: int) -> Membership | None:
    """The user's membership row in the space, whatever its state."""
    if not user.is_authenticated:
        return None
    return db.session.scalar(_MEMBERSHIP, {"user_id": user.id, "space_id": space_id})


def list_memberships_of(user: User) -> list[Membership]:
    return list(db.session.scalars(
        sa.select(Membership).join(Space)
        .where(Membership.user_id == user.id, Membership.state == MembershipState.ACTIVE)
        .order_by(Space.name)))


def list_spaces_for(user: User) -> list[Space]:
    """Spaces the user belongs to; admins see every space."""
    query = sa.select(Space).order_by(Space.name)
    if not user.is_admin:
        query = query.join(Membership).where(Membership.user_id == user.id,
                                             Membership.state == MembershipState.ACTIVE)
    return list(db.session.scalars(query))


def list_members(space: Space, *, include_ended: bool = False) -> list[Membership]:
    query = sa.select(Membership).where(Membership.space_id == space.id)
    if not include_ended:
        query = query.where(Membership.state == MembershipState.ACTIVE)
    return list(db.session.scalars(query.order_by(Membership.role.desc(), Membership.joined_at)))


def list_facilitators(space: Space) -> list[Membership]:
    return list(db.session.scalars(sa.select(Membership).where(
        Membership.space_id == space.id, Membership.state == MembershipState.ACTIVE,
        Membership.role == Role.FACILITATOR)))


def pseudonym_taken(space_id: int, pseudonym: str, *, except_user_id: int | None = None) -> bool:
    query = sa.select(Membership.id).where(Membership.space_id == space_id,
                                           Membership.pseudonym_key == pseudonym.casefold())
    if except_user_id is not None:
        query = query.where(Membership.user_id != except_user_id)
    return db.session.scalar(query) is not None


def get_invitation_by_token(token: str) -> Invitation | None:
    if not token or len(token) > 200:
        return None
    return db.session.scalar(sa.select(Invitation).where(
        Invitation.token_hash == hash_token(token)))


def invitation_usable(invitation: Invitation) -> bool:
    return (invitation.revoked_at is None and invitation.uses < invitation.max_uses
            and invitation.expires_at > utcnow() and invitation.space.archived_at is None)


def get_usable_invitation(token: str) -> Invitation | None:
    invitation = get_invitation_by_token(token)
    return invitation if invitation is not None and invitation_usable(invitation) else None


def list_invitations(space: Space) -> list[Invitation]:
    return list(db.session.scalars(sa.select(Invitation).where(Invitation.space_id == space.id)
                                   .order_by(Invitation.created_at.desc())))


def list_pending_join_requests(space: Space) -> list[JoinRequest]:
    return list(db.session.scalars(sa.select(JoinRequest).where(
        JoinRequest.space_id == space.id, JoinRequest.state == JoinRequestState.PENDING)
        .order_by(JoinRequest.created_at)))


def shown_name(membership: Membership) -> str:
    """What peers see: the pseudonym where there is one, else the display name."""
    return membership.pseudonym or membership.user.display_name


def slug_taken(slug: str) -> bool:
    return db.session.scalar(sa.select(Space.id).where(Space.slug == slug)) is not None


def get_join_request(space_id: int, user_id: int) -> JoinRequest | None:
    return db.session.scalar(sa.select(JoinRequest).where(
        JoinRequest.space_id == space_id, JoinRequest.user_id == user_id))


def get_active_membership_of_user(space: Space, user_id: int) -> Membership | None:
    return db.session.scalar(sa.select(Membership).where(
        Membership.space_id == space.id, Membership.user_id == user_id,
        Membership.state == MembershipState.ACTIVE))


def roster_entry(membership: Membership, *, as_facilitator: bool,
                 revealed: bool = False) -> dict[str, object]:
    """Peers see only the shown name and role; facilitators also see the user id and when
    they joined, but the name behind a pseudonym only when `revealed` (an audited look-up,
    allowed by the site setting: see community.spaces.actions.check_reveal_identity)."""
    entry: dict[str, object] = {"name": shown_name(membership), "role": membership.role}
    if as_facilitator:
        hidden = membership.pseudonym is not None and not revealed
        entry.update(user_id=membership.user_id, pseudonym=membership.pseudonym,
                     joined_at=membership.joined_at, identity_hidden=hidden)
        if not hidden:
            entry["display_name"] = membership.user.display_name
    return entry
