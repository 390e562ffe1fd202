"""Group rhythm: slow mode per thread, timed thread actions, and archived spaces."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from community.database import utcnow
from community.extensions import db
from community.spaces.models import str_enum


class ThreadSlowMode(db.Model):  # type: ignore[name-defined,misc]
    """A member may post in the thread once every `minutes` (facilitators exempt)."""

    __tablename__ = "thread_slow_modes"

    thread_id: Mapped[int] = mapped_column(
        sa.ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    minutes: Mapped[int]
    set_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)


class TimerAction(enum.StrEnum):
    OPEN = "open"  # unlock the thread
    CLOSE = "close"  # lock the thread
    ANNOUNCE = "announce"  # publish an announcement in the space


class ThreadTimer(db.Model):  # type: ignore[name-defined,misc]
    """Something `community timers` does at `run_at`; `done_at` once done (or failed)."""

    __tablename__ = "thread_timers"
    __table_args__ = (sa.Index("ix_thread_timers_due", "done_at", "run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id", ondelete="CASCADE"),
                                          index=True)
    thread_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("threads.id", ondelete="CASCADE"))
    action: Mapped[TimerAction] = mapped_column(str_enum(TimerAction))
    run_at: Mapped[datetime]
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("memberships.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(sa.String(200), default="")


class SpaceArchive(db.Model):  # type: ignore[name-defined,misc]
    """How a space was archived: members read until `read_until`, then lose access."""

    __tablename__ = "space_archives"

    space_id: Mapped[int] = mapped_column(
        sa.ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True)
    archived_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    archived_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_until: Mapped[datetime]
    # Set by `community timers` once live connections were told that access ended.
    access_ended_at: Mapped[datetime | None]
