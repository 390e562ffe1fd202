"""Activities: starting and changing them, who may answer when, and whose answers a
member may see (the rule every path that shows posts applies)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from community import text
from community.admin.audit import AuditAction, record
from community.database import utcnow
from community.errors import Forbidden, Invalid
from community.extensions import db
from community.facilitation.models.activities import Activity, AnswerVisibility, Dots
from community.facilitation.templates_library import get_template
from community.forums import actions as forum_actions
from community.forums.access import Reader, require_moderator
from community.forums.models import Post, PostState, Thread, ThreadKind
from community.spaces.models import Membership, Role, Space

INSTRUCTIONS_MAX = 5000


# --- who sees which answer ---------------------------------------------------------------

def visible_answers_clause(reader: Reader) -> sa.ColumnElement[bool]:
    """A WHERE clause over `Post`: false for answers the reader may not see yet.

    Facilitators see every answer. A member always sees their own posts and the
    facilitators' posts (the prompt, their comments); others' answers in an activity that
    hides them stay hidden until the activity closes or, in `after_own_answer` mode, until
    the member has a published answer of their own.
    """
    if reader.is_facilitator:
        return sa.true()
    me = reader.membership.id
    own = aliased(Post)
    has_answered = (sa.select(own.id).where(own.thread_id == Activity.thread_id,
                                            own.author_id == me,
                                            own.state == PostState.PUBLISHED).exists())
    hiding = sa.select(Activity.thread_id).where(
        Activity.space_id == reader.space.id, Activity.closes_at > utcnow(),
        sa.or_(Activity.visibility == AnswerVisibility.AFTER_CLOSE,
               sa.and_(Activity.visibility == AnswerVisibility.AFTER_OWN_ANSWER,
                       ~has_answered)))
    facilitators = sa.select(Membership.id).where(Membership.space_id == reader.space.id,
                                                  Membership.role == Role.FACILITATOR)
    return sa.or_(Post.thread_id.not_in(hiding), Post.author_id == me,
                  Post.author_id.in_(facilitators))


def answer_hidden_from(reader: Reader, post: Post) -> bool:
    """Whether this post is an answer the reader may not see yet (one small query)."""
    if reader.is_facilitator:
        return False
    return db.session.scalar(sa.select(Post.id).where(
        Post.id == post.id, visible_answers_clause(reader))) is None


def answer_is_private(post: Post) -> bool:
    """Whether the post's events go only to the facilitators and its author: a member's
    answer in an activity that hides answers, while it is still open."""
    if post.author is None or post.author.is_facilitator:
        return False
    activity = get_activity_of_thread(post.thread_id)
    return (activity is not None and activity.visibility != AnswerVisibility.OPEN
            and activity.closes_at > utcnow())


def require_activity_open(thread: Thread) -> None:
    """Members answer only between the opening and the closing time."""
    activity = get_activity_of_thread(thread.id)
    if activity is None:
        return
    now = utcnow()
    if now < activity.opens_at:
        raise Forbidden(_("This activity is not open yet."), code="activity_not_open")
    if now >= activity.closes_at:
        raise Forbidden(_("This activity is closed."), code="activity_closed")


# --- reads -------------------------------------------------------------------------------

def get_activity_of_thread(thread_id: int) -> Activity | None:
    return db.session.scalar(sa.select(Activity).where(Activity.thread_id == thread_id))


def list_activities(reader: Reader, *, before: int | None = None,
                    limit: int = 50) -> tuple[list[Activity], int | None]:
    """The space's activities, newest first (those whose thread the reader may see)."""
    query = (sa.select(Activity).join(Thread, Thread.id == Activity.thread_id)
             .where(Activity.space_id == reader.space.id)
             .order_by(Activity.id.desc()).limit(limit + 1))
    if not reader.is_facilitator:
        query = query.where(sa.or_(Thread.state == PostState.PUBLISHED,
                                   Thread.author_id == reader.membership.id))
    if before is not None:
        query = query.where(Activity.id < before)
    rows = list(db.session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more else None)


def activity_status(activity: Activity, now: datetime | None = None) -> str:
    now = now or utcnow()
    if now < activity.opens_at:
        return "upcoming"
    return "open" if now < activity.closes_at else "closed"


def activity_view(activity: Activity) -> dict[str, Any]:
    return {"id": activity.id, "thread_id": activity.thread_id,
            "space_id": activity.space_id, "title": activity.thread.title,
            "template": activity.template, "instructions": activity.instructions,
            "dots": activity.dots.value, "visibility": activity.visibility.value,
            "opens_at": activity.opens_at, "closes_at": activity.closes_at,
            "status": activity_status(activity), "created_at": activity.created_at}


# --- changes -----------------------------------------------------------------------------

def _clean_instructions(raw: str | None) -> str:
    value = text.normalize(raw or "")
    if len(value) > INSTRUCTIONS_MAX:
        raise Invalid(fields={"instructions": _("Use at most %(n)d characters.",
                                                n=INSTRUCTIONS_MAX)})
    return value


