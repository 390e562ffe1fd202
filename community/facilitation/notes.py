"""Facilitator-only notes: whispers in threads and private notes about a member.

A whisper is a reply whose state is `whisper` (PostState.WHISPER). Forum visibility
already follows the state everywhere (access.can_see_post, the post and search listings,
the event audiences of rooms.for_content): peers see only published posts and
tombstones and their own, so a whisper, written by a facilitator, reaches only the
space's facilitators. It never counts as a reply or notifies mentions.

Private notes about a member are readable by the space's facilitators only. The member
gets them in their data export (see docs/facilitation-group.md and docs/privacy.md:
GDPR art. 15 covers data *about* them), without the name of the facilitator who wrote
them (art. 15(4)).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from community.accounts.models import User
from community.admin.audit import AuditAction, record
from community.extensions import db
from community.facilitation.models.conversations import MemberNote
from community.forums.access import (
    Reader,
    access_space_row_to_moderate,
    require_can_post,
    require_moderator,
)
from community.forums.actions import do_create_post, prepare_body
from community.forums.models import Post, PostState, Thread
from community.privacy.export import register_export_section
from community.spaces.models import Membership, Space


def check_whisper(thread: Thread, reader: Reader, *, body: str) -> Post:
    """A facilitator's reply that only the space's facilitators see. Records post.created
    for the FACILITATORS audience only. Audited as post:whisper. Not idempotent."""
    require_moderator(reader)
    require_can_post(reader)
    prepared = prepare_body(body)
    post = do_create_post(thread, reader, body=prepared, state=PostState.WHISPER, reasons=[])
    record(AuditAction.POST_WHISPER, actor_id=reader.user_id, target_type="post",
           target_id=post.id, space_id=thread.space_id, thread_id=thread.id)
    return post


def access_note_subject(reader: Reader, membership_id: int) -> Membership:
    """A membership of the reader's space the facilitator may keep notes about."""
    return access_space_row_to_moderate(reader, Membership, membership_id)


def check_add_note(reader: Reader, subject: Membership, *, body: str) -> MemberNote:
    """Add a private note about `subject`. Facilitators only; audited as member_note:add
    (without the text)."""
    require_moderator(reader)
    prepared = prepare_body(body)
    note = MemberNote(space_id=reader.space.id, subject_id=subject.id,
                      author_id=reader.user_id, source=prepared.source,
                      body_html=prepared.html)
    db.session.add(note)
    db.session.flush()
    record(AuditAction.MEMBER_NOTE_ADD, actor_id=reader.user_id, target_type="membership",
           target_id=subject.id, space_id=reader.space.id, note_id=note.id)
    return note


def access_note_by_id(reader: Reader, note_id: int) -> MemberNote:
    return access_space_row_to_moderate(reader, MemberNote, note_id)


def check_delete_note(reader: Reader, note: MemberNote) -> None:
    """Delete a note (facilitators); audited as member_note:delete."""
    require_moderator(reader)
    record(AuditAction.MEMBER_NOTE_DELETE, actor_id=reader.user_id,
           target_type="membership", target_id=note.subject_id, space_id=note.space_id,
           note_id=note.id)
    db.session.delete(note)


def list_notes(reader: Reader, subject: Membership) -> list[MemberNote]:
    require_moderator(reader)
    return list(db.session.scalars(sa.select(MemberNote).where(
        MemberNote.subject_id == subject.id).order_by(MemberNote.id.desc())))


def note_view(note: MemberNote) -> dict[str, Any]:
    return {"id": note.id, "space_id": note.space_id, "membership_id": note.subject_id,
            "author_id": note.author_id, "body_html": note.body_html,
            "source": note.source, "created_at": note.created_at.isoformat()}


@register_export_section("facilitator_notes", _l("Notes facilitators wrote about you"))
def export_notes(user: User) -> list[dict[str, Any]]:
    """Art. 15: the text and date of each note about the member, and the space; the
    writer is not named."""
    rows = db.session.execute(
        sa.select(MemberNote.source, MemberNote.created_at, Space.name)
        .join(Membership, Membership.id == MemberNote.subject_id)
        .join(Space, Space.id == MemberNote.space_id)
        .where(Membership.user_id == user.id).order_by(MemberNote.id))
    return [{"space": name, "note": source, "written_at": created.isoformat(),
             "kind": _("facilitator note")} for source, created, name in rows]
