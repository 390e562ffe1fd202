"""Moderation tables: space settings, flags, review items, the log, watched words, contacts."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.database import utcnow
from community.extensions import db
from community.forums.models import Post
from community.spaces.models import str_enum

DEFAULT_NEW_MEMBER_HOLDS = 3
DEFAULT_FLAG_THRESHOLD = 2


class FlagReason(enum.StrEnum):
    DISRESPECTFUL = "disrespectful"
    CONFIDENTIALITY = "confidentiality"
    PERSONAL_DATA = "personal_data"
    OFF_TOPIC = "off_topic"
    SPAM = "spam"
    SAFETY = "safety"
    OTHER = "other"


class ReviewState(enum.StrEnum):
    PENDING = "pending"  # waiting in the queue (possibly claimed)
    APPROVED = "approved"
    REJECTED = "rejected"
    REMOVED = "removed"


class WatchedAction(enum.StrEnum):
    BLOCK = "block"
    HOLD = "hold"
    CENSOR = "censor"
    FLAG = "flag"


class Rank(enum.IntEnum):
    """Queue order: lowest rank first (a safety concern jumps the queue), then oldest.

    Stored ascending so that one index serves "ORDER BY rank, id" in both directions.
    """

    SAFETY = 0
    PERSONAL_DATA = 1
    FLAGGED = 2
    HOLD = 3


class SpaceModeration(db.Model):  # type: ignore[name-defined,misc]
    """Per-space numbers for the moderation policy; a missing row means the defaults."""

    __tablename__ = "space_moderation"

    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id", ondelete="CASCADE"),
                                          primary_key=True)
    new_member_holds: Mapped[int] = mapped_column(default=DEFAULT_NEW_MEMBER_HOLDS)
    flag_threshold: Mapped[int] = mapped_column(default=DEFAULT_FLAG_THRESHOLD)


class ReviewItem(db.Model):  # type: ignore[name-defined,misc]
    """One entry per post in its space's queue; reopened, never duplicated.

    `version` is the optimistic lock: every change bumps it and every transition is
    asked for with the version the facilitator saw.
    """

    __tablename__ = "review_items"
    __table_args__ = (
        sa.Index("ix_review_items_queue", "space_id", "state", "rank", "id"),
        sa.Index("ix_review_items_site_queue", "state", "rank", "id"),
        # The safety banner on every page: a few safety items among tens of thousands.
        sa.Index("ix_review_items_safety", "safety", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"),
                                         unique=True)
    author_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    state: Mapped[ReviewState] = mapped_column(str_enum(ReviewState),
                                               default=ReviewState.PENDING)
    rank: Mapped[int] = mapped_column(default=Rank.HOLD)
    # [{"kind": "pre_moderation" | "new_member" | "flags" | "watched_word" |
    #   "personal_data" | "safety", "detail": str}], merged across reopenings.
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    safety: Mapped[bool] = mapped_column(default=False)
    safety_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    claimed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None]
    resolution_reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)  # created or last reopened
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    post: Mapped[Post] = relationship()

    __mapper_args__ = {"version_id_col": version}


class Flag(db.Model):  # type: ignore[name-defined,misc]
    """A member's flag on a post: one per member per post."""

    __tablename__ = "flags"
    __table_args__ = (sa.UniqueConstraint("post_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"))
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id", ondelete="CASCADE"),
                                          index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    reason: Mapped[FlagReason] = mapped_column(str_enum(FlagReason))
    note: Mapped[str] = mapped_column(sa.String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModerationAction(db.Model):  # type: ignore[name-defined,misc]
    """The append-only moderation log (see log.py for the guard against changes).

    Plain integers, no foreign keys: a row outlives the post, item or person it names.
    """

    __tablename__ = "moderation_log"
    __table_args__ = (sa.Index("ix_moderation_log_space_id_id", "space_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int | None]
    actor_id: Mapped[int | None] = mapped_column(index=True)  # None: the system
    action: Mapped[str] = mapped_column(sa.String(32), index=True)
    item_id: Mapped[int | None] = mapped_column(index=True)
    post_id: Mapped[int | None]
    target_user_id: Mapped[int | None] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(sa.String(1000), default="")
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class WatchedWord(db.Model):  # type: ignore[name-defined,misc]
    """A word, phrase or simple wildcard pattern, site-wide (space_id null) or per space."""

    __tablename__ = "watched_words"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    pattern: Mapped[str] = mapped_column(sa.String(100))
    action: Mapped[WatchedAction] = mapped_column(str_enum(WatchedAction))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SafeguardingContact(db.Model):  # type: ignore[name-defined,misc]
    """A user designated by admins to receive every safety alert of the site."""

    __tablename__ = "safeguarding_contacts"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    added_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notice(db.Model):  # type: ignore[name-defined,misc]
    """What a member is told privately: a warning, a mute, a removal, a rejected post."""

    __tablename__ = "moderation_notices"
    __table_args__ = (sa.Index("ix_moderation_notices_user_id_id", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    space_id: Mapped[int | None] = mapped_column(sa.ForeignKey("spaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(24))  # warn, mute, removal, rejected, held
    message: Mapped[str] = mapped_column(sa.String(1000), default="")
    until: Mapped[datetime | None]
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a moderation log row."""


@sa.event.listens_for(ModerationAction, "before_update")
@sa.event.listens_for(ModerationAction, "before_delete")
def _refuse_change(_mapper, _connection, target: ModerationAction) -> None:
    raise AppendOnlyError(f"the moderation log is append-only (row {target.id})")


@sa.event.listens_for(sa.orm.Session, "do_orm_execute")
def _refuse_bulk_change(state: sa.orm.ORMExecuteState) -> None:
    """Bulk UPDATE/DELETE through the ORM skips the mapper events; refuse those too."""
    if (state.is_update or state.is_delete) and any(
            m.class_ is ModerationAction for m in state.all_mappers):
        raise AppendOnlyError("the moderation log is append-only")
