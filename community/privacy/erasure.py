"""Erasing an account: what goes, what stays (and why) is documented in docs/privacy.md.

In short: the users row stays as an empty husk (status erased, no e-mail, name, password
or locale) so that ids elsewhere keep pointing somewhere; memberships, read positions,
notifications, idempotency keys, tokens, join requests, acceptances, moderation notices,
e-mail settings and queued e-mails are deleted; posts stay (as "deleted member") unless
the member chose to delete them too; flags stay without their note; stored live events
and audit rows lose every copy of the member's names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from community.accounts.models import ApiToken, User, UserStatus
from community.accounts.passwords import verify_password
from community.admin.audit import AuditAction, record
from community.admin.models import AuditEntry
from community.database import utcnow
from community.errors import Conflict, Invalid
from community.extensions import db
from community.forums.models import (
    IdempotencyKey,
    Notification,
    Post,
    PostRevision,
    PostState,
    ReadState,
    RemovedBy,
    Thread,
)
from community.forums.queries import jsonable, public_post_view
from community.moderation.models import Flag, ModerationAction, Notice, SafeguardingContact
from community.privacy.models import EmailPreference, OutboxEmail
from community.realtime import events as realtime_events
from community.realtime import revocation
from community.realtime.models import Event
from community.realtime.outbox import rewrite_subject
from community.spaces import queries as space_queries
from community.spaces.models import Acceptance, JoinRequest, Membership, Role

DELETED_NAME = "Deleted member"

# Features that hold more about a member (e.g. facilitators' notes, one-to-one
# conversations) register a function here; it gets the user before the profile is
# emptied and deletes or anonymises what it holds (inside the same transaction).
erasure_hooks: list[Callable[[User], None]] = []


def register_erasure_hook(function: Callable[[User], None]) -> Callable[[User], None]:
    erasure_hooks.append(function)
    return function


def last_facilitator_spaces(user: User) -> list[str]:
    """Names of the spaces where the user is the only active facilitator."""
    names = []
    for membership in space_queries.list_memberships_of(user):
        if membership.role == Role.FACILITATOR and \
                len(space_queries.list_facilitators(membership.space)) <= 1:
            names.append(membership.space.name)
    return names


def check_erase_account(user: User, *, password: str, delete_posts: bool = False) -> None:
    """Erase the caller's own account after checking the password.

    Raises Invalid (password) for a wrong password and Conflict (last_facilitator, 409)
    while the user is a space's only facilitator. See do_erase_account.
    """
    if not verify_password(user.password_hash, password or ""):
        raise Invalid(fields={"password": _("This is not your password.")})
    spaces = last_facilitator_spaces(user)
    if spaces:
        raise Conflict(_("You are the only facilitator of %(spaces)s. Ask an admin to appoint "
                         "another facilitator before you delete your account.",
                         spaces=", ".join(spaces)), code="last_facilitator")
    do_erase_account(user, delete_posts=delete_posts)


def _scrub(value: Any, names: set[str], emails: set[str]) -> Any:
    """The JSON value with every string that is one of the names replaced, and every
    e-mail address cut out of longer strings."""
    if isinstance(value, str):
        if value in names or value in emails:
            return DELETED_NAME
        for email in emails:
            value = value.replace(email, DELETED_NAME)
        return value
    if isinstance(value, dict):
        return {k: _scrub(v, names, emails) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, names, emails) for v in value]
    return value


def _scrub_json_column(model: Any, column: Any, needles: set[str], names: set[str],
                       emails: set[str]) -> None:
    """Rewrite the rows of a JSON column whose text holds any of the needles."""
    if not needles:
        return
    text = sa.cast(column, sa.Text)
    rows = db.session.scalars(sa.select(model).where(sa.or_(
        *(text.contains(n, autoescape=True) for n in needles))))
    for row in rows:
        key = column.key
        setattr(row, key, _scrub(getattr(row, key), names, emails))


def _delete_posts(posts: list[Post]) -> None:
    now = utcnow()
    ids = [p.id for p in posts]
    db.session.execute(sa.delete(PostRevision).where(PostRevision.post_id.in_(ids)))
    for post in posts:
        if post.state == PostState.PUBLISHED:
            post.thread.post_count = max(0, post.thread.post_count - 1)
        post.source, post.body_html = "", ""
        if post.state != PostState.REMOVED:
            post.state, post.removed_by, post.removed_at = (PostState.REMOVED,
                                                            RemovedBy.AUTHOR, now)


def do_erase_account(user: User, *, delete_posts: bool = False) -> dict[str, int]:
    """Erase the account (the caller checked who may). Audited as user:erase with counts
    only; the member's live connections end after the commit. Idempotent on an erased
    account (nothing is left to remove)."""
    memberships = list(db.session.scalars(sa.select(Membership)
                                          .where(Membership.user_id == user.id)))
    membership_ids = [m.id for m in memberships]
    names = {user.display_name} | {m.pseudonym for m in memberships if m.pseudonym}
    names |= set(db.session.scalars(sa.select(JoinRequest.pseudonym).where(
        JoinRequest.user_id == user.id, JoinRequest.pseudonym.is_not(None))))
    emails = {user.email} if user.email else set()
    names.discard(DELETED_NAME)

    posts = list(db.session.scalars(sa.select(Post).where(
        Post.author_id.in_(membership_ids)))) if membership_ids else []
    if delete_posts and posts:
        _delete_posts(posts)
    counts = {"posts": len(posts), "posts_deleted": len(posts) if delete_posts else 0,
              "acceptances": db.session.scalar(sa.select(sa.func.count(Acceptance.id))
                                               .where(Acceptance.user_id == user.id)) or 0}

    for hook in erasure_hooks:
        hook(user)

    # The profile goes first, so that the events recorded below carry no name.
    user.email, user.password_hash, user.locale = None, None, None
    user.display_name, user.suspended_reason = DELETED_NAME, None
    user.status, user.is_admin = UserStatus.ERASED, False
    user.session_version += 1
    for membership in memberships:
        membership.pseudonym = membership.pseudonym_key = None
    db.session.flush()

    if membership_ids:
        db.session.execute(sa.update(Post).where(Post.author_id.in_(membership_ids))
                           .values(author_id=None).execution_options(synchronize_session=False))
        db.session.execute(sa.update(Thread).where(Thread.author_id.in_(membership_ids))
                           .values(author_id=None).execution_options(synchronize_session=False))
        db.session.execute(sa.delete(ReadState).where(ReadState.membership_id.in_(membership_ids)))
    for post in posts:
        db.session.refresh(post)
        rewrite_subject(post.space_id, f"post:{post.id}",
                        {"post": jsonable(public_post_view(post))},
                        ["post.created", "post.updated", "post.removed"])
    for membership in memberships:
        if membership.is_active:
            realtime_events.record_member_left(membership)
            revocation.revoke(user.id, membership.space_id, "left")
        db.session.delete(membership)

    for model, column in ((Notification, Notification.user_id),
                          (IdempotencyKey, IdempotencyKey.user_id),
                          (ApiToken, ApiToken.user_id), (JoinRequest, JoinRequest.user_id),
                          (Acceptance, Acceptance.user_id), (Notice, Notice.user_id),
                          (SafeguardingContact, SafeguardingContact.user_id),
                          (EmailPreference, EmailPreference.user_id),
                          (OutboxEmail, OutboxEmail.user_id)):
        db.session.execute(sa.delete(model).where(column == user.id))
    db.session.execute(sa.update(Flag).where(Flag.user_id == user.id).values(note="")
                       .execution_options(synchronize_session=False))
    # The moderation log is append-only, and stays so for moderators; erasure is the one
    # exception: what the member wrote there (a flag's note is copied as the row's reason)
    # is theirs and goes. A Core UPDATE on the table, past the ORM guard, on purpose.
    log = ModerationAction.__table__
    db.session.execute(sa.update(log).where(log.c.actor_id == user.id).values(reason=""))
    db.session.flush()

    needles = names | emails
    _scrub_json_column(Event, Event.data, needles, names, emails)
    _scrub_json_column(AuditEntry, AuditEntry.data, needles, names, emails)
    record(AuditAction.USER_ERASE, actor_id=user.id, target_type="user", target_id=user.id,
           **counts)
    revocation.revoke_user(user.id, "erased")
    db.session.flush()
    return counts
