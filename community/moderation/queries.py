"""Reads for moderation: queues, items in context, the log, notices, rules, banner counts.

Queue pages are keyset-paginated on (rank, id) over the indexes
`ix_review_items_queue (space_id, state, rank, id)` and
`ix_review_items_site_queue (state, rank, id)`, so a page costs the same with fifty or
fifty thousand items waiting.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy.orm import joinedload

from community.accounts.models import User
from community.agreements.queries import gate_columns
from community.extensions import db
from community.forums import queries as forum_queries
from community.forums.models import Post, PostState, Thread
from community.moderation.models import (
    DEFAULT_FLAG_THRESHOLD,
    DEFAULT_NEW_MEMBER_HOLDS,
    Flag,
    ModerationAction,
    Notice,
    Rank,
    ReviewItem,
    ReviewState,
    SafeguardingContact,
    SpaceModeration,
    WatchedWord,
)
from community.moderation.screening import rules_stamp_of
from community.spaces.models import Membership, MembershipState, Role, Space

QUEUE_PAGE = 50
# Pending items are counted up to this many: past it the badge says "1000+" instead of
# scanning tens of thousands of index entries on every page an admin opens.
QUEUE_COUNT_CAP = 1000
LOG_PAGE = 100
RANK_NAMES = {Rank.SAFETY: "safety", Rank.PERSONAL_DATA: "personal_data",
              Rank.FLAGGED: "flagged", Rank.HOLD: "held"}


def space_settings(space_id: int) -> SpaceModeration:
    """The space's numbers, or the defaults when they were never set."""
    row = db.session.get(SpaceModeration, space_id)
    if row is None:  # transient, never added to the session
        return SpaceModeration(space_id=space_id, new_member_holds=DEFAULT_NEW_MEMBER_HOLDS,
                               flag_threshold=DEFAULT_FLAG_THRESHOLD)
    return row


def list_safeguarding_contact_ids() -> list[int]:
    return list(db.session.scalars(sa.select(SafeguardingContact.user_id)
                                   .order_by(SafeguardingContact.user_id)))


def list_safeguarding_contacts() -> list[User]:
    return list(db.session.scalars(sa.select(User).join(
        SafeguardingContact, SafeguardingContact.user_id == User.id).order_by(User.display_name)))


# Read on every page (base.html's queue count, safety banner and notices): built once,
# as building each cost more than running it.
_FACILITATED = sa.select(Membership.space_id).where(
    Membership.user_id == sa.bindparam("user_id"), Membership.role == Role.FACILITATOR,
    Membership.state == MembershipState.ACTIVE)


def facilitated_space_ids(user: User) -> list[int]:
    return list(db.session.scalars(_FACILITATED, {"user_id": user.id}))


# --- the queue --------------------------------------------------------------------------

def with_context(query: sa.Select[Any]) -> sa.Select[Any]:
    """Load an item's post, thread, space and author (with the user) in the same query:
    what a queue row, the API's item and the queue actions read."""
    return query.options(
        joinedload(ReviewItem.post).joinedload(Post.thread).joinedload(Thread.space),
        joinedload(ReviewItem.post).joinedload(Post.author).joinedload(Membership.user))


# A queue action's fetch (see access_review_item_by_id), built once per dialect: building
# the statement with its five joined loads, and its cache key, took half as long as
# running it. It also reads the caller's own membership of the item's space (`user_id`;
# None for an admin outside it) and the agreement gate's columns for the caller and that
# space, which the space gate would otherwise read in two statements of their own. On
# PostgreSQL it takes the space's event lock before it locks the item's row, as every
# writer of a space does (outbox.py): an author's edit re-queues the item after taking
# the lock, and an approval that locked the item first and then waited for the space
# could deadlock with it.
_ITEM_SPACE_LOCK = sa.text(
    "SELECT 1 AS held FROM pg_advisory_xact_lock(7243, "
    "(SELECT space_id FROM review_items WHERE id = :item_id))"
).bindparams(sa.bindparam("item_id", type_=sa.Integer)).columns(held=sa.Integer).cte(
    "item_space_lock")


# The rules' stamp of the item's space: approving censors the published post's events
# with the space's watched words (screening.remember_rules_stamp).
_ITEM_RULES_STAMP = rules_stamp_of(sa.select(ReviewItem.space_id).where(
    ReviewItem.id == sa.bindparam("item_id")).scalar_subquery(), "item_rules_stamp")


