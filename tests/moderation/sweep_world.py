"""What tests/test_authorization_sweep.py needs for the moderation rows: an item, a rule
and a safeguarding contact in its world, without changing the space's policy."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from community.extensions import db
from community.forums.access import Reader
from community.forums.models import Post
from community.moderation import actions
from community.moderation.models import SafeguardingContact, WatchedAction, WatchedWord
from community.spaces.queries import get_membership


def moderation_world(space_id: int, post_id: int, facilitator, other_member,  # type: ignore[no-untyped-def]
                     admin) -> dict[str, Any]:
    """The facilitator flags the member's post (one flag: it stays published)."""
    post = db.session.get(Post, post_id)
    space = post.thread.space
    actions.check_flag_post(post, Reader(space, get_membership(facilitator, space_id)),
                            reason="other")
    word = WatchedWord(space_id=space_id, pattern="darn", action=WatchedAction.CENSOR)
    db.session.add_all([word, SafeguardingContact(user_id=admin.id)])
    db.session.commit()
    from community.moderation.models import ReviewItem

    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.post_id == post_id))
    other_post = db.session.scalar(sa.select(Post.id).where(
        Post.author_id == get_membership(other_member, space_id).id).order_by(Post.id.desc()))
    return {"mod_item": item.id, "mod_version": item.version, "mod_word": word.id,
            "mod_contact": admin.id, "mod_post": other_post}
