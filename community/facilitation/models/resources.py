"""The resource library: vetted labour-market and education links per space."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from community.database import utcnow
from community.extensions import db
from community.facilitation.models.activities import Dots
from community.spaces.models import str_enum


class ResourceState(enum.StrEnum):
    SUGGESTED = "suggested"  # by a member, waiting for a facilitator
    APPROVED = "approved"
    REJECTED = "rejected"


class Resource(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "resources"
    __table_args__ = (sa.Index("ix_resources_space_id_state", "space_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.String(200))
    url: Mapped[str] = mapped_column(sa.String(2000))
    good_for: Mapped[str] = mapped_column(sa.Text, default="")
    source_org: Mapped[str] = mapped_column(sa.String(200), default="")
    dots: Mapped[Dots] = mapped_column(str_enum(Dots, 32))
    state: Mapped[ResourceState] = mapped_column(str_enum(ResourceState),
                                                 default=ResourceState.SUGGESTED)
    suggested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    vetted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    vetted_at: Mapped[datetime | None]
    checked_on: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
