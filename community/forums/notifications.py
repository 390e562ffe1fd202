"""In-platform notifications (mentions): created with the post, listed and marked read.

Nothing here leaves the platform; a notification only points at a post, and the post
is shown only while the reader may still see it.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from community.accounts.models import User
from community.agreements.queries import missing_agreement
from community.database import utcnow
from community.extensions import db
from community.forums.models import Notification, Post, PostState, ThreadKind
from community.spaces.models import Membership, MembershipState, Role

MENTION = "mention"


def _hidden_answer(post: Post) -> bool:
    if post.thread.kind != ThreadKind.ACTIVITY:
        return False
    from community.facilitation.activities import answer_is_private

    return answer_is_private(post)


def notify_mentions(post: Post, membership_ids: Iterable[int]) -> list[Notification]:
    """Notify mentioned members once per post (not the author). Idempotent per post."""
    ids = set(membership_ids) - {post.author_id}
    if not ids:
        return []
    who = sa.select(Membership.user_id).where(Membership.id.in_(ids),
                                               Membership.state == MembershipState.ACTIVE)
    if _hidden_answer(post):
        # Peers may not see the answer yet: telling them they were mentioned in it would
        # reveal that it exists. Facilitators see every answer.
        who = who.where(Membership.role == Role.FACILITATOR)
    user_ids = set(db.session.scalars(who))
    already = set(db.session.scalars(sa.select(Notification.user_id).where(
        Notification.post_id == post.id, Notification.kind == MENTION)))
    rows = [Notification(user_id=user_id, space_id=post.space_id, post_id=post.id, kind=MENTION)
            for user_id in sorted(user_ids - already)]
    db.session.add_all(rows)
    return rows


def _visible(user_id: int | sa.BindParameter[int]) -> sa.ColumnElement[bool]:
    """Only posts that are published, in spaces where the user is still an active member."""
    return sa.and_(
        Notification.user_id == user_id,
        Post.state == PostState.PUBLISHED,
        sa.exists().where(Membership.user_id == user_id,
                          Membership.space_id == Notification.space_id,
                          Membership.state == MembershipState.ACTIVE))


# Every page's badge (base.html): built once, as building it cost more than running it.
_UNREAD_COUNT = (sa.select(sa.func.count(Notification.id))
                 .join(Post, Post.id == Notification.post_id)
                 .where(_visible(sa.bindparam("user_id")), Notification.read_at.is_(None)))


def list_notifications(user: User, *, before: int | None = None,
                       limit: int = 50) -> list[Notification]:
    """The user's notifications, newest first, leaving out spaces whose current agreement
    they have not accepted (the thread title is content of the space)."""
    query = (sa.select(Notification).join(Post, Post.id == Notification.post_id)
             .where(_visible(user.id))
             .options(joinedload(Notification.post).joinedload(Post.thread),
                      joinedload(Notification.post).joinedload(Post.author)
                      .joinedload(Membership.user),
                      joinedload(Notification.space))
             .order_by(Notification.id.desc()).limit(limit))
    if before is not None:
        query = query.where(Notification.id < before)
    rows = list(db.session.scalars(query).unique())
    gated: dict[int, bool] = {}
    for row in rows:
        if row.space_id not in gated:
            gated[row.space_id] = missing_agreement(user, row.space) is not None
    return [row for row in rows if not gated[row.space_id]]


def count_unread(user: User) -> int:
    return db.session.scalar(_UNREAD_COUNT, {"user_id": user.id}) or 0


def access_notification_by_id(user: User, notification_id: int) -> Notification:
    from community.errors import NotFound

    row = db.session.get(Notification, notification_id) if user.is_authenticated else None
    if row is None or row.user_id != user.id:
        raise NotFound()
    return row


def do_mark_notification_read(notification: Notification) -> None:
    """Idempotent."""
    if notification.read_at is None:
        notification.read_at = utcnow()


def do_mark_all_read(user: User) -> None:
    db.session.execute(sa.update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
