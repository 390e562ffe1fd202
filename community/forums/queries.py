"""Reads about threads and posts, and how they are shown to a given reader.

Every list is paginated by keyset (the ids of the last row seen), never by OFFSET,
so the cost of a page does not grow with the length of a thread or a space.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from community.extensions import db
from community.forums.access import Reader, can_read_source, can_see_post_text
from community.forums.models import Post, PostRevision, PostState, ReadState, Thread, ThreadKind
from community.realtime import rooms
from community.realtime.models import Event
from community.spaces.models import Membership, MembershipState, Role
from community.spaces.queries import shown_name

THREADS_PER_PAGE = 30
POSTS_PER_PAGE = 50


@dataclass
class Page:
    """One page of a keyset-paginated list; `before`/`after` are None at either end."""

    items: list[Any]
    before: int | None = None  # pass as ?before= for the previous page
    after: int | None = None  # pass as ?after= for the next page
    extra: dict[str, Any] = field(default_factory=dict)


# --- threads -------------------------------------------------------------------------

def list_threads(reader: Reader, *, cursor: list[int] | None = None,
                 limit: int = THREADS_PER_PAGE) -> tuple[list[tuple[Thread, int | None]],
                                                         list[int] | None]:
    """Threads with the reader's last-read post id, pinned first then latest activity.

    `cursor` is the [pinned, last_post_id, id] of the last thread of the previous page.
    """
    pinned, last_post_id, thread_id = cursor or (False, None, None)
    query = _threads_page(reader.is_facilitator, bool(cursor))
    params = {"member_id": reader.membership.id, "space_id": reader.space.id,
              "limit": limit + 1, "pinned": bool(pinned), "last_post_id": last_post_id,
              "thread_id": thread_id}
    rows = [(thread, last_read)
            for thread, last_read in db.session.execute(query, params).unique()]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1][0]
        next_cursor = [int(last.pinned), last.last_post_id, last.id]
    return rows, next_cursor


def is_unread(thread: Thread, last_read_post_id: int | None) -> bool:
    return thread.last_post_id > (last_read_post_id or 0)


_LAST_READ = sa.select(ReadState.last_read_post_id).where(
    ReadState.membership_id == sa.bindparam("membership_id"),
    ReadState.thread_id == sa.bindparam("thread_id"))


def get_last_read(membership_id: int, thread_id: int) -> int:
    return db.session.scalar(_LAST_READ, {"membership_id": membership_id,
                                          "thread_id": thread_id}) or 0


@functools.cache
def _threads_page(everything: bool, after_cursor: bool) -> sa.Select[Any]:
    """`list_threads`'s statement, built once per kind of page (building it cost the
    thread list more than running it). `everything` (facilitators): threads waiting for
    review too; otherwise published ones and the member's own."""
    query = (sa.select(Thread, ReadState.last_read_post_id)
             .outerjoin(ReadState, sa.and_(ReadState.thread_id == Thread.id,
                                           ReadState.membership_id == sa.bindparam("member_id")))
             .where(Thread.space_id == sa.bindparam("space_id"))
             .options(joinedload(Thread.author).joinedload(Membership.user))
             .order_by(Thread.pinned.desc(), Thread.last_post_id.desc(), Thread.id.desc())
             .limit(sa.bindparam("limit", type_=sa.Integer)))
    if not everything:
        query = query.where(sa.or_(Thread.state == PostState.PUBLISHED,
                                   Thread.author_id == sa.bindparam("member_id")))
    if after_cursor:
        query = query.where(
            sa.tuple_(Thread.pinned, Thread.last_post_id, Thread.id)
            < sa.tuple_(sa.bindparam("pinned", type_=sa.Boolean),
                        sa.bindparam("last_post_id", type_=sa.Integer),
                        sa.bindparam("thread_id", type_=sa.Integer)))
    return query


# --- posts ---------------------------------------------------------------------------

def _shown_posts(author_id: int | sa.BindParameter[int]) -> sa.ColumnElement[bool]:
    """A member sees published posts, tombstones of published ones, and their own."""
    return sa.or_(Post.state == PostState.PUBLISHED,
                  sa.and_(Post.state == PostState.REMOVED, Post.published_at.is_not(None)),
                  Post.author_id == author_id)


