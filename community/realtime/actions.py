"""Changes made from the realtime side: a member's own presence setting."""

from __future__ import annotations

from community.spaces.models import Membership


def do_set_show_presence(membership: Membership, visible: bool) -> Membership:
    """Whether peers see this member in the space's "who is here" list.

    A personal setting of an active member: not audited, records no event. Idempotent.
    """
    membership.show_presence = bool(visible)
    return membership
