"""Participation overview for facilitators: who takes part, who has gone quiet.

Per active member: published posts, replies to others (posts in threads someone else
started), last active (their latest post of any state), whether they have been quiet
for N days, and pending items (their posts waiting for review). Per week: posts in the
space, for the chart (chart.py). Whispers are not counted (they are not participation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from community.database import utcnow
from community.extensions import db
from community.forums.access import Reader, require_moderator
from community.forums.models import Post, PostState, Thread
from community.spaces.models import Membership, MembershipState
from community.spaces.queries import shown_name

DEFAULT_QUIET_DAYS = 14
DEFAULT_WEEKS = 12


@dataclass
class MemberRow:
    membership_id: int
    name: str
    role: str
    posts: int
    replies_to_others: int
    last_active: datetime | None
    quiet: bool
    pending: int

    def view(self) -> dict[str, Any]:
        return {"membership_id": self.membership_id, "name": self.name, "role": self.role,
                "posts": self.posts, "replies_to_others": self.replies_to_others,
                "last_active": self.last_active.isoformat() if self.last_active else None,
                "quiet": self.quiet, "pending": self.pending}


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def member_rows(reader: Reader, *, quiet_days: int = DEFAULT_QUIET_DAYS,
                now: datetime | None = None) -> list[MemberRow]:
    """One row per active membership of the space, quietest first. Facilitators only."""
    require_moderator(reader)
    now = now or utcnow()
    space_id = reader.space.id
    members = list(db.session.scalars(sa.select(Membership).where(
        Membership.space_id == space_id, Membership.state == MembershipState.ACTIVE)))
    counted = Post.state != PostState.WHISPER
    published = sa.func.count().filter(Post.state == PostState.PUBLISHED)
    opener = aliased(Thread)
    replies = sa.func.count().filter(Post.state == PostState.PUBLISHED,
                                     opener.author_id != Post.author_id)
    pending = sa.func.count().filter(Post.state == PostState.PENDING)
    stats = {row.author_id: row for row in db.session.execute(
        sa.select(Post.author_id, published.label("posts"), replies.label("replies"),
                  pending.label("pending"), sa.func.max(Post.created_at).label("last"))
        .join(opener, opener.id == Post.thread_id)
        .where(Post.space_id == space_id, counted).group_by(Post.author_id))}
    limit = now - timedelta(days=quiet_days)
    rows = []
    for m in members:
        s = stats.get(m.id)
        last = _aware(s.last) if s else None
        rows.append(MemberRow(m.id, shown_name(m), m.role.value, s.posts if s else 0,
                              s.replies if s else 0, last, last is None or last < limit,
                              s.pending if s else 0))
    rows.sort(key=lambda r: (r.last_active or datetime.min.replace(tzinfo=UTC), r.name))
    return rows


def weekly_activity(reader: Reader, *, weeks: int = DEFAULT_WEEKS,
                    now: datetime | None = None) -> list[tuple[date, int]]:
    """Posts (not whispers) per ISO week (Monday first), oldest week first, `weeks` long."""
    require_moderator(reader)
    now = now or utcnow()
    this_monday = (now - timedelta(days=now.weekday())).date()
    starts = [this_monday - timedelta(weeks=i) for i in range(weeks - 1, -1, -1)]
    since = datetime.combine(starts[0], datetime.min.time(), tzinfo=UTC)
    counts = dict.fromkeys(starts, 0)
    for (created,) in db.session.execute(sa.select(Post.created_at).where(
            Post.space_id == reader.space.id, Post.created_at >= since,
            Post.state != PostState.WHISPER)):
        day = _aware(created).date()
        monday = day - timedelta(days=day.weekday())
        if monday in counts:
            counts[monday] += 1
    return list(counts.items())
