"""The retention purge: post text older than a space's retention period is removed.

`community purge` calls `purge()`. Each purged post becomes a tombstone (state removed,
removed_by "retention", state_reason "Removed after N days.") with no source, no HTML
and no earlier versions; its search index row goes with the text (SQLite's FTS triggers,
PostgreSQL's expression index) and its stored live events are rewritten to the
tombstone. A thread whose opening post is purged loses its title too. Then the live
events too old to replay are pruned (community.realtime.retention.prune_events).

Safe to run every hour: idempotent (purged posts are not touched again) and done in
short transactions of BATCH posts, so that writers wait at most one batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from community.admin.audit import AuditAction, record
from community.admin.settings import get_site_settings
from community.database import utcnow
from community.extensions import db
from community.forums.actions import prune_idempotency_keys
from community.forums.models import Post, PostRevision, PostState, RemovedBy, Thread
from community.forums.queries import jsonable, public_post_view
from community.realtime.outbox import rewrite_subject
from community.realtime.retention import prune_events
from community.spaces.models import Space

BATCH = 200
PURGED_TITLE = "(removed after the retention period)"

# Hook for rules that start a space's retention clock differently, e.g. archived spaces
# (facilitator tools, item 8: "the retention rule applies from then"). A rule gets the
# space and now and answers a cutoff (purge what was written before it) or None; the
# latest cutoff of all rules wins, so a rule can only purge more, never keep longer.
CutoffRule = Callable[[Space, datetime], datetime | None]
cutoff_rules: list[CutoffRule] = []


def retention_days(space: Space) -> int | None:
    """The period that applies: the space's own, capped by the site's maximum."""
    maximum = get_site_settings().max_retention_days
    days = space.retention_days
    if maximum is not None and (days is None or days > maximum):
        return maximum
    return days


def space_cutoff(space: Space, now: datetime) -> tuple[datetime | None, int | None]:
    """(purge posts written before this, the days to tell readers), or (None, None)."""
    days = retention_days(space)
    cutoffs = [now - timedelta(days=days)] if days is not None else []
    cutoffs += [c for rule in cutoff_rules if (c := rule(space, now)) is not None]
    return (max(cutoffs), days) if cutoffs else (None, None)


@dataclass
class PurgeReport:
    posts: int = 0
    revisions: int = 0
    threads: int = 0
    events: int = 0
    idempotency_keys: int = 0
    spaces: dict[int, int] = field(default_factory=dict)  # space id -> posts purged

    def lines(self) -> list[str]:
        lines = [f"space {sid}: {n} post(s) purged" for sid, n in sorted(self.spaces.items())]
        lines.append(f"purged {self.posts} post(s), {self.revisions} earlier version(s), "
                     f"{self.threads} thread title(s); pruned {self.events} live event(s), "
                     f"{self.idempotency_keys} idempotency key(s)")
        return lines


def _purge_batch(space: Space, cutoff: datetime, days: int | None, now: datetime,
                 report: PurgeReport) -> int:
    """Purge up to BATCH posts of the space; returns how many. Does not commit."""
    posts = list(db.session.scalars(
        sa.select(Post).where(Post.space_id == space.id, Post.created_at < cutoff,
                              sa.or_(Post.removed_by.is_(None),
                                     Post.removed_by != RemovedBy.RETENTION))
        .order_by(Post.id).limit(BATCH)))
    if not posts:
        return 0
    ids = [p.id for p in posts]
    revisions = db.session.execute(sa.delete(PostRevision).where(PostRevision.post_id.in_(ids)))
    report.revisions += revisions.rowcount or 0  # type: ignore[attr-defined]
    reason = f"Removed after {days} days." if days else "Removed after the retention period."
    for post in posts:
        if post.state == PostState.PUBLISHED:
            post.thread.post_count = max(0, post.thread.post_count - 1)
        post.source, post.body_html = "", ""
        post.state, post.removed_by, post.state_reason = (PostState.REMOVED,
                                                           RemovedBy.RETENTION, reason)
        post.removed_at = post.removed_at or now
    db.session.flush()
    for post in posts:
        rewrite_subject(space.id, f"post:{post.id}", {"post": jsonable(public_post_view(post))},
                        ["post.created", "post.updated", "post.removed"])
    # A thread's title belongs to its opening post: it goes when that post is purged.
    openings = sa.select(sa.func.min(Post.id)).where(Post.thread_id == Thread.id)
    threads = db.session.execute(
        sa.update(Thread).where(Thread.space_id == space.id, Thread.title != PURGED_TITLE,
                                openings.scalar_subquery().in_(ids))
        .values(title=PURGED_TITLE).execution_options(synchronize_session=False))
    report.threads += threads.rowcount or 0  # type: ignore[attr-defined]
    report.posts += len(posts)
    report.spaces[space.id] = report.spaces.get(space.id, 0) + len(posts)
    return len(posts)


def purge(now: datetime | None = None, *, echo: Callable[[str], None] | None = None
          ) -> PurgeReport:
    """Purge every space, committing after each batch; then prune live events.

    Audited as retention:purge (actor none) with the counts, only when something was
    purged or pruned. Idempotent.
    """
    now = now or utcnow()
    report = PurgeReport()
    space_ids = list(db.session.scalars(sa.select(Space.id).order_by(Space.id)))
    db.session.commit()
    for space_id in space_ids:
        while True:
            space = db.session.get(Space, space_id)
            cutoff, days = space_cutoff(space, now) if space is not None else (None, None)
            if cutoff is None or not _purge_batch(space, cutoff, days, now, report):
                db.session.rollback()
                break
            db.session.commit()
    report.events = prune_events(now)
    report.idempotency_keys = prune_idempotency_keys(now)
    if report.posts or report.events:
        record(AuditAction.RETENTION_PURGE, actor_id=None, target_type="site", target_id=None,
               posts=report.posts, revisions=report.revisions, threads=report.threads,
               events=report.events, spaces={str(k): v for k, v in report.spaces.items()})
    db.session.commit()
    for line in report.lines():
        (echo or print)(line)
    return report
