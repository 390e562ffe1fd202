"""E-mail notifications: collected into the outbox by `community notify` / `digest`, sent
after the collecting transaction has committed.

An e-mail never carries post content, thread titles or anyone's name: only "there is
something new in <space>" and a link. Sent through COMMUNITY_SMTP_* settings with
smtplib; without COMMUNITY_SMTP_HOST each message is written to the log instead.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
from collections import defaultdict
from datetime import datetime, timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from community.accounts.models import User, UserStatus
from community.database import utcnow
from community.extensions import db
from community.forums.models import Notification, Post, PostState
from community.moderation.models import ReviewItem, ReviewState
from community.privacy.models import EmailPreference, OutboxEmail
from community.spaces.models import Membership, MembershipState, Role, Space

log = logging.getLogger(__name__)

MENTION, REPLY, QUEUE, DIGEST = "mention", "reply", "queue", "digest"
KINDS = (MENTION, REPLY, QUEUE, DIGEST)
PREFERENCE = {MENTION: "mentions", REPLY: "replies", QUEUE: "queue", DIGEST: "digest"}
LOOKBACK = timedelta(days=2)  # causes older than this are not collected (run notify often)
DIGEST_EVERY = timedelta(days=7)


# --- preferences ---------------------------------------------------------------------------

def get_preferences(user: User) -> EmailPreference:
    """The user's row, or an unsaved one with everything on."""
    row = db.session.get(EmailPreference, user.id)
    return row or EmailPreference(user_id=user.id, mentions=True, replies=True, queue=True,
                                  digest=True)


def do_update_preferences(user: User, **choices: bool) -> EmailPreference:
    """Set some of mentions / replies / queue / digest. Idempotent."""
    row = db.session.get(EmailPreference, user.id)
    if row is None:
        row = get_preferences(user)
        db.session.add(row)
    for name, value in choices.items():
        if name in PREFERENCE.values() and value is not None:
            setattr(row, name, bool(value))
    db.session.flush()
    return row


def _wants(user_ids: set[int], kind: str) -> set[int]:
    """Of these users, the active ones with an address who have not opted out of `kind`."""
    if not user_ids:
        return set()
    opted_out = set(db.session.scalars(sa.select(EmailPreference.user_id).where(
        EmailPreference.user_id.in_(user_ids),
        getattr(EmailPreference, PREFERENCE[kind]).is_(False))))
    active = set(db.session.scalars(sa.select(User.id).where(
        User.id.in_(user_ids), User.status == UserStatus.ACTIVE, User.email.is_not(None))))
    return active - opted_out


# --- collecting ----------------------------------------------------------------------------

def _since(kind: str, now: datetime) -> tuple[int, datetime]:
    after = db.session.scalar(sa.select(sa.func.max(OutboxEmail.source_id))
                              .where(OutboxEmail.kind == kind)) or 0
    return after, now - LOOKBACK


def _queue_rows(rows: set[tuple[int, int | None, str, int]]) -> int:
    """Add outbox rows not yet there (the unique key makes collecting idempotent)."""
    added = 0
    for user_id, space_id, kind, source_id in sorted(rows, key=lambda r: (r[3], r[0])):
        exists = db.session.scalar(sa.select(OutboxEmail.id).where(
            OutboxEmail.kind == kind, OutboxEmail.source_id == source_id,
            OutboxEmail.user_id == user_id))
        if exists is None:
            db.session.add(OutboxEmail(user_id=user_id, space_id=space_id, kind=kind,
                                       source_id=source_id))
            added += 1
    db.session.flush()
    return added


def _active_user_ids(space_id: int, role: Role | None = None) -> set[int]:
    query = sa.select(Membership.user_id).where(Membership.space_id == space_id,
                                                Membership.state == MembershipState.ACTIVE)
    if role is not None:
        query = query.where(Membership.role == role)
    return set(db.session.scalars(query))


