"""The outbox: events are stored with their change, handed on only after the commit."""

from __future__ import annotations

import sqlalchemy as sa

from community.extensions import db
from community.realtime import outbox, rooms
from community.realtime.models import Event


def test_events_are_handed_to_publishers_only_after_commit(space):
    received: list[list[dict]] = []
    outbox.add_publisher(received.append)
    try:
        rows = outbox.record_event(space.id, "post.created", {"post": {"id": 1}},
                                   audiences=[rooms.SPACE, rooms.FACILITATORS])
        assert received == []
        db.session.commit()
        assert len(received) == 1
        batch = received[0]
        assert [e["audience"] for e in batch] == ["space", "facilitators"]
        assert [e["id"] for e in batch] == sorted(e["id"] for e in batch)
        assert batch[0]["id"] == rows[0].id and batch[0]["data"] == {"post": {"id": 1}}
        assert outbox.published[-1] == batch[-1]
    finally:
        outbox.remove_publisher(received.append)


def test_a_rolled_back_change_leaves_no_event_and_publishes_nothing(space):
    received: list[list[dict]] = []
    outbox.add_publisher(received.append)
    try:
        outbox.record_event(space.id, "post.created", {}, audiences=[rooms.SPACE])
        db.session.rollback()
        db.session.commit()
        assert received == []
        assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0
    finally:
        outbox.remove_publisher(received.append)


def test_events_recorded_together_are_stored_at_the_end_in_order(space):
    """`together()`: one INSERT as the block ends, in the order recorded; a block that
    fails stores nothing of it."""
    received: list[list[dict]] = []
    outbox.add_publisher(received.append)
    try:
        with outbox.together():
            outbox.record_event(space.id, "post.created", {"n": 1}, audiences=[rooms.SPACE])
            outbox.record_event(space.id, "post.approved", {"n": 2},
                                audiences=[rooms.FACILITATORS, rooms.user(7)])
            assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0  # not yet
        db.session.commit()
        stored = db.session.scalars(sa.select(Event).order_by(Event.id)).all()
        assert [(e.type, e.audience, e.data) for e in stored] == [
            ("post.created", "space", {"n": 1}), ("post.approved", "facilitators", {"n": 2}),
            ("post.approved", "user:7", {"n": 2})]
        assert [e["id"] for e in received[0]] == [e.id for e in stored]

        try:
            with outbox.together():
                outbox.record_event(space.id, "post.created", {"n": 3}, audiences=[rooms.SPACE])
                raise RuntimeError("the action failed")
        except RuntimeError:
            db.session.rollback()
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 3
    finally:
        outbox.remove_publisher(received.append)


def test_a_failing_publisher_does_not_break_the_commit(space):
    def broken(events):  # type: ignore[no-untyped-def]
        raise RuntimeError("socket down")

    outbox.add_publisher(broken)
    try:
        outbox.record_event(space.id, "thread.updated", {}, audiences=[rooms.SPACE])
        db.session.commit()
    finally:
        outbox.remove_publisher(broken)
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 1


def test_rooms_give_members_the_space_and_themselves_and_facilitators_more(space, member,
                                                                            facilitator):
    from community.spaces.queries import get_membership

    assert rooms.audiences_of(get_membership(member, space.id)) == ["space", f"user:{member.id}"]
    assert "facilitators" in rooms.audiences_of(get_membership(facilitator, space.id))
    assert rooms.for_content(published=True, author_user_id=5) == ["space"]
    assert rooms.for_content(published=False, author_user_id=5) == ["facilitators", "user:5"]
    assert rooms.for_content(published=False, author_user_id=5,
                             author_is_facilitator=True) == ["facilitators"]
    assert rooms.room_name(3, "facilitators") == "space:3:facilitators"
