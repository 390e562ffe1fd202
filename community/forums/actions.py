"""Every change to threads and posts: start, reply, edit, remove, pin/lock/rename, read.

Each action records its events (outbox) and, for facilitator changes, its audit row in
the caller's transaction; none of them commits. Markdown is rendered by `prepare_body`,
which entry points call before they open the transaction (DESIGN §7); an action given
a plain string renders it itself.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from community import text
from community.admin.audit import AuditAction, record
from community.database import utcnow
from community.errors import Conflict, Invalid
from community.extensions import db
from community.forums import access, queries, statements
from community.forums.access import Reader
from community.forums.models import (
    IdempotencyKey,
    Post,
    PostRevision,
    PostState,
    RemovedBy,
    Thread,
    ThreadKind,
)
from community.forums.notifications import notify_mentions
from community.realtime import rooms
from community.realtime.outbox import (
    event_rows,
    record_event,
    rewrite_subject,
    stored,
    take_space_lock_in_statement,
)
from community.spaces.models import Membership, Space

TITLE_MIN, TITLE_MAX = 3, 200
BODY_MIN, BODY_MAX = 1, 20_000
REASON_MAX = 500
IDEMPOTENCY_KEY_MAX = 100
# How long a key protects against a retry (as Stripe's 24 hours); `community purge`
# deletes older ones, and an older key found before the purge ran counts as new.
IDEMPOTENCY_KEY_TTL = timedelta(hours=24)


@dataclass(frozen=True)
class Body:
    """A validated, normalized post body and its HTML rendered without mention links.

    A source that may mention someone (any `@`) is rendered only
    once the space's names are known (`_with_mentions`), so that it is rendered once,
    not twice; `html` renders it without mention links on demand.
    """

    source: str
    rendered: str | None = None

    @property
    def html(self) -> str:
        if self.rendered is None:
            object.__setattr__(self, "rendered", text.render_markdown(self.source))
        return self.rendered  # type: ignore[return-value]


def prepare_body(raw: str, *, field: str = "body") -> Body:
    """Normalize, check the length (1-20,000 characters after trimming) and render
    (before the transaction opens, unless the text may mention someone)."""
    if not isinstance(raw, str):
        raise Invalid(fields={field: _("Write some text.")})
    source = text.normalize(raw)
    if len(source) < BODY_MIN:
        raise Invalid(fields={field: _("Write some text.")})
    if len(source) > BODY_MAX:
        raise Invalid(fields={field: _("Use at most %(n)d characters.", n=BODY_MAX)})
    if "@" in source:
        return Body(source)
    return Body(source, text.render_markdown(source))


def clean_title(raw: str) -> str:
    title = text.normalize_line(raw if isinstance(raw, str) else "")
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise Invalid(fields={"title": _("Use %(a)d to %(b)d characters.", a=TITLE_MIN,
                                         b=TITLE_MAX)})
    return title


def clean_reason(raw: str | None, *, required: bool = False) -> str:
    reason = text.normalize_line(raw or "")
    if required and not reason:
        raise Invalid(fields={"reason": _("Say why, for the post's history.")})
    if len(reason) > REASON_MAX:
        raise Invalid(fields={"reason": _("Use at most %(n)d characters.", n=REASON_MAX)})
    return reason


def initial_state(space: Space, membership: Membership, source: str
                  ) -> tuple[PostState, list[str]]:
    """The seam where moderation decides whether a new post is shown or held.

    Returns the state and the reasons for holding it (shown to the author), or raises
    Invalid `blocked_by_rule`. The space's policy, watched words and personal-data checks
    live in community/moderation/screening.py (imported here: moderation imports forums).
    """
    from community.moderation.screening import screen_new_post

    return screen_new_post(space, membership, source)


# --- starting threads and replying -----------------------------------------------------

def check_create_thread(space: Space, membership: Membership, *, title: str, body: str | Body,
                        kind: ThreadKind = ThreadKind.DISCUSSION, replies_allowed: bool = True,
                        idempotency_key: str | None = None) -> tuple[Thread, Post]:
    """Start a thread with its first post, as `membership` (an active member of `space`).

    Members start discussions; facilitators also announcements and activities. Records
    thread.created and post.created. Idempotent per Idempotency-Key: a retry with the
    same key and content returns the thread and post created the first time.
    """
    reader = Reader(space, membership)
    kind = ThreadKind(kind)
    access.require_can_start(reader, kind)
    title = clean_title(title)
    body = body if isinstance(body, Body) else prepare_body(body)
    request_hash = _fingerprint(idempotency_key, "thread", space.id, title, kind.value,
                                body.source)
    replayed = _replay(membership, idempotency_key, request_hash)
    if replayed is not None:
        return replayed.thread, replayed
    state, reasons = initial_state(space, membership, body.source)
    thread = Thread(space_id=space.id, author_id=membership.id, author=membership, kind=kind,
                    title=title, state=state,
                    replies_allowed=True if kind == ThreadKind.DISCUSSION else replies_allowed)
    db.session.add(thread)
    db.session.flush()
    record_event(space.id, "thread.created", {"thread": _thread_payload(thread)},
                 audiences=_audiences(thread.state, membership), subject=f"thread:{thread.id}")
    post = do_create_post(thread, reader, body=body, state=state, reasons=reasons)
    _remember(membership, idempotency_key, request_hash, post)
    return thread, post


def check_create_post(thread: Thread, membership: Membership, *, body: str | Body,
                      quote_of_id: int | None = None,
                      idempotency_key: str | None = None) -> Post:
    """Reply to a thread as `membership` (an active member of the thread's space).

    Refused in locked threads and closed announcements (facilitators excepted). Records
    post.created (to the space, or only to facilitators and the author when held).
    Idempotent per Idempotency-Key.
    """
    space, slow_mode_minutes, post_id = _read_for_reply(thread, membership)
    reader = Reader(space, membership)
    access.require_can_reply(reader, thread)
    body = body if isinstance(body, Body) else prepare_body(body)
    request_hash = _fingerprint(idempotency_key, "post", thread.id, quote_of_id, body.source)
    replayed = _replay(membership, idempotency_key, request_hash)
    if replayed is not None:
        return replayed
    from community.facilitation.rhythm import require_slow_mode_allows  # group rhythm

    require_slow_mode_allows(reader, thread, slow_mode_minutes)
    if quote_of_id is not None:
        quoted = db.session.get(Post, quote_of_id)
        if quoted is None or quoted.thread_id != thread.id or not access.can_see_post(
                reader, quoted):
            raise Invalid(fields={"quote_of_id": _("Quote a post of this thread.")})
    state, reasons = initial_state(space, membership, body.source)
    post = do_create_post(thread, reader, body=body, state=state, reasons=reasons,
                          quote_of_id=quote_of_id, post_id=post_id)
    _remember(membership, idempotency_key, request_hash, post)
    return post


def _read_for_reply(thread: Thread, membership: Membership
                    ) -> tuple[Space, int | None, int | None]:
    """Read in one statement what a reply is checked against: the thread, the poster's
    membership and the thread's space as they are now (a commit has usually expired
    them: expired objects are refreshed from the row, loaded ones kept), the thread's
    slow-mode minutes and moderation's rules stamp for the space (handed to
    screening); on PostgreSQL also the new post's id, so that its writes can go in one
    statement. Separate round trips were a good share of a post's cost there."""
    from community.moderation.screening import remember_rules_stamp

    dialect = db.session.get_bind().dialect.name
    row = db.session.execute(_reply_statement(dialect), {
        "thread_id": sa.inspect(thread).identity[0],
        "membership_id": sa.inspect(membership).identity[0]}).one()
    remember_rules_stamp(db.session, row.Space.id, row.rules_count, row.rules_last_id,
                         row.rules_last_at)
    return row.Space, row.slow_mode_minutes, row.post_id