@functools.cache
def item_for_update(dialect: str) -> sa.Select:
    stmt = (with_context(sa.select(ReviewItem, Membership, *_ITEM_RULES_STAMP.c, *gate_columns(
        ReviewItem.space_id, sa.bindparam("user_id", type_=sa.Integer)))
                         .select_from(ReviewItem).join(_ITEM_RULES_STAMP, sa.true())
                         .outerjoin(Membership, sa.and_(
                             Membership.space_id == ReviewItem.space_id,
                             Membership.user_id == sa.bindparam("user_id")))
                         .where(ReviewItem.id == sa.bindparam("item_id")))
            .with_for_update(of=ReviewItem).execution_options(populate_existing=True))
    if dialect == "postgresql":
        stmt = stmt.add_cte(_ITEM_SPACE_LOCK).where(
            sa.select(_ITEM_SPACE_LOCK.c.held).scalar_subquery() == 1)
    return stmt


def list_queue(*, space_ids: list[int] | None, state: ReviewState = ReviewState.PENDING,
               cursor: list[int] | None = None, limit: int = QUEUE_PAGE
               ) -> tuple[list[ReviewItem], list[int] | None]:
    """Items of the given spaces (None: every space), most urgent then oldest first.

    `cursor` is the [rank, id] of the last item of the previous page.
    """
    query = _queue_page(state == ReviewState.PENDING, _scope(space_ids), bool(cursor))
    items = list(db.session.scalars(query, {
        **_space_params(space_ids), "state": state, "limit": limit + 1,
        "rank": cursor[0] if cursor else None, "after_id": cursor[1] if cursor else None,
    }).unique())
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
        next_cursor = [items[-1].rank, items[-1].id]
    return items, next_cursor


def _scope(space_ids: list[int] | None) -> str:
    """Every space, one space or several: each gets its own statement (one space is an
    equality, which the planner reads better than a one-element IN)."""
    return "all" if space_ids is None else "one" if len(space_ids) == 1 else "some"


def _space_params(space_ids: list[int] | None) -> dict[str, Any]:
    """The bind parameters `_of_spaces` reads, whatever the scope."""
    one = space_ids is not None and len(space_ids) == 1
    return {"space_id": space_ids[0] if one else None, "space_ids": space_ids}  # type: ignore[index]


def _of_spaces(query: sa.Select[Any], scope: str) -> sa.Select[Any]:
    if scope == "one":
        return query.where(ReviewItem.space_id == sa.bindparam("space_id"))
    if scope == "some":
        return query.where(ReviewItem.space_id.in_(sa.bindparam("space_ids", expanding=True)))
    return query


@functools.cache
def _queue_page(pending: bool, scope: str, after_cursor: bool) -> sa.Select[Any]:
    """`list_queue`'s statement for one kind of page, built once: building it with its
    joined loads cost a queue page more than running it. Pending items come most urgent
    first, decided ones newest first."""
    query = _of_spaces(with_context(sa.select(ReviewItem).where(
        ReviewItem.state == sa.bindparam("state"))), scope).limit(
        sa.bindparam("limit", type_=sa.Integer))
    if pending:
        query = query.order_by(ReviewItem.rank, ReviewItem.id)
        if after_cursor:
            query = query.where(sa.tuple_(ReviewItem.rank, ReviewItem.id) > sa.tuple_(
                sa.bindparam("rank", type_=sa.Integer),
                sa.bindparam("after_id", type_=sa.Integer)))
    else:
        query = query.order_by(ReviewItem.id.desc())
        if after_cursor:
            query = query.where(ReviewItem.id < sa.bindparam("after_id", type_=sa.Integer))
    return query


_COUNTS = "moderation_counts"


def forget_counts() -> None:
    """The queue changed in this request: count again when asked."""
    if has_request_context():
        g.pop(_COUNTS, None)


def count_pending(space_ids: list[int] | None) -> int:
    """Pending items of these spaces (None: every space), at most QUEUE_COUNT_CAP.

    Remembered for the request: the navigation badge and the queue page ask the same.
    """
    if space_ids is not None and not space_ids:
        return 0
    key = None if space_ids is None else tuple(sorted(space_ids))
    memo = g.setdefault(_COUNTS, {}) if has_request_context() else {}
    if key not in memo:
        memo[key] = db.session.scalar(_pending_count(_scope(space_ids)),
                                      _space_params(space_ids)) or 0
    return memo[key]


