"""Helpers for the moderation tests: posting through the forums actions, reading items."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from community.extensions import db
from community.forums import actions as forum_actions
from community.forums.models import Post, Thread
from community.moderation.models import ModerationAction, ReviewItem
from community.realtime.models import Event
from community.spaces.queries import get_membership


def start_thread(space, user, body: str = "Where do I start?", title: str = "A question"
                 ) -> tuple[Thread, Post]:
    thread, post = forum_actions.check_create_thread(space, get_membership(user, space.id),
                                                     title=title, body=body)
    db.session.commit()
    return thread, post


def reply(thread, user, body: str) -> Post:
    post = forum_actions.check_create_post(thread, get_membership(user, thread.space_id),
                                           body=body)
    db.session.commit()
    return post


def item_of(post) -> ReviewItem | None:
    return db.session.scalar(sa.select(ReviewItem).where(ReviewItem.post_id == post.id)
                             .execution_options(populate_existing=True))


def log_actions(**where: Any) -> list[str]:
    query = sa.select(ModerationAction.action).order_by(ModerationAction.id)
    for name, value in where.items():
        query = query.where(getattr(ModerationAction, name) == value)
    return list(db.session.scalars(query))


def events(type_: str) -> list[Event]:
    return list(db.session.scalars(sa.select(Event).where(Event.type == type_)
                                   .order_by(Event.id)))


@pytest.fixture
def thread(space, facilitator):  # type: ignore[no-untyped-def]
    """A published thread started by the facilitator."""
    return start_thread(space, facilitator, "Welcome, tell us about yourselves.",
                        "Introductions")[0]


def banner_for(app, user) -> str:  # type: ignore[no-untyped-def]
    """What base.html's include of the safety banner and queue count shows to `user`
    (base.html belongs to the lead; the lines to add are in the moderation report)."""
    from flask import render_template_string
    from flask_login import login_user

    db.session.commit()
    with app.test_request_context("/"):
        login_user(user)
        return render_template_string(
            '{% include "moderation/_safety_banner.html" %}'
            '<ul>{% include "moderation/_nav_item.html" %}</ul>')
