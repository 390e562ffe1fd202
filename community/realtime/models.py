"""The event outbox: an ordered, persisted record of what a space's live clients must see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from community.database import utcnow
from community.extensions import db


class Event(db.Model):  # type: ignore[name-defined,misc]
    """One row per audience (see realtime/rooms.py); replay filters on `audience`."""

    __tablename__ = "events"
    # AUTOINCREMENT: ids are never reused on SQLite, even after old events are purged.
    __table_args__ = (sa.Index("ix_events_space_id_id", "space_id", "id"),
                      {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                                    primary_key=True)
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(sa.String(40))
    audience: Mapped[str] = mapped_column(sa.String(40))  # "space", "facilitators", "user:<id>"
    subject: Mapped[str | None] = mapped_column(sa.String(40), index=True)  # e.g. "post:12"
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EventHorizon(db.Model):  # type: ignore[name-defined,misc]
    """How far a space's events have been pruned: a client that last saw an event at or
    before `pruned_through` cannot be caught up by replay (`gap_too_large`)."""

    __tablename__ = "event_horizons"

    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id", ondelete="CASCADE"),
                                          primary_key=True)
    pruned_through: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), default=0)
    pruned_at: Mapped[datetime] = mapped_column(default=utcnow)
