"""Screening new posts: the space's policy, watched words and personal data.

`screen_new_post` is what forums' `initial_state` seam calls: it blocks (raises
Invalid `blocked_by_rule`), holds (returns `pending` with the reasons shown to the
author) or publishes, and remembers its decision in the session. The forums action
then stores the post; when that post is flushed, the session hooks below open its
review item, write the log and record `post.held` / `queue.changed`. Censoring is
applied to the stored HTML of every post just before it is written, and to the event
payloads that carry it as the outbox stores them, so no code path stores an
uncensored rendering.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from community.errors import Invalid
from community.extensions import db
from community.forums.models import Post, PostState, Thread
from community.moderation import detection
from community.moderation.models import (
    Rank,
    WatchedAction,
    WatchedWord,
)
from community.moderation.watched import Matcher, Rule, censor_html, matcher_for
from community.realtime import outbox
from community.realtime.models import Event
from community.spaces.models import Membership, ModerationPolicy, Space

_DECISIONS = "moderation_decisions"
_INSERTED = "moderation_inserted_posts"


# --- rules ------------------------------------------------------------------------------

_ww = WatchedWord.__table__
# The rules' stamp for a scope in one row: any added, deleted or replaced rule changes the
# count, the highest id or the latest creation time. Built once (compiled-cache friendly).
_STAMP_COLUMNS = (sa.func.count().label("rules_count"),
                  sa.func.max(_ww.c.id).label("rules_last_id"),
                  sa.func.max(_ww.c.created_at).label("rules_last_at"))
_STAMP_SPACE = sa.select(*_STAMP_COLUMNS).where(
    sa.or_(_ww.c.space_id.is_(None), _ww.c.space_id == sa.bindparam("space_id")))
_STAMP_SITE = sa.select(*_STAMP_COLUMNS).where(_ww.c.space_id.is_(None))
_STAMPS = "moderation_rule_stamps"
_MATCHERS = "moderation_rule_matchers"


def rules_stamp_of(space_id: sa.ColumnElement[int], name: str) -> sa.Subquery:
    """The stamp of the space `space_id` (a scalar subquery) as a one-row subquery, for a
    caller that reads it in a statement it runs anyway, joined on true, and hands the
    row's three columns to `remember_rules_stamp`: one round trip instead of two."""
    return sa.select(*_STAMP_COLUMNS).where(sa.or_(
        _ww.c.space_id.is_(None), _ww.c.space_id == space_id)).subquery(name)


# The stamp of a thread's space (bind parameter `thread_id`): the posting path's read.
RULES_STAMP = rules_stamp_of(sa.select(Thread.space_id).where(
    Thread.id == sa.bindparam("thread_id")).scalar_subquery(), "rules_stamp")


def _stamp(session: Session, space_id: int | None) -> tuple[object, ...]:
    """The scope's stamp, read once per transaction (screening and censoring share it)."""
    stamp = session.info.get(_STAMPS, {}).get(space_id)
    if stamp is None:
        if space_id is None:
            row = session.connection().execute(_STAMP_SITE).one()
        else:
            row = session.connection().execute(_STAMP_SPACE, {"space_id": space_id}).one()
        stamp = remember_rules_stamp(session, space_id, *row)
    return stamp


def remember_rules_stamp(session: Session, space_id: int | None, count: int,
                         last_id: int | None, last_at: object) -> tuple[object, ...]:
    """The stamp read in this transaction, as `_stamp` would have read it."""
    stamp = session.info.setdefault(_STAMPS, {})[space_id] = (count, last_id, str(last_at))
    session.info.get(_MATCHERS, {}).pop(space_id, None)
    return stamp


def forget_rule_stamps(session: Session) -> None:
    """Rules changed in this transaction: read the stamps again."""
    session.info.pop(_STAMPS, None)
    session.info.pop(_MATCHERS, None)


def rules_matcher(session: Session, space_id: int | None,
                  only: WatchedAction | None = None) -> Matcher:
    """The compiled site-wide and space rules (those with action `only`, if given),
    rebuilt only when the rules change. Costs one small query per transaction and
    scope; the compiled rules are kept per process (and at hand for the transaction: a
    post is screened and censored, and its event censored)."""
    matchers = session.info.setdefault(_MATCHERS, {})
    matcher = matchers.get(space_id)
    if matcher is None:
        stamp = _stamp(session, space_id)
        matcher = matchers[space_id] = matcher_for((session.get_bind().url, space_id, stamp),
                                                   lambda: _load_rules(session, space_id))
    return matcher.only(only) if only is not None else matcher