def visible_answers(reader: Reader) -> sa.ColumnElement[bool]:
    """Activity answers the reader may not see yet are left out (community/facilitation)."""
    from community.facilitation.activities import visible_answers_clause

    return visible_answers_clause(reader)


def list_posts(reader: Reader, thread: Thread, *, after: int | None = None,
               before: int | None = None, last: bool = False,
               limit: int = POSTS_PER_PAGE) -> Page:
    """A page of the thread's posts in order: from the start, after or before a post id,
    or the last page. Each page is one index range scan on (thread_id, id)."""
    backwards = last or before is not None
    params = {"thread_id": thread.id, "member_id": reader.membership.id,
              "before": before, "after": after, "limit": limit + 1}
    query = _posts_page(reader.is_facilitator, before is not None, after is not None,
                        backwards)
    if thread.kind == ThreadKind.ACTIVITY and not reader.is_facilitator:
        # Built per call: which answers are hidden depends on the reader and the time.
        query = query.where(visible_answers(reader))
    posts = list(db.session.scalars(query, params))
    more = len(posts) > limit
    posts = posts[:limit]
    load_authors(posts)
    if backwards:
        posts.reverse()
        page = Page(posts, before=posts[0].id if more and posts else None,
                    after=posts[-1].id if before is not None and posts else None)
    else:
        page = Page(posts, after=posts[-1].id if more and posts else None,
                    before=posts[0].id if after is not None and posts else None)
    return page


@functools.cache
def _posts_page(everything: bool, before: bool, after: bool, backwards: bool) -> sa.Select[Any]:
    """`list_posts`'s statement for one kind of page, built once: building it cost a
    thread page more than running it. `everything` (facilitators): held, rejected and
    removed posts too; otherwise what `_shown_posts` lets a member see. Only an
    activity's answers can be hidden beyond that (`visible_answers`, added per call)."""
    query = (sa.select(Post).where(Post.thread_id == sa.bindparam("thread_id"))
             .options(lazyload(Post.author)).limit(sa.bindparam("limit", type_=sa.Integer)))
    if not everything:
        query = query.where(_shown_posts(sa.bindparam("member_id")))
    if before:
        query = query.where(Post.id < sa.bindparam("before"))
    if after:
        query = query.where(Post.id > sa.bindparam("after"))
    return query.order_by(Post.id.desc() if backwards else Post.id)


_AUTHORS = (sa.select(Membership).where(Membership.id.in_(sa.bindparam("ids", expanding=True)))
            .options(joinedload(Membership.user)))


def load_authors(posts: list[Post]) -> None:
    """Load the few distinct authors of a page (and their users) in one query and hand
    each post its author, instead of joining them onto every row. Handed, not only
    loaded: the session holds objects weakly, so an author no other object referred to
    was gone again by the time the page asked for it (two more statements a page)."""
    ids = {p.author_id for p in posts if p.author_id is not None}
    if not ids:
        return
    authors = {m.id: m for m in db.session.scalars(_AUTHORS, {"ids": sorted(ids)}).unique()}
    for post in posts:
        if post.author_id is not None:
            set_committed_value(post, "author", authors.get(post.author_id))


def list_member_posts(reader: Reader, author: Membership, *, before: int | None = None,
                      limit: int = POSTS_PER_PAGE) -> Page:
    """A member's published posts in the space, newest first."""
    query = (sa.select(Post).where(Post.author_id == author.id,
                                   Post.state == PostState.PUBLISHED, visible_answers(reader))
             .options(joinedload(Post.thread)).order_by(Post.id.desc()).limit(limit + 1))
    if before is not None:
        query = query.where(Post.id < before)
    posts = list(db.session.scalars(query))
    more = len(posts) > limit
    posts = posts[:limit]
    return Page(posts, before=posts[-1].id if more else None)


def get_space_member(reader: Reader, membership_id: int) -> Membership | None:
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.space_id != reader.space.id:
        return None
    return membership


def list_revisions(post: Post) -> list[PostRevision]:
    return list(db.session.scalars(sa.select(PostRevision).where(PostRevision.post_id == post.id)
                                   .order_by(PostRevision.id)))


