"""Group rhythm: slow mode per thread and thread timers run by `community timers`.

Slow mode: a member may post in the thread once every N minutes; facilitators are
exempt. The forum's posting path calls `require_slow_mode_allows` next to its other
reply checks, so pages, API and retries all get the same 429 `slow_mode` answer, with
the time the member may post again.

Timers open or close (unlock / lock) a thread, or publish an announcement in the
space, at a set time. `run_due_timers` claims each due timer with one conditional
UPDATE before acting, so two overlapping runs never do a timer twice, and each timer
runs in its own transaction: safe to run every minute from cron.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from community.admin.audit import AuditAction, record
from community.database import utcnow
from community.errors import AppError, Invalid
from community.extensions import db
from community.facilitation.models.rhythm import ThreadSlowMode, ThreadTimer, TimerAction
from community.forums.access import Reader, access_space_row_to_moderate, require_moderator
from community.forums.models import Post, Thread, ThreadKind
from community.spaces.models import Membership, Space

MAX_SLOW_MINUTES = 7 * 24 * 60
MAX_TIMER_DAYS = 366


class SlowMode(AppError):
    status = HTTPStatus.TOO_MANY_REQUESTS
    code = "slow_mode"


def _aware(value: datetime) -> datetime:
    from datetime import UTC
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- slow mode -----------------------------------------------------------------------

# The thread's slow-mode minutes (NULL: none) as a column, bind parameter `thread_id`:
# the posting path reads it in the statement that reads the space anyway.
SLOW_MODE_MINUTES = (sa.select(ThreadSlowMode.minutes)
                     .where(ThreadSlowMode.thread_id == sa.bindparam("thread_id"))
                     .scalar_subquery().label("slow_mode_minutes"))


def require_slow_mode_allows(reader: Reader, thread: Thread, minutes: int | None,
                             now: datetime | None = None) -> None:
    """Raise SlowMode (429) if a member posted in this slow-mode thread too recently.

    `minutes` is the thread's setting, read by the caller with `SLOW_MODE_MINUTES`.
    """
    if reader.is_facilitator or not minutes:
        return
    last = db.session.scalar(sa.select(sa.func.max(Post.created_at)).where(
        Post.thread_id == thread.id, Post.author_id == reader.membership.id))
    if last is None:
        return
    may_post_at = _aware(last) + timedelta(minutes=minutes)
    now = now or utcnow()
    if may_post_at > now:
        wait = max(1, int((may_post_at - now).total_seconds() + 59) // 60)
        raise SlowMode(_("This thread is in slow mode: one post every %(n)d minutes. You "
                         "can post again at %(when)s UTC (in %(wait)d minutes).",
                         n=minutes, when=may_post_at.strftime("%H:%M"), wait=wait),
                       may_post_at=may_post_at.isoformat(), retry_after=wait * 60)


def check_set_slow_mode(thread: Thread, reader: Reader, minutes: int | None) -> int | None:
    """Turn slow mode on (1..a week of minutes) or off (None / 0). Facilitators;
    audited as thread:slow_mode. Idempotent."""
    require_moderator(reader)
    if minutes is not None and not isinstance(minutes, int):
        raise Invalid(fields={"minutes": _("Give a whole number of minutes.")})
    if minutes is not None and not 0 <= minutes <= MAX_SLOW_MINUTES:
        raise Invalid(fields={"minutes": _("Use 0 to %(n)d minutes.", n=MAX_SLOW_MINUTES)})
    row = db.session.get(ThreadSlowMode, thread.id)
    if not minutes:
        if row is not None:
            db.session.delete(row)
        minutes = None
    elif row is None:
        db.session.add(ThreadSlowMode(thread_id=thread.id, minutes=minutes,
                                      set_by_id=reader.user_id))
    else:
        row.minutes, row.set_by_id, row.set_at = minutes, reader.user_id, utcnow()
    record(AuditAction.THREAD_SLOW_MODE, actor_id=reader.user_id, target_type="thread",
           target_id=thread.id, space_id=thread.space_id, minutes=minutes)
    return minutes


# --- timers --------------------------------------------------------------------------

def check_add_timer(reader: Reader, *, action: str, run_at: datetime | None,
                    thread: Thread | None = None, title: str = "", body: str = "",
                    now: datetime | None = None) -> ThreadTimer:
    """Schedule a timer. open/close need a thread of the space; announce needs a title
    and a body (checked now, so that the job does not fail later). Facilitators;
    audited as thread_timer:set."""
    from community.forums.actions import clean_title, prepare_body

    require_moderator(reader)
    now = now or utcnow()
    try:
        kind = TimerAction(action)
    except ValueError:
        raise Invalid(fields={"action": _("Choose open, close or announce.")}) from None
    if not isinstance(run_at, datetime):
        raise Invalid(fields={"run_at": _("Give a date and time.")})
    run_at = _aware(run_at)
    if not now < run_at <= now + timedelta(days=MAX_TIMER_DAYS):
        raise Invalid(fields={"run_at": _("Choose a time in the future, within a year.")})
    if kind == TimerAction.ANNOUNCE:
        title = clean_title(title)
        body = prepare_body(body).source
        thread_id = None
    else:
        if thread is None or thread.space_id != reader.space.id:
            raise Invalid(fields={"thread_id": _("Choose a thread of this space.")})
        thread_id, title, body = thread.id, "", ""
    timer = ThreadTimer(space_id=reader.space.id, thread_id=thread_id, action=kind,
                        run_at=run_at, title=title, body=body,
                        created_by_id=reader.membership.id)
    db.session.add(timer)
    db.session.flush()
    record(AuditAction.THREAD_TIMER_SET, actor_id=reader.user_id, target_type="thread_timer",
           target_id=timer.id, space_id=reader.space.id, timer_action=kind.value,
           thread_id=thread_id, run_at=run_at.isoformat())
    return timer


def access_timer_by_id(reader: Reader, timer_id: int) -> ThreadTimer:
    return access_space_row_to_moderate(reader, ThreadTimer, timer_id)


def check_cancel_timer(reader: Reader, timer: ThreadTimer) -> None:
    """Cancel a timer that has not run. Audited as thread_timer:cancel."""
    from community.errors import Conflict

    require_moderator(reader)
    if timer.done_at is not None:
        raise Conflict(_("This timer has already run."), code="timer_done")
    record(AuditAction.THREAD_TIMER_CANCEL, actor_id=reader.user_id,
           target_type="thread_timer", target_id=timer.id, space_id=timer.space_id)
    db.session.delete(timer)


def list_timers(reader: Reader) -> list[ThreadTimer]:
    require_moderator(reader)
    return list(db.session.scalars(sa.select(ThreadTimer).where(
        ThreadTimer.space_id == reader.space.id).order_by(
            ThreadTimer.done_at.is_not(None), ThreadTimer.run_at, ThreadTimer.id)))


def timer_view(timer: ThreadTimer) -> dict[str, Any]:
    return {"id": timer.id, "space_id": timer.space_id, "thread_id": timer.thread_id,
            "action": timer.action.value, "run_at": _aware(timer.run_at).isoformat(),
            "title": timer.title, "done_at": _aware(timer.done_at).isoformat()
            if timer.done_at else None, "outcome": timer.outcome}


def _run_one(timer: ThreadTimer, now: datetime) -> str:
    """Do one claimed timer. Raises AppError when it cannot be done (e.g. the author
    is no longer a facilitator); the caller records that as its outcome."""
    from community.forums.actions import check_create_thread, check_update_thread

    author = db.session.get(Membership, timer.created_by_id) if timer.created_by_id else None
    if author is None or not author.is_facilitator:
        raise AppError(_("Its author no longer facilitates this space."))
    if timer.action == TimerAction.ANNOUNCE:
        space = db.session.get(Space, timer.space_id)
        thread, _post = check_create_thread(space, author, title=timer.title, body=timer.body,
                                            kind=ThreadKind.ANNOUNCEMENT)
        return f"announcement thread {thread.id}"
    thread = db.session.get(Thread, timer.thread_id)
    if thread is None:
        raise AppError(_("The thread is gone."))
    check_update_thread(thread, author, locked=timer.action == TimerAction.CLOSE)
    return "locked" if timer.action == TimerAction.CLOSE else "unlocked"


def run_due_timers(now: datetime | None = None, *,
                   echo: Callable[[str], None] | None = None) -> int:
    """Run every timer due at `now`, one transaction each; returns how many ran.

    Each is claimed by `UPDATE ... WHERE done_at IS NULL`: a concurrent run that lost
    the claim skips it. A timer that cannot be done is marked done with the reason.
    Audited as thread_timer:run (actor none). Idempotent.
    """
    now = now or utcnow()
    due = list(db.session.scalars(sa.select(ThreadTimer.id).where(
        ThreadTimer.done_at.is_(None), ThreadTimer.run_at <= now).order_by(ThreadTimer.run_at)))
    db.session.commit()
    ran = 0
    for timer_id in due:
        claimed = db.session.execute(sa.update(ThreadTimer).where(
            ThreadTimer.id == timer_id, ThreadTimer.done_at.is_(None)).values(done_at=now)
            .execution_options(synchronize_session=False))
        if not claimed.rowcount:  # type: ignore[attr-defined]
            db.session.rollback()
            continue
        timer = db.session.get(ThreadTimer, timer_id)
        db.session.refresh(timer)
        try:
            outcome = _run_one(timer, now)
        except AppError as error:
            # Nothing of the failed attempt is kept; the timer is still marked done.
            outcome = f"not done: {error.message}"
            db.session.rollback()
            timer = db.session.get(ThreadTimer, timer_id)
            timer.done_at = now
        timer.outcome = outcome[:200]
        record(AuditAction.THREAD_TIMER_RUN, actor_id=None, target_type="thread_timer",
               target_id=timer.id, space_id=timer.space_id, timer_action=timer.action.value,
               outcome=timer.outcome)
        db.session.commit()
        ran += 1
        (echo or print)(f"timer {timer.id} ({timer.action.value}): {timer.outcome}")
    return ran
