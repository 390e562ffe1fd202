"""Threads, posts and their revisions, read positions, mentions and idempotency keys."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.database import utcnow
from community.extensions import db
from community.spaces.models import Membership, Space, str_enum


class ThreadKind(enum.StrEnum):
    DISCUSSION = "discussion"
    ANNOUNCEMENT = "announcement"  # only facilitators start them
    ACTIVITY = "activity"  # reserved for the facilitator-tools issue


class PostState(enum.StrEnum):
    PUBLISHED = "published"
    PENDING = "pending"  # held for review (set by moderation)
    REJECTED = "rejected"
    REMOVED = "removed"  # a tombstone; the text stays for facilitators
    WHISPER = "whisper"  # a facilitator-only reply (facilitation/notes.py)


class RemovedBy(enum.StrEnum):
    AUTHOR = "author"
    FACILITATOR = "facilitator"
    RETENTION = "retention"  # purged by `community purge` after the space's retention period


class Thread(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "threads"
    __table_args__ = (
        # Keyset pagination of a space's list: pinned first, then latest activity.
        sa.Index("ix_threads_listing", "space_id", "pinned", "last_post_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("memberships.id", ondelete="SET NULL"))
    kind: Mapped[ThreadKind] = mapped_column(str_enum(ThreadKind), default=ThreadKind.DISCUSSION)
    title: Mapped[str] = mapped_column(sa.String(200))
    # Mirrors the first post: a thread whose opening post is held is not listed for peers.
    state: Mapped[PostState] = mapped_column(str_enum(PostState), default=PostState.PUBLISHED)
    pinned: Mapped[bool] = mapped_column(default=False)
    locked: Mapped[bool] = mapped_column(default=False)
    replies_allowed: Mapped[bool] = mapped_column(default=True)  # announcements: members reply?
    post_count: Mapped[int] = mapped_column(default=0)  # published posts
    # Ids grow with time, so the newest published post id orders threads by activity.
    last_post_id: Mapped[int] = mapped_column(default=0)
    last_post_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    space: Mapped[Space] = relationship()
    author: Mapped[Membership | None] = relationship()


class Post(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "posts"
    __table_args__ = (
        sa.Index("ix_posts_thread_id_id", "thread_id", "id"),
        sa.Index("ix_posts_author_id_id", "author_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("threads.id", ondelete="CASCADE"))
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id", ondelete="CASCADE"),
                                          index=True)
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("memberships.id", ondelete="SET NULL"))
    quote_of_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("posts.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[PostState] = mapped_column(str_enum(PostState), default=PostState.PUBLISHED)
    # Why moderation holds or rejects it, shown to the author (set by the moderation issue).
    state_reason: Mapped[str | None] = mapped_column(sa.String(500))
    removed_by: Mapped[RemovedBy | None] = mapped_column(str_enum(RemovedBy))
    removed_at: Mapped[datetime | None]
    # When peers first saw it. A tombstone is shown to peers only if the post ever was
    # shown: removing a held post or a whisper must not reveal that it existed.
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]

    thread: Mapped[Thread] = relationship()
    author: Mapped[Membership | None] = relationship()


class PostRevision(db.Model):  # type: ignore[name-defined,misc]
    """An earlier version of a post, kept when it was edited or removed."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"),
                                         index=True)
    source: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    written_at: Mapped[datetime]  # when this version was written
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who replaced this version, and why.
    changed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")


class ReadState(db.Model):  # type: ignore[name-defined,misc]
    """How far a member has read a thread: the highest post id they were shown."""

    __tablename__ = "read_states"
    __table_args__ = (sa.UniqueConstraint("membership_id", "thread_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(
        sa.ForeignKey("memberships.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("threads.id", ondelete="CASCADE"),
                                           index=True)
    last_read_post_id: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(db.Model):  # type: ignore[name-defined,misc]
    """An in-platform notice, e.g. "you were mentioned"; never sent outside."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_user_id_id", "user_id", "id"),
        sa.UniqueConstraint("user_id", "post_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id", ondelete="CASCADE"),
                                          index=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[str] = mapped_column(sa.String(24), default="mention")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    post: Mapped[Post] = relationship()
    space: Mapped[Space] = relationship()


class IdempotencyKey(db.Model):  # type: ignore[name-defined,misc]
    """A client's Idempotency-Key and what it created, so a retry creates nothing new."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(100))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


@sa.event.listens_for(Post.state, "set")
def _stamp_publication(post: Post, state: PostState, _old: object, _initiator: object) -> None:
    """Every path that publishes a post (posting, approval) sets `state`: stamp it there."""
    if state == PostState.PUBLISHED and post.published_at is None:
        post.published_at = utcnow()
