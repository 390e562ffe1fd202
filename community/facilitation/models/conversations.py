"""One-to-one conversations between a member and a space's facilitators."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.database import utcnow
from community.extensions import db
from community.spaces.models import Membership


class Conversation(db.Model):  # type: ignore[name-defined,misc]
    """A member's private line to the facilitators of one space (one per member)."""

    __tablename__ = "conversations"
    __table_args__ = (sa.UniqueConstraint("space_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("memberships.id", ondelete="CASCADE"),
                                           index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)

    member: Mapped[Membership] = relationship()


class ConversationMessage(db.Model):  # type: ignore[name-defined,misc]
    """A message; `held` when it looked like personal data (facilitators and author see it)."""

    __tablename__ = "conversation_messages"
    __table_args__ = (sa.Index("ix_conversation_messages_conversation_id_id",
                               "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conversations.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("memberships.id", ondelete="SET NULL"), index=True)
    source: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    held: Mapped[bool] = mapped_column(default=False)
    held_reason: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[Membership | None] = relationship()


class MemberNote(db.Model):  # type: ignore[name-defined,misc]
    """A facilitator's private note about a member: never shown to the member or peers."""

    __tablename__ = "member_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id", ondelete="CASCADE"))
    subject_id: Mapped[int] = mapped_column(
        sa.ForeignKey("memberships.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
