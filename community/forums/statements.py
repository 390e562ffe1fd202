"""Prebuilt Core statements for the writes every post makes: the thread's counters, the
author's read position, and on PostgreSQL the whole of a new post in one statement.

Each is built once (functools.cache): building one took longer than running it. Bind
parameters are named in the docstrings; the actions in forums/actions.py run them.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from community.appendonly import ordered_insert
from community.forums.models import Post, PostState, ReadState, Thread
from community.realtime.models import Event
from community.realtime.outbox import after_space_lock

_Upsert = TypeVar("_Upsert", postgresql.Insert, sqlite.Insert)

# The sequence behind posts.id on PostgreSQL (a SERIAL column): a reply takes its id
# from it with the checks it reads anyway, so that its writes can go in one statement.
POST_ID = sa.Sequence("posts_id_seq")
POST_COLUMNS = tuple(column.name for column in Post.__table__.c)
POST_INSERT = sa.insert(Post.__table__)
EVENT_COLUMNS = ("space_id", "type", "audience", "subject", "data", "created_at")


@functools.cache
def thread_count(locking: bool) -> sa.Update:
    """A new post published: `thread_id`'s post_count + 1, its last post `post_id` at
    `posted_at`; returns the count. With `locking`, takes the space's event lock
    (`lock_space_id`) first."""
    table = Thread.__table__
    stmt = (sa.update(table).where(table.c.id == sa.bindparam("thread_id"))
            .values(post_count=table.c.post_count + 1, last_post_id=sa.bindparam("post_id"),
                    last_post_at=sa.bindparam("posted_at", type_=table.c.last_post_at.type))
            .returning(table.c.post_count))
    return after_space_lock(stmt) if locking else stmt


# A held post published (PostgreSQL: a CTE of `thread_counter(+1, ..., publishing=True)`):
# `counted_post_id`'s state, no reason any more, first shown at `counted_published_at`.
# No bind parameter of these UPDATEs may be named like a column of the table it updates
# and is not given a value: SQLAlchemy would add that column to the SET clause.
PUBLISH = sa.update(Post.__table__).where(
    Post.__table__.c.id == sa.bindparam("counted_post_id", type_=sa.Integer)).values(
    state=PostState.PUBLISHED, state_reason=None,
    published_at=sa.bindparam("counted_published_at",
                              type_=Post.__table__.c.published_at.type))


@functools.cache
def thread_counter(change: int, locking: bool, publishing: bool = False,
                   along: sa.CTE | None = None) -> sa.Update:
    """`count_post`'s UPDATE, per direction: `counted_thread_id`'s count by `change` (never below
    0); counting in, `counted_post_id` at `counted_post_at` becomes the last post if it
    is later. Returns the count and the last post. `publishing` (PostgreSQL): the same
    statement also publishes the post (`PUBLISH`), after the thread row. `along`
    (PostgreSQL): another write of the caller's, a data-modifying CTE with RETURNING,
    run in the same statement; the number of rows it wrote comes back as `along_rows`."""
    count = Thread.post_count + change
    values: dict[str, Any] = {"post_count": sa.case((count < 0, 0), else_=count)}
    if change > 0:
        post_id = sa.bindparam("counted_post_id", type_=Thread.last_post_id.type)
        later = Thread.last_post_id < post_id
        values["last_post_id"] = sa.case((later, post_id), else_=Thread.last_post_id)
        values["last_post_at"] = sa.case(
            (later, sa.bindparam("counted_post_at", type_=Thread.last_post_at.type)),
            else_=Thread.last_post_at)
    stmt = (sa.update(Thread).where(Thread.id == sa.bindparam("counted_thread_id"))
            .values(values)
            .returning(Thread.post_count, Thread.last_post_id, Thread.last_post_at))
    if publishing:
        stmt = stmt.add_cte(PUBLISH.cte("published"))
    if along is not None:
        stmt = stmt.add_cte(along).returning(
            sa.select(sa.func.count()).select_from(along).scalar_subquery().label("along_rows"))
    return after_space_lock(stmt) if locking else stmt


@functools.cache
def read_upsert(dialect: str) -> sa.Insert:
    """`membership_id`'s read position in `thread_id` moved forward to
    `last_read_post_id` (never back), at `updated_at`. It runs on every page view."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return keep_newest_read(insert(ReadState).values(
        membership_id=sa.bindparam("membership_id"), thread_id=sa.bindparam("thread_id"),
        last_read_post_id=sa.bindparam("last_read_post_id"),
        updated_at=sa.bindparam("updated_at", type_=ReadState.__table__.c.updated_at.type)),
        dialect)


def keep_newest_read(stmt: _Upsert, dialect: str) -> _Upsert:
    """The read-state insert, which on conflict moves the position forward, never back."""
    newest = sa.func.greatest if dialect == "postgresql" else sa.func.max
    return stmt.on_conflict_do_update(
        index_elements=["membership_id", "thread_id"],
        set_={"last_read_post_id": newest(ReadState.last_read_post_id,
                                          stmt.excluded.last_read_post_id),
              "updated_at": stmt.excluded.updated_at})


@functools.cache
def new_post(*, locking: bool, counted: bool, events: int) -> sa.Select:
    """PostgreSQL: a new post's writes in one statement. The post row (`p_<column>` for
    each of POST_COLUMNS, its id taken from POST_ID); the thread's counters if
    `counted` (`thread_count`); the author's read position (`membership_id`,
    `thread_id`, `post_id`, `posted_at`); `events` event rows (`e<n>_<column>` for
    each of EVENT_COLUMNS). With `locking`, the space's event lock (`lock_space_id`) is
    taken before the thread row and the events, as the separate statements did. Returns
    one row per event, in the order given: its id, and the thread's post count (NULL
    unless `counted`).

    PostgreSQL runs a CTE that writes when the main query first reads it, or after the
    main query if nothing reads it: the counter and the events reference the lock, so
    the lock comes first; the read position reads the counter's row, so it comes after
    the thread row.
    """
    posts, events_table = Post.__table__, Event.__table__
    inserted = sa.insert(posts).values(
        {name: sa.bindparam(f"p_{name}", type_=posts.c[name].type) for name in POST_COLUMNS}
    ).cte("new_post")
    position = sa.select(sa.bindparam("membership_id", type_=sa.Integer),
                         sa.bindparam("thread_id", type_=sa.Integer),
                         sa.bindparam("post_id", type_=sa.Integer),
                         sa.bindparam("posted_at", type_=ReadState.updated_at.type))
    count: Any = sa.null()
    if counted:
        counter = thread_count(locking).cte("counted")
        position = position.select_from(counter)
        count = sa.select(counter.c.post_count).scalar_subquery()
    read = keep_newest_read(postgresql.insert(ReadState).from_select(
        ["membership_id", "thread_id", "last_read_post_id", "updated_at"], position),
        "postgresql").cte("read_position")
    stored = (ordered_insert(events_table, EVENT_COLUMNS, events, prefix="e",
                             each=after_space_lock if locking else lambda row: row)
              .returning(events_table.c.id).cte("new_events"))
    return (sa.select(stored.c.id, count.label("post_count"))
            .add_cte(inserted).add_cte(read).order_by(stored.c.id))
