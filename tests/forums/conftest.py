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
