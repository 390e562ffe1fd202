"""Every moderation change: flags, the queue's transitions, sanctions, rules, contacts,
safety alerts and their escalation.

Each action writes its moderation-log row and (for people's decisions) its audit row,
and records its events, in the caller's transaction; none of them commits. Queue
transitions take the item's `version` as the caller saw it and raise Conflict (with the
up-to-date item) when another facilitator acted first.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from community import appendonly, text
from community.accounts import actions as account_actions
from community.accounts.models import User, UserStatus
from community.admin.audit import AuditAction, record
from community.database import utcnow
from community.errors import Conflict, Forbidden, Invalid
from community.extensions import db
from community.forums import queries as forum_queries
from community.forums.access import Reader
from community.forums.actions import count_post, prepare_body, publish_post
from community.forums.models import Post, PostRevision, PostState, RemovedBy, Thread
from community.moderation import queries, watched
from community.moderation.access import Moderator
from community.moderation.models import (
    Flag,
    FlagReason,
    ModerationAction,
    Notice,
    Rank,
    ReviewItem,
    ReviewState,
    SafeguardingContact,
    SpaceModeration,
    WatchedAction,
    WatchedWord,
)
from community.moderation.screening import (
    EditScreening,
    escalation_minutes,
    forget_rule_stamps,
)
from community.realtime import rooms
from community.realtime.outbox import (
    after_space_lock,
    record_event,
    rewrite_subject,
    take_space_lock_in_statement,
    together,
)
from community.spaces import actions as space_actions
from community.spaces.models import Membership, Space

NOTE_MAX = 1000
REASON_MAX = 500
MUTE_MAX_HOURS = 24 * 365
THRESHOLD_MAX = 100
HOLDS_MAX = 100


# --- the log ----------------------------------------------------------------------------

# Core, like the audit row: the log is append-only and never read back in the
# transaction that writes it.
_LOG = ModerationAction.__table__


def log(action: str, *, space_id: int | None, actor_id: int | None,
        item: ReviewItem | None = None, post_id: int | None = None,
        target_user_id: int | None = None, reason: str = "", **data: Any) -> None:
    """Append a row to the moderation log (there is no way to change it afterwards):
    at once, or with the action's other rows at the end of `appendonly.together`."""
    appendonly.append(_LOG, {
        "space_id": space_id, "actor_id": actor_id, "action": action,
        "item_id": item.id if item is not None else None,
        "post_id": post_id if post_id is not None else (
            item.post_id if item is not None else None),
        "target_user_id": target_user_id, "reason": reason[:NOTE_MAX], "data": data,
        "created_at": utcnow()})


def _clean(raw: str | None, *, field: str, required: bool = False,
           limit: int = REASON_MAX) -> str:
    value = text.normalize(raw or "") if isinstance(raw, str | None) else ""
    if required and not value:
        raise Invalid(fields={field: _("Say why; the member is told.")})
    if len(value) > limit:
        raise Invalid(fields={field: _("Use at most %(n)d characters.", n=limit)})
    return value


# --- events -----------------------------------------------------------------------------

def _queue_changed(item: ReviewItem) -> None:
    queries.forget_counts()
    record_event(item.space_id, "queue.changed",
                 {"item_id": item.id, "state": item.state.value, "rank": item.rank,
                  "claimed_by": item.claimed_by_id, "version": item.version},
                 audiences=[rooms.FACILITATORS], subject=f"review:{item.id}")


def _to_author(post: Post, type_: str, data: dict[str, Any]) -> None:
    """A post's moderation outcome: the author privately, and the facilitators."""
    audiences = [rooms.FACILITATORS]
    if post.author is not None and not post.author.is_facilitator:
        audiences.append(rooms.user(post.author.user_id))
    record_event(post.space_id, type_, data, audiences=audiences, subject=f"post:{post.id}")


def _notice(user_id: int | None, space_id: int | None, kind: str, message: str, *,
            until: datetime | None = None, post_id: int | None = None) -> None:
    if user_id is not None:
        db.session.add(Notice(user_id=user_id, space_id=space_id, kind=kind, message=message,
                              until=until, post_id=post_id))


