"""Events about the space itself: members joining and leaving, agreements published."""

from __future__ import annotations

from typing import Any

from community.realtime import rooms
from community.realtime.outbox import record_event
from community.spaces.models import Agreement, Membership
from community.spaces.queries import shown_name


def member_view(membership: Membership) -> dict[str, Any]:
    """A member as peers see them: the shown name (pseudonym where there is one)."""
    return {"membership_id": membership.id, "name": shown_name(membership),
            "role": membership.role.value}


def record_member_joined(membership: Membership) -> None:
    record_event(membership.space_id, "member.joined", {"member": member_view(membership)},
                 audiences=[rooms.SPACE], subject=f"membership:{membership.id}")


def record_member_left(membership: Membership) -> None:
    record_event(membership.space_id, "member.left", {"member": member_view(membership)},
                 audiences=[rooms.SPACE], subject=f"membership:{membership.id}")


def record_agreement_published(space_id: int, agreement: Agreement) -> None:
    """In the space (a space agreement) or in one space of many (the site agreement)."""
    record_event(space_id, "agreement.published",
                 {"agreement": {"id": agreement.id, "version": agreement.version,
                                "title": agreement.title,
                                "scope": "space" if agreement.space_id else "site"}},
                 audiences=[rooms.SPACE], subject=f"agreement:{agreement.id}")
