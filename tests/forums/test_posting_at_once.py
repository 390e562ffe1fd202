"""Members posting into one thread at the same moment, each in a worker of their own (as
`community serve` serves requests side by side, and as bench/concurrent_posting.py
measures): nothing is lost, nothing is counted twice."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from community.extensions import db
from community.forums import actions
from community.forums.models import Post, PostState, ReadState, Thread
from community.realtime.models import Event
from community.spaces.models import Membership, ModerationPolicy
from tests.forums.conftest import membership_of

REPLIES = 8


def test_members_posting_at_once_lose_nothing_and_count_every_post(
        app, space, thread, facilitator, member, other_member):  # type: ignore[no-untyped-def]
    space.moderation_policy = ModerationPolicy.POST  # every reply is published at once
    db.session.commit()
    posters = [membership_of(user, space).id for user in (facilitator, member, other_member)]
    first_event = db.session.scalar(sa.select(sa.func.max(Event.id)))
    thread_id = thread.id
    db.session.commit()
    start = threading.Barrier(len(posters))
    failures: list[BaseException] = []

    def post_replies(membership_id: int) -> None:
        with app.app_context():
            try:
                mine = db.session.get(Membership, membership_id)
                where = db.session.get(Thread, thread_id)
                db.session.commit()
                start.wait(10)
                for n in range(REPLIES):
                    actions.check_create_post(where, mine, body=f"Reply {n} of {mine.id}")
                    db.session.commit()
            except BaseException as error:  # reported below
                failures.append(error)
            finally:
                db.session.remove()

    workers = [threading.Thread(target=post_replies, args=(membership_id,))
               for membership_id in posters]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert not failures and not any(worker.is_alive() for worker in workers), failures

    db.session.expire_all()
    replies = db.session.scalars(sa.select(Post).where(Post.thread_id == thread_id)
                                 .order_by(Post.id)).all()[1:]  # after the opening post
    assert len(replies) == REPLIES * len(posters)
    assert all(post.state == PostState.PUBLISHED for post in replies)
    for membership_id in posters:
        own = [post.source for post in replies if post.author_id == membership_id]
        assert own == [f"Reply {n} of {membership_id}" for n in range(REPLIES)]

    counted = db.session.get(Thread, thread_id)
    assert counted.post_count == REPLIES * len(posters) + 1
    assert counted.last_post_id == replies[-1].id

    created = db.session.execute(sa.select(Event.id, Event.subject).where(
        Event.id > first_event, Event.type == "post.created").order_by(Event.id)).all()
    assert sorted(subject for _id, subject in created) == sorted(
        f"post:{post.id}" for post in replies)

    for membership_id in posters:
        last_own = max(post.id for post in replies if post.author_id == membership_id)
        position = db.session.scalar(sa.select(ReadState.last_read_post_id).where(
            ReadState.membership_id == membership_id, ReadState.thread_id == thread_id))
        assert position == last_own