# --- opening and reopening items --------------------------------------------------------

def _merge(item: ReviewItem, reasons: list[dict[str, Any]], rank: int) -> None:
    merged = list(item.reasons or [])
    for reason in reasons:
        if reason not in merged:
            merged.append(reason)
    item.reasons = merged
    item.rank = min(item.rank, rank)


def _open_or_reopen(post: Post, reasons: list[dict[str, Any]], rank: int,
                    now: datetime) -> tuple[ReviewItem, bool]:
    """The post's one item, created or reopened with the reasons merged in.

    Returns (item, opened): opened is True when it was not pending before.
    """
    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.post_id == post.id))
    if item is None:
        item = ReviewItem(space_id=post.space_id, post_id=post.id, post=post,
                          author_user_id=post.author.user_id if post.author else None,
                          reasons=[], rank=rank, created_at=now, opened_at=now, updated_at=now)
        db.session.add(item)
        _merge(item, reasons, rank)
        db.session.flush()
        return item, True
    opened = item.state != ReviewState.PENDING
    if opened:
        item.state = ReviewState.PENDING
        item.opened_at = now
        item.claimed_by_id = item.claimed_at = None
        item.resolved_by_id = item.resolved_at = item.resolution_reason = None
        item.rank = rank
        item.safety = False
        item.safety_at = item.escalated_at = None
    _merge(item, reasons, rank)
    item.updated_at = now
    db.session.flush()
    return item, opened


def do_queue_new_post(post: Post, *, reasons: list[dict[str, Any]], rank: int,
                      held: bool) -> ReviewItem:
    """Queue a post that screening held or flagged (called when the post is flushed).

    Logs `hold` or `auto_flag`; records post.held (author and facilitators) when held,
    and queue.changed.
    """
    item, _opened = _open_or_reopen(post, reasons, rank, utcnow())
    kinds = ", ".join(r["kind"] for r in reasons)
    log("hold" if held else "auto_flag", space_id=post.space_id, actor_id=None, item=item,
        target_user_id=item.author_user_id, reason=kinds)
    if held:
        _to_author(post, "post.held", {"post_id": post.id, "thread_id": post.thread_id,
                                       "reason": post.state_reason or ""})
    _queue_changed(item)
    return item


def do_queue_edited_post(post: Post, screening: EditScreening) -> ReviewItem:
    """Queue a post whose author's edit screening held or flagged (after the edit).

    A held text takes a published post out of view (post.hidden to the space, post.held
    to the author); a post still pending gets the new reasons. Logs `hold` or
    `auto_flag` and records queue.changed, unless the item was pending already for the
    same reasons.
    """
    hidden = screening.held and post.state == PostState.PUBLISHED
    if hidden:
        _hide(post, "; ".join(screening.messages))
    elif screening.held:
        post.state_reason = "; ".join(screening.messages)
    before = db.session.scalar(sa.select(ReviewItem.reasons).where(
        ReviewItem.post_id == post.id, ReviewItem.state == ReviewState.PENDING))
    item, opened = _open_or_reopen(post, screening.reasons, screening.rank, utcnow())
    if not (hidden or opened) and item.reasons == before:
        return item  # still waiting for the same reasons: the queue did not change
    log("hold" if screening.held else "auto_flag", space_id=post.space_id, actor_id=None,
        item=item, target_user_id=item.author_user_id,
        reason=", ".join(r["kind"] for r in screening.reasons), edit=True)
    _queue_changed(item)
    return item


# --- flags ------------------------------------------------------------------------------

