"""Fetch-and-authorize for moderation: queues, items, the log, sanctions, rules, contacts.

A space's queue, log and sanctions are for its facilitators and for site admins
(Permission.REVIEW). Members get 403 for a space they belong to, everyone else the same
404 as for an unknown space. Items are looked up through their space, so an item of a
space the caller cannot review is a 404 like an unknown id.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from community.accounts.models import User
from community.agreements.queries import require_accepted
from community.errors import Forbidden, NotFound, Unauthorized
from community.extensions import db
from community.moderation import queries
from community.moderation.models import ReviewItem, SafeguardingContact, WatchedWord
from community.moderation.screening import remember_rules_stamp
from community.policy import Permission
from community.realtime.outbox import space_lock_taken
from community.spaces.access import UNREAD, access_space_by_id
from community.spaces.models import Membership, Space
from community.spaces.queries import get_active_membership_of_user


@dataclass(frozen=True)
class Moderator:
    """Someone allowed to review a space: one of its facilitators, or a site admin."""

    user: User
    space: Space
    membership: Membership | None  # None for an admin outside the space

    @property
    def user_id(self) -> int:
        return self.user.id


def access_review_space(user: User, space_id: int, *,
                        membership: Membership | object | None = UNREAD,
                        unaccepted: tuple[int | None, ...] | None = None) -> Moderator:
    """The caller as a reviewer of the space: 404 outside it, 403 for its members.
    `membership` and `unaccepted` (the agreement gate's columns): when already read."""
    if not user.is_authenticated:
        raise Unauthorized()
    space, membership = access_space_by_id(user, space_id, Permission.REVIEW,
                                           membership=membership)
    if membership is not None:  # the queue shows the space's content
        require_accepted(user, space, unaccepted=unaccepted)
    return Moderator(user, space, membership)


def access_review_item_by_id(user: User, item_id: int, *, for_update: bool = False
                             ) -> tuple[ReviewItem, Moderator]:
    """An item of a space the caller reviews; `for_update` locks its row (PostgreSQL), so
    that two facilitators acting at once are served one after the other."""
    if not user.is_authenticated:
        raise Unauthorized()
    own: Membership | object | None = UNREAD
    unaccepted = None
    if for_update:
        # the post, thread and author the action reads, and the caller's membership,
        # come in the same query; only the item's row is locked (the others are on the
        # nullable side of outer joins)
        dialect = db.session.get_bind().dialect.name
        row = db.session.execute(queries.item_for_update(dialect), {
            "item_id": item_id, "user_id": user.id}).unique().one_or_none()
        item, own, count, last_id, last_at, *gate = (
            row if row is not None else (None, None, None, None, None))
        unaccepted = tuple(gate)
        if item is not None:
            remember_rules_stamp(db.session(), item.space_id, count, last_id, last_at)
            if dialect == "postgresql":
                space_lock_taken(item.space_id)  # by the same statement
    else:
        item = db.session.get(ReviewItem, item_id)
    if item is None:
        raise NotFound()
    try:
        moderator = access_review_space(user, item.space_id, membership=own,
                                        unaccepted=unaccepted)
    except Forbidden:
        raise NotFound() from None
    return item, moderator


def access_site_queue(user: User) -> None:
    """The cross-space queue, the whole log and its CSV, site-wide rules: admins only."""
    if not user.is_authenticated:
        raise Unauthorized()
    if not user.is_admin:
        raise Forbidden()


def access_member_to_sanction(moderator: Moderator, user_id: int) -> Membership:
    """An active member of the moderator's space; facilitators cannot be sanctioned here."""
    target = get_active_membership_of_user(moderator.space, user_id)
    if target is None:
        raise NotFound()
    if target.is_facilitator:
        raise Forbidden(_("Facilitators cannot be sanctioned from the queue."),
                        code="target_is_facilitator")
    if target.user_id == moderator.user_id:
        raise Forbidden(_("You cannot sanction yourself."))
    return target


def access_watched_word_by_id(user: User, word_id: int) -> tuple[WatchedWord, Moderator | None]:
    """A rule the caller may delete: a site-wide one for admins, a space's for reviewers."""
    if not user.is_authenticated:
        raise Unauthorized()
    word = db.session.get(WatchedWord, word_id)
    if word is None:
        raise NotFound()
    if word.space_id is None:
        access_site_queue(user)
        return word, None
    try:
        return word, access_review_space(user, word.space_id)
    except Forbidden:
        raise NotFound() from None


def is_safeguarding_contact(user: User) -> bool:
    if not user.is_authenticated:
        return False
    return db.session.get(SafeguardingContact, user.id) is not None