@functools.cache
def _reply_statement(dialect: str) -> sa.Select:
    # Imported here: both modules import forums.
    from community.facilitation.rhythm import SLOW_MODE_MINUTES
    from community.moderation.screening import RULES_STAMP

    post_id = (statements.POST_ID.next_value() if dialect == "postgresql"
               else sa.null()).label("post_id")
    return (sa.select(Thread, Membership, Space, SLOW_MODE_MINUTES, *RULES_STAMP.c, post_id)
            .join(Space, Space.id == Thread.space_id).join(RULES_STAMP, sa.true())
            .join(Membership, Membership.id == sa.bindparam("membership_id"))
            .where(Thread.id == sa.bindparam("thread_id")))


def do_create_post(thread: Thread, reader: Reader, *, body: Body, state: PostState,
                   reasons: list[str], quote_of_id: int | None = None,
                   post_id: int | None = None) -> Post:
    """Store a post that passed the checks; update the thread; record post.created.
    `post_id`: an id already taken for it (PostgreSQL, `_read_for_reply`)."""
    membership = reader.membership
    html, mentioned = _with_mentions(thread.space_id, body)
    now = utcnow()
    published = state == PostState.PUBLISHED
    post = Post(id=post_id, thread_id=thread.id, space_id=thread.space_id,
                author_id=membership.id, quote_of_id=quote_of_id, source=body.source,
                body_html=html, state=state, state_reason="; ".join(reasons) or None,
                removed_by=None, removed_at=None, published_at=now if published else None,
                created_at=now, edited_at=None)
    set_committed_value(post, "thread", thread)
    set_committed_value(post, "author", membership)
    _moderate_new_post(post)
    _store_new_post(post, counted=published)
    if published:
        notify_mentions(post, mentioned)
    return post


