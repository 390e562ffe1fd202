"""Forum fixtures: threads and posts written through the real actions."""

from __future__ import annotations

import pytest

from community.extensions import db
from community.forums import actions
from community.forums.models import Post, PostState, Thread
from community.spaces.queries import get_membership


def membership_of(user, space):  # type: ignore[no-untyped-def]
    return get_membership(user, space.id)


def start_thread(space, user, *, title: str = "Where do I start?",  # type: ignore[no-untyped-def]
                 body: str = "I finished school and feel lost.", **kwargs) -> tuple[Thread, Post]:
    thread, post = actions.check_create_thread(space, membership_of(user, space), title=title,
                                               body=body, **kwargs)
    db.session.commit()
    return thread, post


def reply(thread, user, body: str = "Same here.", **kwargs) -> Post:  # type: ignore[no-untyped-def]
    post = actions.check_create_post(thread, membership_of(user, thread.space), body=body,
                                     **kwargs)
    db.session.commit()
    return post


def hold(post: Post) -> Post:
    """What the moderation issue will do: put a post in the review queue."""
    post.state = PostState.PENDING
    post.state_reason = "Looks like a phone number."
    db.session.commit()
    return post


@pytest.fixture
def thread(space, member):  # type: ignore[no-untyped-def]
    return start_thread(space, member)[0]


def write_while_the_space_is_busy(app, space_id: int, write, *,  # type: ignore[no-untyped-def]
                                  rows: tuple[tuple[str, int], ...] = ()):
    """Run `write()` (in a session of its own, then committed) while another transaction
    of the space is open, and check that it waits for that one before it writes: on
    PostgreSQL on the space's event lock, having locked none of `rows` (table, id) and
    taken no event id; on SQLite on the database's write lock. Returns what `write`
    returned, once the other transaction has ended.

    Every writer of a space takes the lock before the rows (posting and the queue's
    decisions do): a writer that locked a row first and then waited for the space could
    deadlock with one that holds the space and waits for the row.
    """
    import threading
    import time

    import sqlalchemy as sa

    last_event = db.session.scalar(sa.text("SELECT max(id) FROM events"))
    db.session.commit()  # the test's own session holds nothing from here on
    postgres = db.engine.dialect.name == "postgresql"
    holder = db.engine.connect()
    holder.exec_driver_sql("SELECT 1")  # begins: on SQLite, BEGIN IMMEDIATE (database.py)
    if postgres:
        holder.execute(sa.text("SELECT pg_advisory_xact_lock(7243, :space)"),
                       {"space": space_id})
    outcome: list[object] = []

    def run() -> None:
        with app.app_context():
            try:
                outcome.append(write())
                db.session.commit()
            except Exception as error:  # reported by the assertion below
                outcome[:] = [error]
            finally:
                db.session.remove()

    worker = threading.Thread(target=run)
    worker.start()
    try:
        if postgres:
            with db.engine.connect() as observer:
                deadline = time.monotonic() + 10
                while not observer.scalar(sa.text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                        "AND classid = 7243 AND objid = :space AND NOT granted"),
                        {"space": space_id}):
                    assert time.monotonic() < deadline, "the write never waited for the space"
                    time.sleep(0.02)
                for table, row_id in rows:  # free while it waits
                    observer.execute(sa.text(f"SELECT id FROM {table} WHERE id = :id "
                                             "FOR UPDATE NOWAIT"), {"id": row_id})
                assert observer.scalar(sa.text(
                    "SELECT last_value FROM events_id_seq")) == last_event
                observer.rollback()
        else:
            time.sleep(0.3)
        assert worker.is_alive() and not outcome, "the write did not wait"
    finally:
        holder.commit()
        holder.close()
        worker.join(30)
    assert len(outcome) == 1 and not isinstance(outcome[0], Exception), outcome
    db.session.expire_all()
    return outcome[0]