@functools.cache
def _pending_count(scope: str) -> sa.Select[Any]:
    """`count_pending`'s statement for every space, one space or several, built once."""
    inner = _of_spaces(sa.select(ReviewItem.id).where(ReviewItem.state == ReviewState.PENDING),
                       scope)
    return sa.select(sa.func.count()).select_from(inner.limit(QUEUE_COUNT_CAP).subquery())


def user_names(ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.display_name)
                                   .where(User.id.in_(ids))).all())


def item_summary(item: ReviewItem, names: dict[int, str] | None = None) -> dict[str, Any]:
    """What a queue row says about an item (the API's item object, without the post)."""
    names = names if names is not None else user_names({item.claimed_by_id,
                                                        item.resolved_by_id})
    return {
        "id": item.id, "space_id": item.space_id, "post_id": item.post_id,
        "state": item.state.value, "priority": RANK_NAMES.get(Rank(item.rank), "held"),
        "reasons": list(item.reasons or []), "safety": item.safety,
        "escalated": item.escalated_at is not None,
        "claimed_by": ({"id": item.claimed_by_id, "name": names.get(item.claimed_by_id, "")}
                       if item.claimed_by_id else None),
        "resolved_by": ({"id": item.resolved_by_id,
                         "name": names.get(item.resolved_by_id, "")}
                        if item.resolved_by_id else None),
        "resolution_reason": item.resolution_reason,
        "version": item.version, "created_at": item.created_at, "opened_at": item.opened_at,
        "resolved_at": item.resolved_at,
    }


def moderator_post_view(post: Post) -> dict[str, Any]:
    """The post as its space's facilitators see it (text, source, reason)."""
    view = forum_queries.public_post_view(post)
    view["body_html"] = post.body_html
    view["body"] = post.source
    view["state_reason"] = post.state_reason
    view["thread_title"] = post.thread.title
    author = post.author
    if author is not None:
        view["author"] = {**view["author"], "user_id": author.user_id,
                          "display_name": author.user.display_name}
    return view


def queue_rows(items: list[ReviewItem], known: dict[int, str] | None = None
               ) -> list[dict[str, Any]]:
    """Queue rows; `known` names (e.g. the acting facilitator's) save looking them up."""
    known = known or {}
    wanted = {i.claimed_by_id for i in items} | {i.resolved_by_id for i in items}
    names = {**known, **user_names({i for i in wanted if i not in known})}
    return [{**item_summary(item, names), "post": moderator_post_view(item.post),
             "space_name": item.post.thread.space.name} for item in items]


def list_flags(post_id: int) -> list[Flag]:
    return list(db.session.scalars(sa.select(Flag).where(Flag.post_id == post_id)
                                   .order_by(Flag.id)))


def author_history(item: ReviewItem) -> dict[str, Any]:
    """The author's record in the space: their posts by state, earlier items, sanctions."""
    post = item.post
    if post.author_id is None:
        return {"posts": {}, "earlier_items": 0, "log": [], "muted_until": None}
    counts = dict(db.session.execute(
        sa.select(Post.state, sa.func.count()).where(Post.author_id == post.author_id)
        .group_by(Post.state)).all())
    items = db.session.scalar(sa.select(sa.func.count()).select_from(ReviewItem).where(
        ReviewItem.space_id == item.space_id, ReviewItem.author_user_id == item.author_user_id,
        ReviewItem.id != item.id)) or 0
    entries = list(db.session.scalars(sa.select(ModerationAction).where(
        ModerationAction.space_id == item.space_id,
        ModerationAction.target_user_id == item.author_user_id,
        ModerationAction.action.in_(["reject", "remove", "warn", "mute", "remove_member",
                                     "suspend"]))
        .order_by(ModerationAction.id.desc()).limit(10)))
    return {"posts": {getattr(k, "value", k): v for k, v in counts.items()}, "earlier_items": items,
            "log": [log_view(e) for e in entries],
            "muted_until": post.author.muted_until if post.author else None}


def item_detail(item: ReviewItem) -> dict[str, Any]:
    """An item with its post in context: the thread, neighbouring posts, flags, history."""
    post = item.post
    neighbours = list(db.session.scalars(
        sa.select(Post).where(Post.thread_id == post.thread_id, Post.id < post.id,
                              Post.state == PostState.PUBLISHED)
        .options(joinedload(Post.author).joinedload(Membership.user))
        .order_by(Post.id.desc()).limit(3)))
    neighbours.reverse()
    return {
        **queue_rows([item])[0],
        "context": [forum_queries.public_post_view(p) for p in neighbours],
        "flags": [{"reason": f.reason.value, "note": f.note, "created_at": f.created_at}
                  for f in list_flags(post.id)],
        "author_history": author_history(item),
    }