def _clean_window(opens_at: datetime | None, closes_at: datetime | None) -> tuple[datetime,
                                                                                 datetime]:
    if closes_at is None:
        raise Invalid(fields={"closes_at": _("Say when the activity closes.")})
    opens_at = opens_at or utcnow()
    if opens_at.tzinfo is None or closes_at.tzinfo is None:
        raise Invalid(fields={"closes_at": _("Give times with a time zone.")})
    if closes_at <= opens_at:
        raise Invalid(fields={"closes_at": _("The closing time must come after the opening.")})
    return opens_at, closes_at


def _enum(cls: type, value: object, field: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        raise Invalid(fields={field: _("Choose one of the options.")}) from None


def check_create_activity(space: Space, membership: Membership, *, title: str | None = None,
                          prompt: str | None = None, instructions: str | None = None,
                          dots: str | None = None, visibility: str | None = None,
                          opens_at: datetime | None = None, closes_at: datetime | None = None,
                          template: str | None = None) -> Activity:
    """Start an activity thread (facilitators), from a template's wording or from scratch;
    fields given override the template's. The prompt is the thread's first post.

    Records thread.created and post.created (via the forum) and audits activity:create.
    Not idempotent.
    """
    require_moderator(Reader(space, membership))
    chosen = get_template(template) if template else None
    if template and chosen is None:
        raise Invalid(fields={"template": _("Choose one of the templates.")})
    if chosen is not None:
        title = title or str(chosen.title)
        prompt = prompt or str(chosen.prompt)
        instructions = instructions if instructions is not None else str(chosen.instructions)
        dots = dots or chosen.dots.value
        visibility = visibility or chosen.visibility.value
    dots_value = _enum(Dots, dots, "dots")
    visibility_value = _enum(AnswerVisibility, visibility or AnswerVisibility.OPEN, "visibility")
    opens_at, closes_at = _clean_window(opens_at, closes_at)
    cleaned = _clean_instructions(instructions)
    body = forum_actions.prepare_body(prompt or "", field="prompt")
    thread, _post = forum_actions.check_create_thread(
        space, membership, title=title or "", body=body, kind=ThreadKind.ACTIVITY)
    activity = Activity(thread_id=thread.id, thread=thread, space_id=space.id,
                        template=chosen.key if chosen else None, instructions=cleaned,
                        dots=dots_value, visibility=visibility_value,
                        opens_at=opens_at, closes_at=closes_at)
    db.session.add(activity)
    db.session.flush()
    record(AuditAction.ACTIVITY_CREATE, actor_id=membership.user_id, target_type="activity",
           target_id=activity.id, space_id=space.id, thread_id=thread.id,
           template=activity.template, dots=dots_value.value)
    return activity


def check_update_activity(activity: Activity, membership: Membership, *,
                          instructions: str | None = None, visibility: str | None = None,
                          opens_at: datetime | None = None,
                          closes_at: datetime | None = None) -> Activity:
    """Change an activity's instructions, answer visibility or times (facilitators).

    Audited as activity:update with the changes. Idempotent.
    """
    require_moderator(Reader(activity.thread.space, membership))
    new_open, new_close = _clean_window(opens_at or activity.opens_at,
                                        closes_at or activity.closes_at)
    changes: dict[str, list[object]] = {}
    values: dict[str, object] = {"opens_at": new_open, "closes_at": new_close}
    if instructions is not None:
        values["instructions"] = _clean_instructions(instructions)
    if visibility is not None:
        values["visibility"] = _enum(AnswerVisibility, visibility, "visibility")
    for name, value in values.items():
        if getattr(activity, name) != value:
            changes[name] = [str(getattr(activity, name)), str(value)]
            setattr(activity, name, value)
    if changes:
        record(AuditAction.ACTIVITY_UPDATE, actor_id=membership.user_id,
               target_type="activity", target_id=activity.id, space_id=activity.space_id,
               changes=changes)
    return activity


def check_create_announcement(space: Space, membership: Membership, *, title: str,
                              body: str, pinned: bool = False,
                              replies_allowed: bool = True) -> tuple[Thread, Post]:
    """Post an announcement to the whole space (facilitators), pinned and with replies
    closed from the start if asked. Records the forum's events; audits
    announcement:create. Not idempotent."""
    require_moderator(Reader(space, membership))
    prepared = forum_actions.prepare_body(body)
    thread, post = forum_actions.check_create_thread(
        space, membership, title=title, body=prepared, kind=ThreadKind.ANNOUNCEMENT,
        replies_allowed=replies_allowed)
    if pinned:  # audited as thread:update too, and recorded as thread.updated
        forum_actions.check_update_thread(thread, membership, pinned=True)
    record(AuditAction.ANNOUNCEMENT_CREATE, actor_id=membership.user_id, target_type="thread",
           target_id=thread.id, space_id=space.id, pinned=pinned,
           replies_allowed=replies_allowed)
    return thread, post