def check_flag_post(post: Post, reader: Reader, *, reason: str, note: str | None = None
                    ) -> Flag:
    """Flag a published post (one flag per member per post).

    Opens or reopens the post's item; at the space's threshold of flags since it was
    (re)opened the post is hidden pending review (post.held). A safety concern jumps
    the queue and alerts the facilitators and safeguarding contacts (safety.alert).
    Logs `flag` (and `hide`, `safety_alert`). Raises Conflict `already_flagged`.
    """
    try:
        flag_reason = FlagReason(reason)
    except ValueError:
        raise Invalid(fields={"reason": _("Choose one of: %(allowed)s.", allowed=", ".join(
            r.value for r in FlagReason))}) from None
    note = _clean(note, field="note", limit=NOTE_MAX)
    if post.state != PostState.PUBLISHED:
        raise Conflict(_("Only published posts can be flagged."), code="not_flaggable")
    if post.author_id == reader.membership.id:
        raise Forbidden(_("You cannot flag your own post."), code="own_post")
    now = utcnow()
    flag = Flag(post_id=post.id, space_id=post.space_id, user_id=reader.user_id,
                reason=flag_reason, note=note, created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(flag)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_("You have already flagged this post."), code="already_flagged") from None
    safety = flag_reason == FlagReason.SAFETY
    rank = Rank.SAFETY if safety else Rank.FLAGGED
    reasons = [{"kind": "safety" if safety else "flags", "detail": flag_reason.value}]
    item, _opened = _open_or_reopen(post, reasons, rank, now)
    log("flag", space_id=post.space_id, actor_id=reader.user_id, item=item,
        target_user_id=item.author_user_id, reason=note, flag=flag_reason.value)
    flags = db.session.scalar(sa.select(sa.func.count()).select_from(Flag).where(
        Flag.post_id == post.id, Flag.created_at >= item.opened_at)) or 0
    threshold = queries.space_settings(post.space_id).flag_threshold
    if flags >= threshold and post.state == PostState.PUBLISHED:
        _hide(post, _("Hidden after members flagged it; a facilitator will look at it."))
        log("hide", space_id=post.space_id, actor_id=None, item=item,
            target_user_id=item.author_user_id, reason=f"{flags} flags", flags=flags)
    if safety and not item.safety:
        _raise_safety_alert(item, post, now)
    db.session.flush()
    _queue_changed(item)
    return flag


def _hide(post: Post, reason: str) -> None:
    """Take a published post out of view until a facilitator decides (post.held)."""
    post.state = PostState.PENDING
    post.state_reason = reason
    count_post(post, -1)
    hidden = {"post": {"id": post.id, "thread_id": post.thread_id, "space_id": post.space_id,
                       "state": PostState.PENDING.value, "body_html": ""}}
    rewrite_subject(post.space_id, f"post:{post.id}", hidden, ["post.created", "post.updated"])
    record_event(post.space_id, "post.hidden", {"post_id": post.id, "thread_id": post.thread_id},
                 audiences=[rooms.SPACE], subject=f"post:{post.id}")
    _to_author(post, "post.held", {"post_id": post.id, "thread_id": post.thread_id,
                                   "reason": reason})


def _raise_safety_alert(item: ReviewItem, post: Post, now: datetime) -> None:
    item.safety = True
    item.safety_at = now
    item.escalated_at = None
    item.rank = Rank.SAFETY
    contacts = queries.list_safeguarding_contact_ids()
    data = {"item_id": item.id, "space_id": item.space_id, "post_id": post.id,
            "space_name": post.thread.space.name}
    record_event(item.space_id, "safety.alert", data,
                 audiences=[rooms.FACILITATORS, *(rooms.user(c) for c in contacts)],
                 subject=f"review:{item.id}")
    log("safety_alert", space_id=item.space_id, actor_id=None, item=item,
        target_user_id=item.author_user_id, contacts=contacts)


# --- queue transitions ------------------------------------------------------------------

def _require_open(item: ReviewItem, moderator: Moderator, version: int | None) -> None:
    """The item is pending, at the version the caller saw, and not claimed by another."""
    if version is None or not isinstance(version, int) or version != item.version:
        raise _conflict(item, _("Another facilitator acted on this item first."))
    if item.state != ReviewState.PENDING:
        raise _conflict(item, _("This item was already resolved."))
    if item.claimed_by_id not in (None, moderator.user_id):
        raise _conflict(item, _("Another facilitator has claimed this item."))


def _conflict(item: ReviewItem, message: str) -> Conflict:
    return Conflict(message, code="conflict", item=forum_queries.jsonable(
        queries.item_summary(item)))


