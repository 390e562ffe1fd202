"""Which audience an event is for, which audiences a caller may receive, and room names.

Choosing a room is a confidentiality decision, so it is made here and nowhere else.
An audience is stored on each event row, so replay filters with the same rules
that live delivery uses. Every room that carries events is scoped to one space: a
connection is in a space's rooms only while it is subscribed to that space and allowed
in it, so nobody receives events of a space they did not subscribe to.
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


def audiences_before_check(user_id: int) -> list[str]:
    """What a subscription joins before the caller's access is checked: the rooms any
    revocation of this member in the space is sent to, so that one committed during the
    check still reaches it. What arrives meanwhile is held, never sent, until the check
    passes (`audiences_of` then)."""
    return [SPACE, user(user_id)]


def room_name(space_id: int, audience: str) -> str:
    """The Socket.IO room for an audience of a space (live events go only to these).

    `space:<id>` (members), `space:<id>:facilitators`, `space:<id>:user:<uid>`: a user's
    private events are scoped per space like everything else.
    """
    if audience == SPACE:
        return f"space:{space_id}"
    return f"space:{space_id}:{audience}"


def space_of_room(room: object) -> int | None:
    """The space id of an event room, or None for any other room (a sid, a control room)."""
    if not isinstance(room, str) or not room.startswith("space:"):
        return None
    head = room.split(":", 2)[1]
    return int(head) if head.isdigit() else None


def member_room(space_id: int, user_id: int) -> str:
    """The connections of one user subscribed to one space (revocation targets it)."""
    return room_name(space_id, user(user_id))


def connection_room(user_id: int) -> str:
    """Every connection of a user, subscribed or not. Carries control messages only."""
    return f"conn:user:{user_id}"
