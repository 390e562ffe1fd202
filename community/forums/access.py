"""Fetch-and-authorize for threads and posts, on top of the space gate.

Content answers NotFound to anyone who may not read the space (outsiders, members of
other spaces, and site admins who are not members), so its existence stays hidden;
AgreementRequired comes from the space gate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from community.accounts.models import User
from community.database import utcnow
from community.errors import Forbidden, NotFound
from community.extensions import db
from community.forums.models import Post, PostState, Thread, ThreadKind
from community.policy import Permission
from community.spaces.access import access_space_by_id
from community.spaces.models import Membership, Space

_Row = TypeVar("_Row", bound=Any)  # a model with a space_id column


@dataclass(frozen=True)
class Reader:
    """The caller inside one space: their membership and whether they facilitate it."""

    space: Space
    membership: Membership

    @property
    def is_facilitator(self) -> bool:
        return self.membership.is_facilitator

    @property
    def user_id(self) -> int:
        return self.membership.user_id


def access_space_content(user: User, space_id: int,
                         permission: Permission = Permission.READ_CONTENT) -> Reader:
    """The caller as a reader of the space's content, or NotFound / AgreementRequired."""
    try:
        space, membership = access_space_by_id(user, space_id, permission)
    except Forbidden:
        raise NotFound() from None
    if membership is None:  # only active members read content
        raise NotFound()
    return Reader(space, membership)


# The space comes with the thread: the space gate then finds it in the session. Built
# once: every thread page and reply reads it.
_THREAD_WITH_SPACE = (sa.select(Thread).options(joinedload(Thread.space))
                      .where(Thread.id == sa.bindparam("thread_id"))
                      .execution_options(autoflush=False))  # as Session.get did


def access_thread_by_id(user: User, thread_id: int) -> tuple[Thread, Reader]:
    thread = (db.session.scalar(_THREAD_WITH_SPACE, {"thread_id": thread_id})
              if user.is_authenticated else None)
    if thread is None:
        raise NotFound()
    reader = access_space_content(user, thread.space_id)
    if not can_see_thread(reader, thread):
        raise NotFound()
    return thread, reader


def access_post_by_id(user: User, post_id: int) -> tuple[Post, Reader]:
    post = db.session.get(Post, post_id) if user.is_authenticated else None
    if post is None:
        raise NotFound()
    reader = access_space_content(user, post.space_id)
    if not can_see_post(reader, post):
        raise NotFound()
    return post, reader


def can_see_thread(reader: Reader, thread: Thread) -> bool:
    return (thread.state == PostState.PUBLISHED or reader.is_facilitator
            or thread.author_id == reader.membership.id)


def can_see_post(reader: Reader, post: Post) -> bool:
    """Peers see published posts and tombstones; held or rejected ones only their author."""
    if reader.is_facilitator:
        return True
    shown = post.state == PostState.PUBLISHED or (
        post.state == PostState.REMOVED and post.published_at is not None)
    if not shown:
        return post.author_id == reader.membership.id
    if post.thread.kind == ThreadKind.ACTIVITY:  # answers may be hidden until ...
        from community.facilitation.activities import answer_hidden_from
        return not answer_hidden_from(reader, post)
    return True


def can_see_post_text(reader: Reader, post: Post) -> bool:
    """A removed post's text stays readable for facilitators only."""
    return post.state != PostState.REMOVED or reader.is_facilitator


def can_read_source(reader: Reader, post: Post) -> bool:
    """The Markdown source goes to its author and to facilitators."""
    return reader.is_facilitator or post.author_id == reader.membership.id


def require_moderator(reader: Reader) -> None:
    if not reader.is_facilitator:
        raise Forbidden(_("Only the space's facilitators can do that."))


def access_space_row_to_moderate(reader: Reader, model: type[_Row], row_id: int) -> _Row:
    """A row of the reader's space that only its facilitators handle (a note, a timer, a
    member to write about). The same NotFound for "missing" and "another space's"."""
    require_moderator(reader)
    row = db.session.get(model, row_id)
    if row is None or row.space_id != reader.space.id:
        raise NotFound()
    return row


def require_can_post(reader: Reader) -> None:
    """Active, not muted, in a space that is not archived."""
    if reader.space.archived_at is not None:
        raise Forbidden(_("This space is archived."), code="space_archived")
    muted_until = reader.membership.muted_until
    if muted_until is not None and muted_until > utcnow():
        raise Forbidden(_("You are muted in this space for now."), code="muted")


def require_can_start(reader: Reader, kind: ThreadKind) -> None:
    require_can_post(reader)
    if kind != ThreadKind.DISCUSSION and not reader.is_facilitator:
        raise Forbidden(_("Only facilitators start announcements and activities."))


def require_can_reply(reader: Reader, thread: Thread) -> None:
    require_can_post(reader)
    if reader.is_facilitator:
        return
    if thread.locked:
        raise Forbidden(_("This thread is locked."), code="thread_locked")
    if thread.kind != ThreadKind.DISCUSSION and not thread.replies_allowed:
        raise Forbidden(_("Replies to this announcement are turned off."),
                        code="replies_closed")
    if thread.state != PostState.PUBLISHED:
        raise Forbidden(_("This thread is waiting for review."), code="thread_pending")
    if thread.kind == ThreadKind.ACTIVITY:  # answers only between opening and closing
        from community.facilitation.activities import require_activity_open
        require_activity_open(thread)


def require_can_change(reader: Reader, post: Post) -> None:
    """Authors edit and remove their own posts; facilitators anyone's."""
    if reader.is_facilitator:
        return
    if post.author_id != reader.membership.id:
        raise Forbidden(_("Only the author or a facilitator can change this post."))
    require_can_post(reader)