_CLAIM = ("claimed_by_id", "claimed_at")
_RESOLVE = ("state", "resolved_by_id", "resolved_at", "resolution_reason")


@functools.cache
def _transition(columns: tuple[str, ...], locking: bool) -> sa.Update:
    """A version-checked UPDATE of the item's `columns` (and updated_at, version), with or
    without the space's event lock, built once: building it on every action cost as
    much as a round trip."""
    table = ReviewItem.__table__
    stmt = sa.update(table).where(
        table.c.id == sa.bindparam("item_id"),
        table.c.version == sa.bindparam("seen_version")).values(
        {name: sa.bindparam(f"new_{name}", type_=table.c[name].type)
         for name in (*columns, "updated_at", "version")})
    return after_space_lock(stmt) if locking else stmt


@functools.cache
def _transition_along(columns: tuple[str, ...]) -> sa.CTE:
    """`_transition` as a CTE that returns the row it wrote, to run in another statement
    (PostgreSQL, after the item's query took the space's lock)."""
    return _transition(columns, False).returning(ReviewItem.__table__.c.id).cte(
        "item_transition")


def _transition_values(item: ReviewItem, values: dict[str, Any]
                       ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The transition's values with updated_at and the next version, and its parameters."""
    values = {**values, "updated_at": utcnow(), "version": item.version + 1}
    params = {f"new_{name}": value for name, value in values.items()}
    params.update(item_id=item.id, seen_version=item.version, lock_space_id=item.space_id)
    return values, params


def _saved(item: ReviewItem, values: dict[str, Any], rows: int | None) -> None:
    """After a transition's UPDATE: a lost race (no row written) undoes the whole action
    and is a Conflict with the fresh item; else the item gets the values as if loaded."""
    if rows != 1:
        db.session.rollback()
        fresh = db.session.get(ReviewItem, item.id)
        raise _conflict(fresh, _("Another facilitator acted on this item first."))
    for name, value in values.items():
        set_committed_value(item, name, value)


def _save(item: ReviewItem, columns: tuple[str, ...], **values: Any) -> None:
    """Write a transition (`_CLAIM` or `_RESOLVE` with its `values`) in one UPDATE that
    checks the version and bumps it: a lost race is a Conflict, never a half write.

    In Core rather than through the unit of work, and before the action records its
    events: the item gets the new values as if loaded, nothing else is flushed before
    the commit, and on PostgreSQL the same statement takes the space's event lock that
    `record_event` would otherwise take with a round trip of its own.
    """
    values, params = _transition_values(item, values)
    stmt = _transition(columns, take_space_lock_in_statement(item.space_id))
    _saved(item, values, db.session.connection().execute(stmt, params).rowcount)


@together()
def check_claim(item: ReviewItem, moderator: Moderator, *, version: int | None) -> ReviewItem:
    """Claim an item so that others see someone is on it. Logged, audited, queue.changed.
    Claiming an item one already holds changes nothing."""
    _require_open(item, moderator, version)
    if item.claimed_by_id == moderator.user_id:
        return item
    _save(item, _CLAIM, claimed_by_id=moderator.user_id, claimed_at=utcnow())
    log("claim", space_id=item.space_id, actor_id=moderator.user_id, item=item)
    record(AuditAction.REVIEW_CLAIM, actor_id=moderator.user_id, target_type="review_item",
           target_id=item.id, space_id=item.space_id, claimed=True)
    _queue_changed(item)
    return item


@together()
def check_unclaim(item: ReviewItem, moderator: Moderator, *, version: int | None) -> ReviewItem:
    """Give an item back to the queue."""
    _require_open(item, moderator, version)
    if item.claimed_by_id is None:
        return item
    _save(item, _CLAIM, claimed_by_id=None, claimed_at=None)
    log("unclaim", space_id=item.space_id, actor_id=moderator.user_id, item=item)
    record(AuditAction.REVIEW_CLAIM, actor_id=moderator.user_id, target_type="review_item",
           target_id=item.id, space_id=item.space_id, claimed=False)
    _queue_changed(item)
    return item


def _resolve(item: ReviewItem, moderator: Moderator, state: ReviewState,
             reason: str = "", *, publishing: Post | None = None) -> None:
    """Write the decision (see `_save`); `_resolved` logs it once the post is done.

    `publishing`: the held post the decision publishes (forums' `publish_post`, then
    `_announce_published`). On PostgreSQL the decision is then written in the statement
    that publishes the post and counts it into its thread, one round trip less; the
    item's query took the space's lock, so the lock still comes before every row.
    """
    values = {"state": state, "resolved_by_id": moderator.user_id, "resolved_at": utcnow(),
              "resolution_reason": reason or None}
    if publishing is not None and db.session.get_bind().dialect.name == "postgresql":
        values, params = _transition_values(item, values)
        _saved(item, values,
               publish_post(publishing, along=(_transition_along(_RESOLVE), params)))
    else:
        _save(item, _RESOLVE, **values)
        if publishing is not None:
            publish_post(publishing)
    if publishing is not None:
        _announce_published(publishing)


def _resolved(item: ReviewItem, moderator: Moderator, action: str, reason: str = "",
              **data: Any) -> None:
    log(action, space_id=item.space_id, actor_id=moderator.user_id, item=item,
        target_user_id=item.author_user_id, reason=reason, **data)
    record(AuditAction.REVIEW_RESOLVE, actor_id=moderator.user_id, target_type="review_item",
           target_id=item.id, space_id=item.space_id, outcome=action, post_id=item.post_id,
           reason=reason)
    _queue_changed(item)


@together()
def check_approve(item: ReviewItem, moderator: Moderator, *, version: int | None,
                  body: str | None = None, reason: str | None = None) -> ReviewItem:
    """Approve: a held post is published (post.created to the space, post.approved to
    the author); a flagged post stays. With `body`, edit-and-approve: the earlier text is
    kept as a revision with the reason. Logged as `approve` / `edit_approve`."""
    _require_open(item, moderator, version)
    post = item.post
    if post.state == PostState.REMOVED:
        raise _conflict(item, _("The post was removed in the meantime."))
    reason = _clean(reason, field="reason")
    prepared = prepare_body(body) if body is not None else None
    if prepared is not None and prepared.source == post.source:
        prepared = None  # the same text: a plain approval
    edited = prepared is not None
    if prepared is not None:
        now = utcnow()
        db.session.add(PostRevision(
            post_id=post.id, source=post.source, body_html=post.body_html,
            written_at=post.edited_at or post.created_at, replaced_at=now,
            changed_by_id=moderator.user_id, reason=reason or _("Edited in review.")))
        post.source, post.body_html, post.edited_at = prepared.source, prepared.html, now
    held = post.state in (PostState.PENDING, PostState.REJECTED)
    _resolve(item, moderator, ReviewState.APPROVED, reason, publishing=post if held else None)
    if not held and edited:
        payload = {"post": forum_queries.jsonable(forum_queries.public_post_view(post))}
        rewrite_subject(post.space_id, f"post:{post.id}", payload,
                        ["post.created", "post.updated"])
        record_event(post.space_id, "post.updated", payload, audiences=[rooms.SPACE],
                     subject=f"post:{post.id}")
    _to_author(post, "post.approved", {"post_id": post.id, "thread_id": post.thread_id})
    _resolved(item, moderator, "edit_approve" if edited else "approve", reason)
    return item


def _announce_published(post: Post) -> None:
    """A held post was published: post.created to the space, and thread.created (the
    thread published with it) if the post opens its thread."""
    thread: Thread = post.thread
    if thread.state != PostState.PUBLISHED and forum_queries.first_post(thread) is post:
        thread.state = PostState.PUBLISHED
        view = forum_queries.thread_view(thread)
        view.pop("unread"), view.pop("last_read_post_id")
        record_event(thread.space_id, "thread.created",
                     {"thread": forum_queries.jsonable(view)},
                     audiences=[rooms.SPACE], subject=f"thread:{thread.id}")
    record_event(post.space_id, "post.created",
                 {"post": forum_queries.jsonable(forum_queries.public_post_view(post))},
                 audiences=[rooms.SPACE], subject=f"post:{post.id}")


@together()
def check_reject(item: ReviewItem, moderator: Moderator, *, version: int | None,
                 reason: str | None) -> ReviewItem:
    """Reject: the post is not (or no longer) shown; the reason goes privately to the
    author (post.rejected, a notice). Logged as `reject`."""
    reason = _clean(reason, field="reason", required=True)
    _require_open(item, moderator, version)
    post = item.post
    if post.state == PostState.REMOVED:
        raise _conflict(item, _("The post was removed in the meantime."))
    _resolve(item, moderator, ReviewState.REJECTED, reason)
    if post.state == PostState.PUBLISHED:
        count_post(post, -1)
        record_event(post.space_id, "post.hidden",
                     {"post_id": post.id, "thread_id": post.thread_id},
                     audiences=[rooms.SPACE], subject=f"post:{post.id}")
    post.state = PostState.REJECTED
    post.state_reason = reason
    if post.thread.state != PostState.PUBLISHED and forum_queries.first_post(post.thread) is post:
        post.thread.state = PostState.REJECTED
    _to_author(post, "post.rejected", {"post_id": post.id, "thread_id": post.thread_id,
                                       "reason": reason})
    _notice(item.author_user_id, post.space_id, "rejected", reason, post_id=post.id)
    _resolved(item, moderator, "reject", reason)
    return item


@together()
def check_remove(item: ReviewItem, moderator: Moderator, *, version: int | None,
                 reason: str | None) -> ReviewItem:
    """Remove the post, leaving a tombstone "removed by a facilitator" (post.removed).
    Logged as `remove`, audited as post:remove too."""
    reason = _clean(reason, field="reason", required=True)
    _require_open(item, moderator, version)
    _resolve(item, moderator, ReviewState.REMOVED, reason)
    post = item.post
    if post.state != PostState.REMOVED:
        if post.state == PostState.PUBLISHED:
            count_post(post, -1)
        post.state = PostState.REMOVED
        post.removed_by = RemovedBy.FACILITATOR
        post.removed_at = utcnow()
        payload = {"post": forum_queries.jsonable(forum_queries.public_post_view(post))}
        rewrite_subject(post.space_id, f"post:{post.id}", payload,
                        ["post.created", "post.updated"])
        record_event(post.space_id, "post.removed", payload, audiences=[rooms.SPACE],
                     subject=f"post:{post.id}")
        record(AuditAction.POST_REMOVE, actor_id=moderator.user_id, target_type="post",
               target_id=post.id, space_id=post.space_id, reason=reason)
    _notice(item.author_user_id, post.space_id, "removed", reason, post_id=post.id)
    _resolved(item, moderator, "remove", reason)
    return item


# --- sanctions --------------------------------------------------------------------------

def check_warn(moderator: Moderator, target: Membership, *, message: str | None,
               item: ReviewItem | None = None) -> Notice:
    """Warn a member privately (a notice; member.warned to them). Logged and audited."""
    message = _clean(message, field="message", required=True)
    notice = Notice(user_id=target.user_id, space_id=target.space_id, kind="warn",
                    message=message, post_id=item.post_id if item else None)
    db.session.add(notice)
    log("warn", space_id=target.space_id, actor_id=moderator.user_id, item=item,
        target_user_id=target.user_id, reason=message)
    record(AuditAction.MEMBER_WARN, actor_id=moderator.user_id, target_type="user",
           target_id=target.user_id, space_id=target.space_id, message=message)
    record_event(target.space_id, "member.warned", {"message": message},
                 audiences=[rooms.user(target.user_id)])
    return notice


def check_mute(moderator: Moderator, target: Membership, *, hours: int | None,
               reason: str | None, item: ReviewItem | None = None) -> datetime:
    """Mute a member in the space until now + `hours`: they can still read, not post.
    A notice tells them why and until when (member.muted). Logged and audited."""
    reason = _clean(reason, field="reason", required=True)
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= MUTE_MAX_HOURS:
        raise Invalid(fields={"hours": _("Use 1 to %(n)d hours.", n=MUTE_MAX_HOURS)})
    until = utcnow() + timedelta(hours=hours)
    target.muted_until = until
    _notice(target.user_id, target.space_id, "mute", reason, until=until,
            post_id=item.post_id if item else None)
    log("mute", space_id=target.space_id, actor_id=moderator.user_id, item=item,
        target_user_id=target.user_id, reason=reason, until=until.isoformat(), hours=hours)
    record(AuditAction.MEMBER_MUTE, actor_id=moderator.user_id, target_type="user",
           target_id=target.user_id, space_id=target.space_id, until=until.isoformat(),
           reason=reason)
    record_event(target.space_id, "member.muted",
                 {"until": until.isoformat(), "reason": reason},
                 audiences=[rooms.user(target.user_id)])
    return until


def do_unmute(moderator: Moderator, target: Membership) -> None:
    """Lift a mute. Idempotent."""
    if target.muted_until is None or target.muted_until <= utcnow():
        target.muted_until = None
        return
    target.muted_until = None
    _notice(target.user_id, target.space_id, "unmute", _("You can post again."))
    log("unmute", space_id=target.space_id, actor_id=moderator.user_id,
        target_user_id=target.user_id)
    record(AuditAction.MEMBER_MUTE, actor_id=moderator.user_id, target_type="user",
           target_id=target.user_id, space_id=target.space_id, until=None)


def check_remove_member(moderator: Moderator, target: Membership, *, reason: str | None,
                        item: ReviewItem | None = None) -> None:
    """Remove a member from the space through spaces' removal (audited membership:remove,
    and it revokes their live connections to the space), tell them why, and log it."""
    reason = _clean(reason, field="reason", required=True)
    space_actions.check_remove_member(moderator.space, target, acting_user=moderator.user)
    _notice(target.user_id, target.space_id, "removal", reason)
    log("remove_member", space_id=target.space_id, actor_id=moderator.user_id, item=item,
        target_user_id=target.user_id, reason=reason)


def check_suspend(moderator: Moderator, target_user: User, *, reason: str | None,
                  item: ReviewItem | None = None) -> None:
    """Suspend the account site-wide (admins only; accounts' suspension, audited)."""
    if not moderator.user.is_admin:
        raise Forbidden(_("Only site admins can suspend accounts."))
    reason = _clean(reason, field="reason", required=True)
    account_actions.do_suspend_user(target_user, reason=reason, acting_user=moderator.user)
    log("suspend", space_id=moderator.space.id, actor_id=moderator.user_id, item=item,
        target_user_id=target_user.id, reason=reason)


# --- safety escalation ------------------------------------------------------------------

def do_escalate_overdue(now: datetime | None = None) -> list[ReviewItem]:
    """Escalate to the admins every safety item nobody claimed within the configured
    minutes (safety.escalated to each admin; logged `escalate`). Idempotent: an item is
    escalated once per alert."""
    now = now or utcnow()
    cutoff = now - timedelta(minutes=escalation_minutes())
    items = list(db.session.scalars(sa.select(ReviewItem).where(
        ReviewItem.safety.is_(True), ReviewItem.state == ReviewState.PENDING,
        ReviewItem.claimed_by_id.is_(None), ReviewItem.escalated_at.is_(None),
        ReviewItem.safety_at <= cutoff).order_by(ReviewItem.id)))
    admins = list(db.session.scalars(sa.select(User.id).where(
        User.is_admin.is_(True), User.status == UserStatus.ACTIVE)))
    for item in items:
        item.escalated_at = now
        record_event(item.space_id, "safety.escalated",
                     {"item_id": item.id, "space_id": item.space_id},
                     audiences=[rooms.user(a) for a in admins] or [rooms.FACILITATORS],
                     subject=f"review:{item.id}")
        log("escalate", space_id=item.space_id, actor_id=None, item=item,
            target_user_id=item.author_user_id, admins=admins,
            minutes=escalation_minutes())
    db.session.flush()
    return items


# --- settings, rules, contacts ----------------------------------------------------------

def check_update_settings(moderator: Moderator, *, new_member_holds: int | None = None,
                          flag_threshold: int | None = None) -> SpaceModeration:
    """Set the space's new-member hold count and flag threshold. Audited; idempotent."""
    current = queries.space_settings(moderator.space.id)
    current = SpaceModeration(new_member_holds=current.new_member_holds,
                              flag_threshold=current.flag_threshold)
    row = db.session.get(SpaceModeration, moderator.space.id)
    if row is None:
        row = SpaceModeration(space_id=moderator.space.id)
        db.session.add(row)
    changes: dict[str, list[int]] = {}
    for name, value, limit in (("new_member_holds", new_member_holds, HOLDS_MAX),
                               ("flag_threshold", flag_threshold, THRESHOLD_MAX)):
        if value is None:
            setattr(row, name, getattr(current, name))
            continue
        low = 0 if name == "new_member_holds" else 1
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= limit:
            raise Invalid(fields={name: _("Use a whole number from %(a)d to %(b)d.",
                                          a=low, b=limit)})
        if getattr(current, name) != value:
            changes[name] = [getattr(current, name), value]
        setattr(row, name, value)
    if changes:
        record(AuditAction.MODERATION_SETTINGS, actor_id=moderator.user_id,
               target_type="space", target_id=moderator.space.id,
               space_id=moderator.space.id, changes=changes)
    db.session.flush()
    return row


def check_add_watched_word(space: Space | None, *, pattern: str, action: str,
                           acting_user: User) -> WatchedWord:
    """Add a site-wide (space None; admins) or space rule. Audited watched_word:change."""
    pattern = watched.clean_pattern(pattern)
    try:
        chosen = WatchedAction(action)
    except ValueError:
        raise Invalid(fields={"action": _("Choose one of: %(allowed)s.", allowed=", ".join(
            a.value for a in WatchedAction))}) from None
    scope = WatchedWord.space_id == space.id if space else WatchedWord.space_id.is_(None)
    if db.session.scalar(sa.select(WatchedWord.id).where(scope, WatchedWord.pattern == pattern)):
        raise Invalid(code="duplicate", fields={"pattern": _("This pattern is already watched.")})
    if (db.session.scalar(sa.select(sa.func.count()).select_from(WatchedWord).where(scope))
            or 0) >= watched.MAX_PATTERNS:
        raise Invalid(fields={"pattern": _("There are too many watched words already.")})
    word = WatchedWord(space_id=space.id if space else None, pattern=pattern, action=chosen,
                       created_by_id=acting_user.id)
    db.session.add(word)
    db.session.flush()
    forget_rule_stamps(db.session)
    record(AuditAction.WATCHED_WORD, actor_id=acting_user.id, target_type="watched_word",
           target_id=word.id, space_id=word.space_id, pattern=pattern, rule_action=chosen.value,
           change="add")
    return word


def do_delete_watched_word(word: WatchedWord, *, acting_user: User) -> None:
    record(AuditAction.WATCHED_WORD, actor_id=acting_user.id, target_type="watched_word",
           target_id=word.id, space_id=word.space_id, pattern=word.pattern,
           rule_action=word.action.value, change="delete")
    db.session.delete(word)
    db.session.flush()
    forget_rule_stamps(db.session)


def check_add_safeguarding_contact(user: User, *, acting_user: User) -> SafeguardingContact:
    """Designate a safeguarding contact (admins). Audited; idempotent."""
    if user.status != UserStatus.ACTIVE:
        raise Invalid(fields={"email": _("This account is not active.")})
    existing = db.session.get(SafeguardingContact, user.id)
    if existing is not None:
        return existing
    contact = SafeguardingContact(user_id=user.id, added_by_id=acting_user.id)
    db.session.add(contact)
    record(AuditAction.SAFEGUARDING, actor_id=acting_user.id, target_type="user",
           target_id=user.id, change="add")
    return contact


def do_remove_safeguarding_contact(contact: SafeguardingContact, *, acting_user: User) -> None:
    record(AuditAction.SAFEGUARDING, actor_id=acting_user.id, target_type="user",
           target_id=contact.user_id, change="remove")
    db.session.delete(contact)


def do_mark_notices_read(user: User) -> None:
    db.session.execute(sa.update(Notice).where(Notice.user_id == user.id,
                                               Notice.read_at.is_(None))
                       .values(read_at=utcnow()))
