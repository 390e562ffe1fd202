"""Live sessions: times when a facilitator is present in the space, optionally weekly."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from community.database import utcnow
from community.extensions import db


class LiveSession(db.Model):  # type: ignore[name-defined,misc]
    """The first occurrence and, for a weekly series, when it stops (a date or a count)."""

    __tablename__ = "live_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id", ondelete="CASCADE"),
                                          index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    weekly: Mapped[bool] = mapped_column(default=False)
    repeat_until: Mapped[date | None] = mapped_column(sa.Date)
    repeat_count: Mapped[int | None]  # occurrences in all, the first included
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
