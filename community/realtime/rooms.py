"""Which audience an event is for, and which audiences a caller may receive.

Choosing a room is a confidentiality decision, so it is made here and nowhere else.
An audience is stored on each event row, so replay filters with the same rules
that live delivery uses.
"""

from __future__ import annotations

from community.spaces.models import Membership

SPACE = "space"  # every active member of the space
FACILITATORS = "facilitators"  # the space's facilitators only


def user(user_id: int) -> str:
    """One person alone, e.g. the author of a held post."""
    return f"user:{user_id}"


def for_content(*, published: bool, author_user_id: int | None,
                author_is_facilitator: bool = False) -> list[str]:
    """Published content (and its tombstones) goes to the space; anything else only to
    the facilitators and to its author."""
    if published:
        return [SPACE]
    audiences = [FACILITATORS]
    if author_user_id is not None and not author_is_facilitator:
        audiences.append(user(author_user_id))
    return audiences


def audiences_of(membership: Membership) -> list[str]:
    """Every audience whose events this (active) member may receive."""
    audiences = [SPACE, user(membership.user_id)]
    if membership.is_facilitator:
        audiences.append(FACILITATORS)
    return audiences


def room_name(space_id: int, audience: str) -> str:
    """The Socket.IO room for an audience of a space (used by the live publisher)."""
    if audience.startswith("user:"):
        return audience
    return f"space:{space_id}:{audience}"