def _load_rules(session: Session, space_id: int | None) -> list[Rule]:
    scope = sa.or_(WatchedWord.space_id.is_(None), WatchedWord.space_id == space_id) \
        if space_id is not None else WatchedWord.space_id.is_(None)
    return [Rule(w.id, w.pattern, w.action, w.space_id is None) for w in session.scalars(
        sa.select(WatchedWord).where(scope).order_by(WatchedWord.id))]


# --- the seam ---------------------------------------------------------------------------

def screen_new_post(space: Space, membership: Membership, source: str
                    ) -> tuple[PostState, list[str]]:
    """Decide whether a new post is published or held, or refuse it.

    Facilitators' posts are never held or blocked. Raises Invalid (code
    `blocked_by_rule`, on the field `body`) naming the rule when a `block` watched word
    matches; nothing is stored then. Returns the state and the messages shown to the
    author; remembers the reasons for the review item opened once the post is stored.
    """
    if membership.is_facilitator:
        return PostState.PUBLISHED, []
    with db.session.no_autoflush:
        hits = rules_matcher(db.session, space.id).hits(source)
        for hit in hits:
            if hit.rule.action == WatchedAction.BLOCK:
                where = _("site-wide rule") if hit.rule.site_wide else _("rule of this space")
                message = _('Your post was not sent: "%(word)s" is not allowed here '
                            '(%(where)s "%(rule)s"). Please rephrase it.',
                            word=hit.text, where=where, rule=hit.rule.pattern)
                raise Invalid(message, code="blocked_by_rule", fields={"body": message},
                              rule={"id": hit.rule.id, "pattern": hit.rule.pattern})
        reasons: list[dict[str, Any]] = []
        messages: list[str] = []
        held = False
        found = detection.kinds(source)
        if found:
            held = True
            labels = ", ".join(str(detection.LABELS[k]) for k in found)
            reasons.append({"kind": "personal_data", "detail": ", ".join(found)})
            messages.append(_("It seems to contain %(what)s; a facilitator checks it before "
                              "it is shown.", what=labels))
        for hit in hits:
            if hit.rule.action == WatchedAction.HOLD:
                held = True
                reasons.append({"kind": "watched_word", "detail": hit.rule.pattern})
                messages.append(_('It contains "%(word)s", which a facilitator checks first.',
                                  word=hit.text))
            elif hit.rule.action == WatchedAction.FLAG:
                reasons.append({"kind": "watched_word_flag", "detail": hit.rule.pattern})
        policy = space.moderation_policy
        if policy == ModerationPolicy.PRE:
            held = True
            reasons.append({"kind": "pre_moderation", "detail": ""})
            messages.append(_("Every post in this space is reviewed before it is shown."))
        elif policy == ModerationPolicy.NEW_MEMBERS:
            from community.moderation.queries import space_settings

            limit = space_settings(space.id).new_member_holds
            earlier = db.session.scalar(sa.select(sa.func.count()).select_from(Post).where(
                Post.author_id == membership.id)) or 0
            if earlier < limit:
                held = True
                reasons.append({"kind": "new_member", "detail": str(limit)})
                messages.append(_("A new member's first %(n)d posts are reviewed before they "
                                  "are shown.", n=limit))
    if reasons:
        rank = Rank.PERSONAL_DATA if found else (Rank.HOLD if held else Rank.FLAGGED)
        db.session.info.setdefault(_DECISIONS, {})[(membership.id, source)] = {
            "reasons": reasons, "rank": int(rank), "held": held}
    if not held:
        return PostState.PUBLISHED, []
    return PostState.PENDING, _fit(messages)


@dataclass(frozen=True)
class EditScreening:
    """What screening decided about an author's edited text."""

    held: bool
    messages: list[str]
    reasons: list[dict[str, Any]]
    rank: int


def screen_edit(space: Space, membership: Membership, source: str) -> EditScreening | None:
    """Screen an edited text by the rules of a new post (the same policy, watched words
    and personal data), so that an edit cannot slip past what posting would catch.
    Raises Invalid `blocked_by_rule` like `screen_new_post`; None when nothing is to be
    queued."""
    state, messages = screen_new_post(space, membership, source)
    decision = db.session.info.get(_DECISIONS, {}).pop((membership.id, source), None)
    if decision is None:
        return None
    return EditScreening(held=state == PostState.PENDING, messages=messages,
                         reasons=decision["reasons"], rank=decision["rank"])