def _moderate_new_post(post: Post) -> None:
    """The seam where moderation sees a new post before it is stored: censored words in
    its HTML, and the review item screening asked for (community/moderation)."""
    from community.moderation.screening import prepare_new_post

    prepare_new_post(db.session(), post)


def _store_new_post(post: Post, *, counted: bool) -> None:
    """Write a new post, the thread's counters if `counted` (published), the author's
    read position and post.created; then attach the post to the session as if loaded.

    On PostgreSQL in one statement (statements.new_post): four round trips were most of
    a reply's cost there. SQLite, in process, runs them one by one, the post first for
    its id.
    """
    session = db.session()
    connection = session.connection()
    thread = post.thread
    if connection.dialect.name == "postgresql":
        if post.id is None:
            post.id = connection.scalar(sa.select(statements.POST_ID.next_value()))
        events = _post_created(post)
        locking = take_space_lock_in_statement(post.space_id)
        params: dict[str, Any] = {f"p_{name}": getattr(post, name)
                                  for name in statements.POST_COLUMNS}
        for n, row in enumerate(events):
            params.update({f"e{n}_{name}": row[name] for name in statements.EVENT_COLUMNS})
        params.update(lock_space_id=post.space_id, membership_id=post.author_id,
                      thread_id=thread.id, post_id=post.id, posted_at=post.created_at)
        stmt = statements.new_post(locking=locking, counted=counted, events=len(events))
        rows = connection.execute(stmt, params).all()
        stored(events, [row.id for row in rows])
        count = rows[0].post_count
    else:
        post.id = connection.execute(statements.POST_INSERT, {
            name: getattr(post, name) for name in statements.POST_COLUMNS if name != "id"}
        ).inserted_primary_key[0]
        count = connection.execute(statements.thread_count(False), {
            "thread_id": thread.id, "post_id": post.id,
            "posted_at": post.created_at}).scalar_one() if counted else None
        record_event(post.space_id, "post.created", {"post": _post_payload(post)},
                     audiences=_post_audiences(post, post.state), subject=f"post:{post.id}")
        do_mark_read(post.author_id, thread.id, post.id)  # type: ignore[arg-type]
    if counted:
        for name, value in (("post_count", count), ("last_post_id", post.id),
                            ("last_post_at", post.created_at)):
            set_committed_value(thread, name, value)
    make_transient_to_detached(post)
    session.add(post)


def _post_created(post: Post) -> list[dict[str, Any]]:
    return event_rows(post.space_id, "post.created", {"post": _post_payload(post)},
                      audiences=_post_audiences(post, post.state), subject=f"post:{post.id}")


# Another write run in the counter's statement (PostgreSQL): a data-modifying CTE with
# RETURNING, and its bind parameters.
Along = tuple[sa.CTE, dict[str, Any]]


