"""One-to-one conversations: a member and the space's facilitators, nobody else.

A member starts (at most) one conversation per space with its facilitators; both sides
write in it. Reading and writing pass the same agreement gate as the space's content
(access_space_content). Messages that look like personal data are kept but marked
held: they are shown to the facilitators and the author only, which is this
conversation's whole audience, and the author is told why. Live events go to the member
(rooms.user) and to the FACILITATORS audience only.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from community.accounts.models import User
from community.database import utcnow
from community.errors import Forbidden, NotFound
from community.extensions import db
from community.facilitation.models.conversations import Conversation, ConversationMessage
from community.forums.access import Reader, access_space_content, require_can_post
from community.forums.actions import prepare_body
from community.forums.queries import author_view
from community.moderation import detection
from community.policy import Permission
from community.privacy.erasure import register_erasure_hook
from community.realtime import rooms
from community.realtime.models import Event
from community.realtime.outbox import record_event
from community.spaces.models import Membership, MembershipState

PAGE = 50


# --- access --------------------------------------------------------------------------

def access_conversation_by_id(user: User, conversation_id: int
                              ) -> tuple[Conversation, Reader]:
    """The conversation if the caller is its member or a facilitator of its space;
    the same NotFound otherwise."""
    conversation = (db.session.get(Conversation, conversation_id)
                    if user.is_authenticated else None)
    if conversation is None:
        raise NotFound()
    reader = access_space_content(user, conversation.space_id)
    if not can_see_conversation(reader, conversation):
        raise NotFound()
    return conversation, reader


def can_see_conversation(reader: Reader, conversation: Conversation) -> bool:
    return reader.is_facilitator or conversation.member_id == reader.membership.id


def access_conversations(user: User, space_id: int) -> Reader:
    return access_space_content(user, space_id, Permission.READ_CONTENT)


# --- actions -------------------------------------------------------------------------

def check_start_conversation(reader: Reader, *, body: str) -> tuple[Conversation,
                                                                   ConversationMessage]:
    """A member opens their conversation with the facilitators (or adds to the one they
    have: one per member and space) with a first message. Facilitators do not start
    conversations with themselves: 403. Records conversation.message."""
    require_can_post(reader)
    if reader.is_facilitator:
        raise Forbidden(_("Members start conversations with their facilitators."),
                        code="facilitator_cannot_start")
    prepared = prepare_body(body)
    conversation = db.session.scalar(sa.select(Conversation).where(
        Conversation.space_id == reader.space.id,
        Conversation.member_id == reader.membership.id))
    if conversation is None:
        conversation = Conversation(space_id=reader.space.id, member_id=reader.membership.id)
        db.session.add(conversation)
        db.session.flush()
    message = _store(conversation, reader, prepared.source, prepared.html)
    return conversation, message


def check_send_message(conversation: Conversation, reader: Reader, *,
                       body: str) -> ConversationMessage:
    """Write in a conversation the caller may see. Records conversation.message to the
    member and the facilitators. Not idempotent."""
    require_can_post(reader)
    member = db.session.get(Membership, conversation.member_id)
    if member is None or member.state != MembershipState.ACTIVE:
        raise Forbidden(_("This member has left the space."), code="member_left")
    prepared = prepare_body(body)
    return _store(conversation, reader, prepared.source, prepared.html)


def _store(conversation: Conversation, reader: Reader, source: str,
           html: str) -> ConversationMessage:
    found = [] if reader.is_facilitator else detection.kinds(source)
    reason = None
    if found:
        labels = ", ".join(str(detection.LABELS[k]) for k in found)
        reason = _("It seems to contain %(what)s. Only the facilitators and you see it.",
                   what=labels)[:200]
    message = ConversationMessage(conversation_id=conversation.id,
                                  author_id=reader.membership.id, author=reader.membership,
                                  source=source, body_html=html, held=bool(found),
                                  held_reason=reason)
    db.session.add(message)
    conversation.last_message_at = utcnow()
    db.session.flush()
    member = db.session.get(Membership, conversation.member_id)
    record_event(conversation.space_id, "conversation.message",
                 {"conversation_id": conversation.id, "message": message_view(message)},
                 audiences=audiences(member), subject=f"conversation_message:{message.id}")
    return message


def audiences(member: Membership | None) -> list[str]:
    """The member alone and the space's facilitators: never the space's room."""
    result = [rooms.FACILITATORS]
    if member is not None:
        result.append(rooms.user(member.user_id))
    return result


# --- queries -------------------------------------------------------------------------

def list_conversations(reader: Reader) -> list[Conversation]:
    """Facilitators: every conversation of the space, latest first; a member: their own."""
    query = sa.select(Conversation).where(Conversation.space_id == reader.space.id)
    if not reader.is_facilitator:
        query = query.where(Conversation.member_id == reader.membership.id)
    return list(db.session.scalars(query.order_by(Conversation.last_message_at.desc(),
                                                  Conversation.id.desc())))


def own_conversation(reader: Reader) -> Conversation | None:
    return db.session.scalar(sa.select(Conversation).where(
        Conversation.space_id == reader.space.id,
        Conversation.member_id == reader.membership.id))


def list_messages(conversation: Conversation, *, after: int | None = None,
                  limit: int = PAGE) -> list[ConversationMessage]:
    query = sa.select(ConversationMessage).where(
        ConversationMessage.conversation_id == conversation.id)
    if after is not None:
        query = query.where(ConversationMessage.id > after)
    return list(db.session.scalars(query.order_by(ConversationMessage.id).limit(limit)))


def message_view(message: ConversationMessage) -> dict[str, Any]:
    return {"id": message.id, "conversation_id": message.conversation_id,
            "author": author_view(message.author), "body_html": message.body_html,
            "held": message.held, "held_reason": message.held_reason,
            "created_at": message.created_at.isoformat()}


def conversation_view(conversation: Conversation) -> dict[str, Any]:
    return {"id": conversation.id, "space_id": conversation.space_id,
            "member": author_view(conversation.member),
            "created_at": conversation.created_at.isoformat(),
            "last_message_at": conversation.last_message_at.isoformat()}


@register_erasure_hook
def erase_conversations(user: User) -> None:
    """An erased member's conversations go with their memberships (the foreign keys
    cascade); their live events, which carry the messages, are deleted here."""
    message_ids = db.session.scalars(
        sa.select(ConversationMessage.id).join(Conversation)
        .join(Membership, Membership.id == Conversation.member_id)
        .where(Membership.user_id == user.id)).all()
    if message_ids:
        db.session.execute(sa.delete(Event).where(Event.subject.in_(
            [f"conversation_message:{i}" for i in message_ids])))