def first_post(thread: Thread) -> Post | None:
    return db.session.scalar(sa.select(Post).where(Post.thread_id == thread.id)
                             .order_by(Post.id).limit(1))


def mention_names(space_id: int) -> dict[str, int]:
    """Name as peers see it (pseudonym, else display name) -> membership id."""
    from community.accounts.models import User

    rows = db.session.execute(
        sa.select(Membership.id, Membership.pseudonym, User.display_name)
        .join(User, User.id == Membership.user_id)
        .where(Membership.space_id == space_id, Membership.state == MembershipState.ACTIVE))
    return {(pseudonym or display_name): membership_id
            for membership_id, pseudonym, display_name in rows}


# --- events --------------------------------------------------------------------------

def list_events(reader: Reader, *, after: int = 0, limit: int = 100) -> list[sa.Row]:
    """The stored events of the space after `after` that this reader may receive, as rows
    (attributes as on Event): 1,000 members catching up after a restart read ~40 each,
    and building ORM objects for them was a tenth of the restarted process's work."""
    return list(db.session.execute(
        sa.select(*Event.__table__.c)
        .where(Event.space_id == reader.space.id, Event.id > after,
               Event.audience.in_(rooms.audiences_of(reader.membership)))
        .order_by(Event.id).limit(limit)))


# --- how things are shown ------------------------------------------------------------

def author_view(membership: Membership | None) -> dict[str, Any]:
    """What peers see of an author: the pseudonym where there is one, never both names."""
    if membership is None:
        return {"membership_id": None, "name": _("deleted member"), "role": None}
    view: dict[str, Any] = {"membership_id": membership.id, "name": shown_name(membership),
                            "role": membership.role.value}
    if membership.pseudonym:
        view["pseudonym"] = membership.pseudonym
    else:
        view["display_name"] = membership.user.display_name
    return view


def thread_view(thread: Thread, *, last_read_post_id: int | None = None) -> dict[str, Any]:
    return {
        "id": thread.id, "space_id": thread.space_id, "title": thread.title,
        "kind": thread.kind.value, "state": thread.state.value, "pinned": thread.pinned,
        "locked": thread.locked, "replies_allowed": thread.replies_allowed,
        "post_count": thread.post_count, "last_post_id": thread.last_post_id,
        "last_post_at": thread.last_post_at, "created_at": thread.created_at,
        "author": author_view(thread.author),
        "unread": is_unread(thread, last_read_post_id) if last_read_post_id is not None else None,
        "last_read_post_id": last_read_post_id,
    }


def public_post_view(post: Post) -> dict[str, Any]:
    """A post as every member sees it: a removed post is only a tombstone."""
    removed = post.state == PostState.REMOVED
    return {
        "id": post.id, "thread_id": post.thread_id, "space_id": post.space_id,
        "author": author_view(post.author), "state": post.state.value,
        "body_html": "" if removed else post.body_html,
        "removed_by": post.removed_by.value if post.removed_by else None,
        "quote_of_id": post.quote_of_id,
        "created_at": post.created_at, "edited_at": post.edited_at,
    }


def post_view(post: Post, reader: Reader) -> dict[str, Any]:
    """A post for one reader: source for its author and facilitators, removed text and the
    reason for holding it only where they may see it."""
    view = public_post_view(post)
    if can_see_post_text(reader, post):
        view["body_html"] = post.body_html
    if can_read_source(reader, post) and can_see_post_text(reader, post):
        view["body"] = post.source
    if post.state in (PostState.PENDING, PostState.REJECTED) and can_read_source(reader, post):
        view["state_reason"] = post.state_reason
    view["can_edit"] = post.state != PostState.REMOVED and (
        reader.is_facilitator or post.author_id == reader.membership.id)
    return view


def jsonable(value: Any) -> Any:
    """Datetimes as ISO 8601 strings, for event payloads stored as JSON."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


def is_facilitator_membership(membership: Membership | None) -> bool:
    return membership is not None and membership.role == Role.FACILITATOR


def posts_per_page() -> int:
    return int(current_app.config.get("POSTS_PER_PAGE", POSTS_PER_PAGE))