def publish_post(post: Post, *, along: Along | None = None) -> int | None:
    """Publish a held or rejected post (moderation's approval) and count it into its
    thread: on PostgreSQL in the counter's statement, after the space's event lock and
    the thread row. The post gets its new state as if loaded: nothing is left for the
    unit of work to write. `along` (PostgreSQL only): see `count_post`."""
    published_at = post.published_at or utcnow()
    connection = db.session.connection()
    postgres = connection.dialect.name == "postgresql"
    if not postgres:
        if along is not None:
            raise ValueError("along: PostgreSQL only")
        connection.execute(statements.PUBLISH, {"counted_post_id": post.id,
                                                "counted_published_at": published_at})
    written = count_post(post, +1, published_at=published_at if postgres else None,
                         along=along)
    for name, value in (("state", PostState.PUBLISHED), ("state_reason", None),
                        ("published_at", published_at)):
        set_committed_value(post, name, value)
    return written


def count_post(post: Post, change: int, *, published_at: datetime | None = None,
               along: Along | None = None) -> int | None:
    """Count a post into (+1) or out of (-1) its thread's published posts, a later post
    published becoming the thread's last one: one UPDATE computed from the row as it is,
    not from the thread as read earlier (another worker may have changed it since). The
    thread object gets the new values as if loaded. On PostgreSQL the statement takes
    the space's event lock first if the transaction does not hold it yet, so the thread
    row is always locked after it, in the order posting takes them (no deadlock).
    `published_at` (PostgreSQL, from `publish_post`): the statement also publishes the
    post. `along` (PostgreSQL): the caller's own write, run in the same statement (one
    round trip less); returns how many rows it wrote. It must not need the space's lock
    before its row: the caller holds the lock already, or its row is not the space's."""
    thread = post.thread
    params: dict[str, Any] = {"counted_thread_id": thread.id,
                              "lock_space_id": thread.space_id,
                              "counted_published_at": published_at}
    if change > 0:
        params.update(counted_post_id=post.id, counted_post_at=post.created_at)
    if along is not None:
        params.update(along[1])
    stmt = statements.thread_counter(1 if change > 0 else -1,
                                     take_space_lock_in_statement(thread.space_id),
                                     publishing=published_at is not None,
                                     along=along[0] if along is not None else None)
    row = db.session.connection().execute(stmt, params).one()
    for name, value in zip(("post_count", "last_post_id", "last_post_at"), row[:3],
                           strict=True):
        set_committed_value(thread, name, value)
    return row.along_rows if along is not None else None


# --- editing and removing -------------------------------------------------------------

def check_edit_post(post: Post, membership: Membership, *, body: str | Body,
                    reason: str | None = None) -> Post:
    """Change a post's text, keeping the earlier version as a revision (who, when, why).

    The author edits their own post; a facilitator may edit anyone's, giving a reason,
    which is audited as post:edit. Records post.updated and rewrites the payload of the
    post's earlier events. The author's new text is screened as a new post would be
    (Invalid `blocked_by_rule`, nothing changed; a held text takes a published post out
    of view, queued). Idempotent: the same text again changes nothing.
    """
    reader = Reader(post.thread.space, membership)
    access.require_can_change(reader, post)
    if post.state == PostState.REMOVED:
        raise Conflict(_("This post was removed and can no longer be edited."),
                       code="post_removed")
    by_other = post.author_id != membership.id
    reason = clean_reason(reason, required=by_other)
    body = body if isinstance(body, Body) else prepare_body(body)
    if body.source == post.source:
        return post
    screening = _screen_edit(post, membership, body.source)
    html, mentioned = _with_mentions(post.space_id, body)
    now = utcnow()
    db.session.add(PostRevision(post_id=post.id, source=post.source, body_html=post.body_html,
                                written_at=post.edited_at or post.created_at, replaced_at=now,
                                changed_by_id=membership.user_id, reason=reason))
    post.source, post.body_html, post.edited_at = body.source, html, now
    if by_other:
        record(AuditAction.POST_EDIT, actor_id=membership.user_id, target_type="post",
               target_id=post.id, space_id=post.space_id, reason=reason)
    if screening is not None:
        from community.moderation.actions import do_queue_edited_post

        if screening.held and post.state == PostState.PUBLISHED:
            # Out of view first, so that no event for the space carries the held text;
            # the author and the facilitators get the new text.
            do_queue_edited_post(post, screening)
            record_event(post.space_id, "post.updated", {"post": _post_payload(post)},
                         audiences=_post_audiences(post, post.state), subject=f"post:{post.id}")
            return post
    if post.state == PostState.PUBLISHED:
        notify_mentions(post, mentioned)
    _post_changed(post, "post.updated")
    if screening is not None:
        do_queue_edited_post(post, screening)
    return post


