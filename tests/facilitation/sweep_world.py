"""What the authorization sweep needs of the group tools: a conversation, a note, a timer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from community.database import utcnow
from community.extensions import db
from community.facilitation import conversations, notes, rhythm
from community.forums.access import Reader
from community.spaces.queries import get_membership


def group_world(space, thread, facilitator, member) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    as_member = Reader(space, get_membership(member, space.id))
    as_facilitator = Reader(space, get_membership(facilitator, space.id))
    conversation, _message = conversations.check_start_conversation(as_member, body="Hi")
    note = notes.check_add_note(as_facilitator, as_member.membership, body="Note")
    run_at = utcnow() + timedelta(days=2)
    timer = rhythm.check_add_timer(as_facilitator, action="close", run_at=run_at, thread=thread)
    db.session.commit()
    return {"fg_conversation": conversation.id, "fg_note": note.id, "fg_timer": timer.id,
            "fg_run_at": run_at.isoformat(), "fg_run_at_local": run_at.strftime("%Y-%m-%dT%H:%M")}