def _fit(messages: list[str], limit: int = 480) -> list[str]:
    """The messages that fit the post's state_reason column once joined with "; "."""
    kept: list[str] = []
    for message in messages:
        if len("; ".join([*kept, message])) > limit:
            break
        kept.append(message)
    return kept or [messages[0][:limit]]


def prepare_new_post(session: Session, post: Post) -> None:
    """A new post about to be stored (forums' `do_create_post`): censor its HTML, and
    note it for the review item screening asked for, opened before the commit."""
    if post.body_html:
        matcher = rules_matcher(session, post.space_id, WatchedAction.CENSOR)
        post.body_html = censor_html(post.body_html, matcher)
    decision = session.info.get(_DECISIONS, {}).pop((post.author_id, post.source), None)
    if decision is not None:
        session.info.setdefault(_INSERTED, []).append((post, decision))


# --- session hooks ----------------------------------------------------------------------

@sa.event.listens_for(Session, "before_flush")
def _censor(session: Session, _context: Any, _instances: Any) -> None:
    """Censor the HTML of edited posts about to be written."""
    posts = [o for o in session.dirty if isinstance(o, Post)
             and sa.inspect(o).attrs.body_html.history.has_changes()]
    if not posts:
        return
    with session.no_autoflush:
        for post in posts:
            if post.body_html and post.space_id is not None:
                matcher = rules_matcher(session, post.space_id, WatchedAction.CENSOR)
                censored = censor_html(post.body_html, matcher)
                if censored != post.body_html:
                    post.body_html = censored
                    _censor_history(session, post.space_id, f"post:{post.id}", matcher)


def _censor_payload(session: Session, space_id: int, subject: str | None,
                    data: dict[str, Any]) -> dict[str, Any]:
    """Censor the post HTML an event payload carries, before the outbox stores it."""
    inner = data.get("post") if isinstance(data, dict) else None
    if not isinstance(inner, dict) or not inner.get("body_html"):
        return data
    matcher = rules_matcher(session, space_id, WatchedAction.CENSOR)
    censored = censor_html(inner["body_html"], matcher)
    if censored == inner["body_html"]:
        return data
    if subject:
        # earlier events of the subject may carry the same text (forums' rewrite_subject)
        _censor_history(session, space_id, subject, matcher)
    return {**data, "post": {**inner, "body_html": censored}}


outbox.add_payload_filter(_censor_payload)


def _censor_history(session: Session, space_id: int, subject: str, matcher: Matcher) -> None:
    """An edit rewrote earlier events' payloads with the new text: censor those too."""
    table = Event.__table__
    connection = session.connection()
    rows = connection.execute(sa.select(table.c.id, table.c.data).where(
        table.c.space_id == space_id, table.c.subject == subject)).all()
    for event_id, data in rows:
        inner = (data or {}).get("post") if isinstance(data, dict) else None
        if isinstance(inner, dict) and inner.get("body_html"):
            censored = censor_html(inner["body_html"], matcher)
            if censored != inner["body_html"]:
                connection.execute(table.update().where(table.c.id == event_id).values(
                    data={**data, "post": {**inner, "body_html": censored}}))


def _open_items(session: Session) -> None:
    """Open the review items of posts screened above, before the commit.

    Not in a flush hook: opening an item needs its id (log, events), and a flush cannot
    flush. Registered first among before_commit listeners so that the outbox snapshot,
    which runs next, includes the events recorded here.
    """
    inserted = session.info.pop(_INSERTED, None)
    if not inserted:
        return
    from community.moderation.actions import do_queue_new_post

    for post, decision in inserted:
        do_queue_new_post(post, reasons=decision["reasons"], rank=decision["rank"],
                          held=decision["held"])
    session.flush()


sa.event.listen(Session, "before_commit", _open_items, insert=True)


@sa.event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_DECISIONS, None)
    session.info.pop(_INSERTED, None)
    forget_rule_stamps(session)


@sa.event.listens_for(Session, "after_commit")
def _forget_after_commit(session: Session) -> None:
    session.info.pop(_DECISIONS, None)
    forget_rule_stamps(session)


def escalation_minutes() -> int:
    return int(current_app.config.get("MODERATION_ESCALATE_AFTER_MINUTES", 15))