# --- the log ----------------------------------------------------------------------------

def log_view(entry: ModerationAction, names: dict[int, str] | None = None) -> dict[str, Any]:
    names = names or {}
    return {"id": entry.id, "space_id": entry.space_id, "actor_id": entry.actor_id,
            "actor": names.get(entry.actor_id or 0) if entry.actor_id else None,
            "action": entry.action, "item_id": entry.item_id, "post_id": entry.post_id,
            "target_user_id": entry.target_user_id,
            "target": names.get(entry.target_user_id or 0) if entry.target_user_id else None,
            "reason": entry.reason, "data": entry.data or {}, "created_at": entry.created_at}


def list_log(*, space_id: int | None, action: str | None = None, actor_id: int | None = None,
             target_user_id: int | None = None, since: datetime | None = None,
             until: datetime | None = None, before: int | None = None,
             limit: int = LOG_PAGE) -> tuple[list[ModerationAction], int | None]:
    """Log rows newest first, filtered; `before` is the id of the last row seen."""
    query = sa.select(ModerationAction).order_by(ModerationAction.id.desc()).limit(limit + 1)
    if space_id is not None:
        query = query.where(ModerationAction.space_id == space_id)
    if action:
        query = query.where(ModerationAction.action == action)
    if actor_id is not None:
        query = query.where(ModerationAction.actor_id == actor_id)
    if target_user_id is not None:
        query = query.where(ModerationAction.target_user_id == target_user_id)
    if since is not None:
        query = query.where(ModerationAction.created_at >= since)
    if until is not None:
        query = query.where(ModerationAction.created_at < until)
    if before is not None:
        query = query.where(ModerationAction.id < before)
    rows = list(db.session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def log_names(rows: list[ModerationAction]) -> dict[int, str]:
    return user_names({r.actor_id for r in rows} | {r.target_user_id for r in rows})


# --- what a user is shown ---------------------------------------------------------------

def list_notices(user: User, *, limit: int = 50) -> list[Notice]:
    return list(db.session.scalars(sa.select(Notice).where(Notice.user_id == user.id)
                                   .order_by(Notice.id.desc()).limit(limit)))


_UNREAD_NOTICES = (sa.select(Notice).where(Notice.user_id == sa.bindparam("user_id"),
                                          Notice.read_at.is_(None))
                   .order_by(Notice.id.desc()).limit(5))


def unread_notices(user: User) -> list[Notice]:
    return list(db.session.scalars(_UNREAD_NOTICES, {"user_id": user.id}))


def safety_items_for(user: User, *, space_ids: list[int] | None = None) -> list[ReviewItem]:
    """Unhandled safety concerns this user must see: those of the spaces they facilitate
    (`space_ids`, looked up when not given), all of them for safeguarding contacts, and
    escalated ones for admins. One query over `ix_review_items_safety`."""
    spaces = facilitated_space_ids(user) if space_ids is None else space_ids
    return list(db.session.scalars(_safety_items(bool(spaces), user.is_admin),
                                   {"user_id": user.id, "space_ids": spaces}))


@functools.cache
def _safety_items(facilitates: bool, admin: bool) -> sa.Select[Any]:
    """`safety_items_for`'s statement, one per kind of user (every page shows the banner)."""
    conditions = [sa.exists().where(SafeguardingContact.user_id == sa.bindparam("user_id"))]
    if facilitates:
        conditions.append(ReviewItem.space_id.in_(sa.bindparam("space_ids", expanding=True)))
    if admin:
        conditions.append(ReviewItem.escalated_at.is_not(None))
    return (sa.select(ReviewItem).where(
        ReviewItem.safety.is_(True), ReviewItem.state == ReviewState.PENDING,
        sa.or_(*conditions)).order_by(ReviewItem.id).limit(10))


def list_watched_words(space_id: int | None) -> list[WatchedWord]:
    scope = WatchedWord.space_id == space_id if space_id else WatchedWord.space_id.is_(None)
    return list(db.session.scalars(sa.select(WatchedWord).where(scope)
                                   .order_by(WatchedWord.pattern)))


def space_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Space.id, Space.name)
                                   .where(Space.id.in_(ids))).all())
