"""Structured co-careering activities: the settings that make a thread an activity."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.database import utcnow
from community.extensions import db
from community.forums.models import Thread
from community.spaces.models import str_enum


class Dots(enum.StrEnum):
    """The DOTS model of career learning (Law and Watts)."""

    SELF_AWARENESS = "self_awareness"
    OPPORTUNITY_AWARENESS = "opportunity_awareness"
    DECISION_LEARNING = "decision_learning"
    TRANSITION_LEARNING = "transition_learning"


class AnswerVisibility(enum.StrEnum):
    OPEN = "open"  # answers are visible to everyone at once
    AFTER_OWN_ANSWER = "after_own_answer"  # a member sees others once they have answered
    AFTER_CLOSE = "after_close"  # members see others' answers once the activity closes


class Activity(db.Model):  # type: ignore[name-defined,misc]
    """One per activity thread; the prompt is the thread's first post."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(
        sa.ForeignKey("threads.id", ondelete="CASCADE"), unique=True)
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id", ondelete="CASCADE"),
                                          index=True)
    template: Mapped[str | None] = mapped_column(sa.String(64))
    instructions: Mapped[str] = mapped_column(sa.Text, default="")
    dots: Mapped[Dots] = mapped_column(str_enum(Dots, 32))
    visibility: Mapped[AnswerVisibility] = mapped_column(str_enum(AnswerVisibility, 32),
                                                         default=AnswerVisibility.OPEN)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    thread: Mapped[Thread] = relationship()