def collect(now: datetime | None = None) -> int:
    """Queue notices for new mentions, replies in threads people took part in, and new
    queue items (facilitators). Commits. Returns how many rows were queued."""
    now = now or utcnow()
    rows: set[tuple[int, int | None, str, int]] = set()

    after, since = _since(MENTION, now)
    mentions = db.session.execute(
        sa.select(Notification.id, Notification.user_id, Notification.space_id,
                  Notification.post_id)
        .join(Post, Post.id == Notification.post_id)
        .where(Notification.id > after, Notification.created_at >= since,
               Notification.kind == MENTION, Post.state == PostState.PUBLISHED)).all()
    wanted = _wants({m.user_id for m in mentions}, MENTION)
    rows |= {(m.user_id, m.space_id, MENTION, m.id) for m in mentions if m.user_id in wanted}
    mentioned = {(u, p) for u, p in db.session.execute(
        sa.select(Notification.user_id, Notification.post_id).where(
            Notification.kind == MENTION, Notification.created_at >= now - LOOKBACK))}

    after, since = _since(REPLY, now)
    posts = db.session.execute(
        sa.select(Post.id, Post.thread_id, Post.space_id, Membership.user_id)
        .outerjoin(Membership, Membership.id == Post.author_id)
        .where(Post.id > after, Post.created_at >= since,
               Post.state == PostState.PUBLISHED)).all()
    for post in posts:
        took_part = set(db.session.scalars(
            sa.select(Membership.user_id).join(Post, Post.author_id == Membership.id).where(
                Post.thread_id == post.thread_id, Post.id < post.id,
                Post.state == PostState.PUBLISHED)))
        took_part &= _active_user_ids(post.space_id)
        notified = {u for u, p in mentioned if p == post.id}  # a mention says it already
        for user_id in _wants(took_part - {post.user_id} - notified, REPLY):
            rows.add((user_id, post.space_id, REPLY, post.id))

    after, since = _since(QUEUE, now)
    items = db.session.execute(sa.select(ReviewItem.id, ReviewItem.space_id).where(
        ReviewItem.id > after, ReviewItem.opened_at >= since,
        ReviewItem.state == ReviewState.PENDING)).all()
    for item in items:
        for user_id in _wants(_active_user_ids(item.space_id, Role.FACILITATOR), QUEUE):
            rows.add((user_id, item.space_id, QUEUE, item.id))

    added = _queue_rows(rows)
    db.session.commit()
    return added