def _screen_edit(post: Post, membership: Membership, source: str):  # type: ignore[no-untyped-def]
    """The seam where moderation screens an author's new text (None: nothing to queue).
    Facilitators' edits, like their posts, are not screened."""
    if post.author_id != membership.id or post.state not in (PostState.PUBLISHED,
                                                             PostState.PENDING):
        return None
    from community.moderation.screening import screen_edit

    return screen_edit(post.thread.space, membership, source)


def check_remove_post(post: Post, membership: Membership, *, reason: str | None = None) -> Post:
    """Remove a post, leaving a tombstone ("removed by the author" / "by a facilitator").

    The text stays for facilitators. A facilitator removing someone else's post is
    audited as post:remove. Records post.removed and turns the post's earlier events
    into tombstones. Idempotent: removing a removed post changes nothing.
    """
    reader = Reader(post.thread.space, membership)
    access.require_can_change(reader, post)
    reason = clean_reason(reason)
    if post.state == PostState.REMOVED:
        return post
    was_published = post.state == PostState.PUBLISHED
    by_author = post.author_id == membership.id
    post.state = PostState.REMOVED
    post.removed_by = RemovedBy.AUTHOR if by_author else RemovedBy.FACILITATOR
    post.removed_at = utcnow()
    if was_published:
        count_post(post, -1)
    if not by_author:
        record(AuditAction.POST_REMOVE, actor_id=membership.user_id, target_type="post",
               target_id=post.id, space_id=post.space_id, reason=reason)
    _post_changed(post, "post.removed",
                  state=PostState.PUBLISHED if was_published else PostState.PENDING)
    return post


# --- facilitator tools -----------------------------------------------------------------

def check_update_thread(thread: Thread, membership: Membership, *, title: str | None = None,
                        pinned: bool | None = None, locked: bool | None = None,
                        replies_allowed: bool | None = None) -> Thread:
    """Pin, lock, rename a thread or open/close replies to an announcement (facilitators).

    Audited as thread:update with the changes; records thread.updated. Idempotent.
    """
    access.require_moderator(Reader(thread.space, membership))
    changes: dict[str, list[object]] = {}
    if title is not None:
        title = clean_title(title)
        if title != thread.title:
            changes["title"] = [thread.title, title]
            thread.title = title
    for name, value in (("pinned", pinned), ("locked", locked),
                        ("replies_allowed", replies_allowed)):
        if value is not None and bool(value) != getattr(thread, name):
            changes[name] = [getattr(thread, name), bool(value)]
            setattr(thread, name, bool(value))
    if not changes:
        return thread
    record(AuditAction.THREAD_UPDATE, actor_id=membership.user_id, target_type="thread",
           target_id=thread.id, space_id=thread.space_id, changes=changes)
    payload = {"thread": _thread_payload(thread)}
    subject = f"thread:{thread.id}"
    rewrite_subject(thread.space_id, subject, payload, ["thread.created", "thread.updated"])
    record_event(thread.space_id, "thread.updated", payload,
                 audiences=_audiences(thread.state, thread.author), subject=subject)
    return thread


# --- read state ------------------------------------------------------------------------

def do_mark_read(membership_id: int, thread_id: int, post_id: int) -> None:
    """Move the member's read position forward to `post_id` (never back). Idempotent.

    One upsert statement, so that a page view can record it in a short transaction of
    its own whose first statement is the write.
    """
    connection = db.session.connection()
    connection.execute(statements.read_upsert(connection.dialect.name),
                       {"membership_id": membership_id, "thread_id": thread_id,
                        "last_read_post_id": post_id, "updated_at": utcnow()})


# --- helpers ---------------------------------------------------------------------------

def _audiences(state: PostState, author: Membership | None) -> list[str]:
    return rooms.for_content(
        published=state in (PostState.PUBLISHED, PostState.REMOVED),
        author_user_id=author.user_id if author else None,
        author_is_facilitator=bool(author and author.is_facilitator))


