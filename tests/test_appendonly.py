"""Append-only rows (audit, moderation log, events) written at once or together."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from community import appendonly
from community.admin.audit import AuditAction, record
from community.admin.models import AuditEntry
from community.extensions import db
from community.moderation.actions import log
from community.moderation.models import ModerationAction
from community.realtime import outbox, rooms
from community.realtime.models import Event


def rows(model, *columns):  # type: ignore[no-untyped-def]
    return db.session.execute(sa.select(*columns).order_by(model.id)).all()


def test_rows_of_several_tables_are_written_as_the_block_ends_in_the_order_given(space):
    received: list[list[dict]] = []
    outbox.add_publisher(received.append)
    try:
        with appendonly.together():
            log("claim", space_id=space.id, actor_id=1, reason="first")
            outbox.record_event(space.id, "queue.changed", {"n": 1},
                                audiences=[rooms.FACILITATORS, rooms.user(7)])
            record(AuditAction.REVIEW_CLAIM, actor_id=1, target_type="review_item",
                   target_id=5, space_id=space.id, claimed=True)
            log("approve", space_id=space.id, actor_id=1, reason="second")
            outbox.record_event(space.id, "post.approved", {"n": 2},
                                audiences=[rooms.FACILITATORS])
            assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0  # not yet
            assert db.session.scalar(sa.select(sa.func.count(ModerationAction.id))) == 0
        db.session.commit()
        assert [r.reason for r in rows(ModerationAction, ModerationAction.id,
                                       ModerationAction.reason)] == ["first", "second"]
        assert [(r.action, r.data) for r in rows(AuditEntry, AuditEntry.action,
                                                 AuditEntry.data)] == [
            ("review:claim", {"claimed": True})]
        stored = rows(Event, Event.id, Event.type, Event.audience)
        assert [(e.type, e.audience) for e in stored] == [
            ("queue.changed", "facilitators"), ("queue.changed", "user:7"),
            ("post.approved", "facilitators")]
        # Published after the commit with the ids they were stored under, in order.
        assert [(e["id"], e["type"]) for e in received[0]] == [(e.id, e.type) for e in stored]
    finally:
        outbox.remove_publisher(received.append)


def test_a_block_that_fails_writes_nothing_and_outside_a_block_rows_go_at_once(space):
    with pytest.raises(RuntimeError), appendonly.together():
        log("claim", space_id=space.id, actor_id=1)
        outbox.record_event(space.id, "queue.changed", {}, audiences=[rooms.FACILITATORS])
        raise RuntimeError("the action failed")
    db.session.rollback()
    assert not appendonly.batching()
    assert db.session.scalar(sa.select(sa.func.count(ModerationAction.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0

    log("warn", space_id=space.id, actor_id=1)
    assert db.session.scalar(sa.select(sa.func.count(ModerationAction.id))) == 1  # at once
    with appendonly.together():
        with appendonly.together():  # the outer block writes
            log("mute", space_id=space.id, actor_id=1)
        assert db.session.scalar(sa.select(sa.func.count(ModerationAction.id))) == 1
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(ModerationAction.id))) == 2