def collect_digests(now: datetime | None = None) -> int:
    """Queue a weekly digest for each user who wants one, has had none for a week and has
    something new (published posts by others) in a space they belong to. Commits."""
    now = now or utcnow()
    week = int(now.timestamp() // DIGEST_EVERY.total_seconds())
    user_ids = _wants(set(db.session.scalars(sa.select(Membership.user_id).where(
        Membership.state == MembershipState.ACTIVE).distinct())), DIGEST)
    rows: set[tuple[int, int | None, str, int]] = set()
    for user_id in sorted(user_ids):
        prefs = db.session.get(EmailPreference, user_id)
        last = prefs.last_digest_at if prefs is not None else None
        if last is not None and last > now - DIGEST_EVERY:
            continue
        since = last or now - DIGEST_EVERY
        spaces = db.session.scalars(
            sa.select(Post.space_id).join(Membership, sa.and_(
                Membership.space_id == Post.space_id, Membership.user_id == user_id,
                Membership.state == MembershipState.ACTIVE))
            .where(Post.created_at >= since, Post.state == PostState.PUBLISHED,
                   sa.or_(Post.author_id.is_(None), Post.author_id != Membership.id))
            .distinct()).all()
        if not spaces:
            continue
        rows |= {(user_id, space_id, DIGEST, week) for space_id in spaces}
        user = db.session.get(User, user_id)
        do_update_preferences(user).last_digest_at = now
    added = _queue_rows(rows)
    db.session.commit()
    return added


# --- composing and sending -----------------------------------------------------------------

def compose(kind: str, spaces: list[tuple[int, str]]) -> tuple[str, str]:
    """Subject and body from (space id, name) pairs: the space names and links, nothing of
    what was written."""
    base = current_app.config["BASE_URL"]
    names = ", ".join(name for _id, name in spaces)
    subject = {
        MENTION: _("You were mentioned in %(space)s", space=names),
        REPLY: _("New replies in %(space)s", space=names),
        QUEUE: _("Posts are waiting for review in %(space)s", space=names),
        DIGEST: _("This week in %(spaces)s", spaces=names),
    }[kind]
    lines = [_("There is something new in %(space)s.", space=name) + f"\n{base}/spaces/{sid}"
             for sid, name in spaces]
    footer = _("Change which e-mails you get: %(url)s", url=f"{base}/profile/email")
    return subject, "\n\n".join([*lines, footer]) + "\n"


def _message(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config.get("SMTP_FROM") or "community@localhost"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


class Mailer:
    """One SMTP connection for a run, or the log when COMMUNITY_SMTP_HOST is not set."""

    def __init__(self) -> None:
        self.config = current_app.config
        self.smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        host = self.config.get("SMTP_HOST")
        if not host:
            log.warning("No SMTP configured (COMMUNITY_SMTP_HOST); e-mail not sent:\n%s",
                        message.as_string())
            return
        if self.smtp is None:
            port = int(self.config.get("SMTP_PORT") or 587)
            tls = str(self.config.get("SMTP_TLS") or "starttls").lower()
            if tls == "ssl":
                self.smtp = smtplib.SMTP_SSL(host, port, timeout=30,
                                             context=ssl.create_default_context())
            else:
                self.smtp = smtplib.SMTP(host, port, timeout=30)
                if tls == "starttls":
                    self.smtp.starttls(context=ssl.create_default_context())
            if self.config.get("SMTP_USER"):
                self.smtp.login(self.config["SMTP_USER"], self.config.get("SMTP_PASSWORD") or "")
        self.smtp.send_message(message)

    def close(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.smtp.quit()


def send_outbox(limit: int = 1000) -> int:
    """Send unsent notices, one e-mail per person, kind and space (one per person for the
    digest), each marked sent in its own short transaction after it went out. Returns
    how many e-mails were sent. An SMTP failure stops the run; the rest waits for the next."""
    rows = list(db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.sent_at.is_(None))
                                   .order_by(OutboxEmail.id).limit(limit)))
    groups: dict[tuple[int, str, int | None], list[int]] = defaultdict(list)
    for row in rows:
        groups[(row.user_id, row.kind, None if row.kind == DIGEST else row.space_id)].append(row.id)
    db.session.commit()
    mailer, sent = Mailer(), 0
    try:
        for (user_id, kind, _space), ids in groups.items():
            user = db.session.get(User, user_id)
            space_ids = set(db.session.scalars(sa.select(OutboxEmail.space_id).where(
                OutboxEmail.id.in_(ids), OutboxEmail.space_id.is_not(None))))
            spaces = sorted(((sid, name) for sid, name in db.session.execute(
                sa.select(Space.id, Space.name).where(Space.id.in_(space_ids)))),
                key=lambda s: s[1])
            to = user.email if user is not None and user.status == UserStatus.ACTIVE else None
            deliver = bool(to and spaces and user_id in _wants({user_id}, kind))
            locale = (user.locale if user else None) or current_app.config["BABEL_DEFAULT_LOCALE"]
            db.session.rollback()  # hold no transaction while talking to SMTP
            if deliver:
                with force_locale(locale):
                    subject, body = compose(kind, list(spaces))
                try:
                    mailer.send(_message(to or "", subject, body))
                except (smtplib.SMTPException, OSError) as error:
                    log.error("Sending e-mail failed (%s); the rest waits for the next run",
                              type(error).__name__)
                    break
                sent += 1
            db.session.execute(sa.update(OutboxEmail).where(OutboxEmail.id.in_(ids))
                               .values(sent_at=utcnow()))
            db.session.commit()
    finally:
        mailer.close()
    return sent
