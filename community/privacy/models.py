"""E-mail preferences and the outbox of e-mails still to send."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from community.database import utcnow
from community.extensions import db


class EmailPreference(db.Model):  # type: ignore[name-defined,misc]
    """Which e-mails a user wants; a missing row means all of them."""

    __tablename__ = "email_preferences"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    mentions: Mapped[bool] = mapped_column(default=True)
    replies: Mapped[bool] = mapped_column(default=True)
    queue: Mapped[bool] = mapped_column(default=True)
    digest: Mapped[bool] = mapped_column(default=True)
    last_digest_at: Mapped[datetime | None]


class OutboxEmail(db.Model):  # type: ignore[name-defined,misc]
    """One notice to send: who, what kind, which space, and what caused it.

    No address and no text are stored: the address is read when sending (an erased
    account has none) and the message says only that there is something new.
    `source_id` is the notification, post or review item id that caused it, so that
    `community notify` collects each cause once.
    """

    __tablename__ = "email_outbox"
    __table_args__ = (
        sa.UniqueConstraint("kind", "source_id", "user_id"),
        sa.Index("ix_email_outbox_unsent", "sent_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    space_id: Mapped[int | None] = mapped_column(sa.ForeignKey("spaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))  # mention, reply, queue, digest
    source_id: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