def _post_audiences(post: Post, state: PostState) -> list[str]:
    """A member's answer in an activity that hides answers goes live only to the
    facilitators and its author (community/facilitation/activities.py)."""
    if post.thread.kind == ThreadKind.ACTIVITY:
        from community.facilitation.activities import answer_is_private
        if answer_is_private(post):
            return _audiences(PostState.PENDING, post.author)
    return _audiences(state, post.author)


def _post_payload(post: Post) -> dict[str, object]:
    return queries.jsonable(queries.public_post_view(post))


def _thread_payload(thread: Thread) -> dict[str, object]:
    view = queries.thread_view(thread)
    view.pop("unread"), view.pop("last_read_post_id")
    return queries.jsonable(view)


def _post_changed(post: Post, event_type: str, *, state: PostState | None = None) -> None:
    payload = {"post": _post_payload(post)}
    subject = f"post:{post.id}"
    rewrite_subject(post.space_id, subject, payload, ["post.created", "post.updated"])
    record_event(post.space_id, event_type, payload,
                 audiences=_post_audiences(post, state or post.state), subject=subject)


def _with_mentions(space_id: int, body: Body) -> tuple[str, set[int]]:
    """The HTML with mention links, rendered once: with the names the text may mention,
    or (when it names nobody of the space) the plain rendering."""
    if body.rendered is not None or "@" not in body.source:
        return body.html, set()
    names = queries.mention_names(space_id)
    lowered = body.source.casefold()
    candidates = {name: membership_id for name, membership_id in names.items()
                  if f"@{name.casefold()}" in lowered}
    if not candidates:
        return body.html, set()
    links = {name: member_path(space_id, membership_id)
             for name, membership_id in candidates.items()}
    html, mentioned = text.render(body.source, mentions=links)
    return html, {membership_id for name, membership_id in candidates.items()
                  if name.casefold() in mentioned}


def member_path(space_id: int, membership_id: int) -> str:
    """The path of a member's page under the app's mount: the request's script root, or
    BASE_URL's path when there is no request (the CLI posts too). Stored in the HTML."""
    root = request.script_root if has_request_context() else \
        urlsplit(current_app.config["BASE_URL"]).path.rstrip("/")
    adapter = current_app.url_map.bind("localhost", script_name=root or "/")
    return adapter.build("forums.member_posts",
                         {"space_id": space_id, "membership_id": membership_id})


def _fingerprint(key: str | None, *parts: object) -> str:
    """What a request with an Idempotency-Key asked for ("" without a key: not needed)."""
    if not key:
        return ""
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def _replay(membership: Membership, key: str | None, request_hash: str) -> Post | None:
    """The post created earlier with this Idempotency-Key, or None for a new request."""
    if not key:
        return None
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise Invalid(fields={"Idempotency-Key": _("Use at most %(n)d characters.",
                                                   n=IDEMPOTENCY_KEY_MAX)})
    seen = db.session.scalar(sa.select(IdempotencyKey).where(
        IdempotencyKey.user_id == membership.user_id, IdempotencyKey.key == key))
    if seen is None:
        return None
    if seen.created_at < utcnow() - IDEMPOTENCY_KEY_TTL:
        db.session.delete(seen)
        db.session.flush()
        return None
    if seen.request_hash != request_hash or seen.post_id is None:
        raise Conflict(_("This Idempotency-Key was already used for a different request."),
                       code="idempotency_key_reused")
    return db.session.get(Post, seen.post_id)


def prune_idempotency_keys(now: datetime) -> int:
    """Forget keys older than IDEMPOTENCY_KEY_TTL; returns how many. Does not commit."""
    result = db.session.execute(sa.delete(IdempotencyKey).where(
        IdempotencyKey.created_at < now - IDEMPOTENCY_KEY_TTL))
    return result.rowcount or 0  # type: ignore[attr-defined]


def _remember(membership: Membership, key: str | None, request_hash: str, post: Post) -> None:
    """Store the key; a concurrent request with the same key loses with a Conflict."""
    if not key:
        return
    try:
        with db.session.begin_nested():
            db.session.add(IdempotencyKey(user_id=membership.user_id, key=key,
                                          request_hash=request_hash, post_id=post.id))
    except sa.exc.IntegrityError:
        raise Conflict(_("A request with this Idempotency-Key is already being handled."),
                       code="idempotency_key_in_use") from None
