"""Pages of the facilitator group tools: conversations, whispers, member notes,
slow mode and timers, archiving a space, and the participation overview."""

from __future__ import annotations

from datetime import UTC
from http import HTTPStatus

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community.errors import AppError, Conflict, Invalid
from community.extensions import db
from community.facilitation import archive, chart, conversations, notes, participation, rhythm
from community.facilitation.group_forms import (
    ArchiveForm,
    MessageForm,
    NoteForm,
    SlowModeForm,
    TimerForm,
    WhisperForm,
)
from community.forms import apply_error
from community.forums.access import access_space_content, access_thread_by_id, require_moderator
from community.forums.models import Thread
from community.policy import Permission
from community.spaces.access import access_space_by_id

bp = Blueprint("facilitation_group", __name__)


def _status(form) -> int:  # type: ignore[no-untyped-def]
    return HTTPStatus.UNPROCESSABLE_ENTITY if form.errors or form.form_errors else HTTPStatus.OK


# --- conversations -------------------------------------------------------------------

@bp.route("/spaces/<int:space_id>/conversations", methods=["GET", "POST"])
@login_required
def conversation_list(space_id: int):  # type: ignore[no-untyped-def]
    reader = access_space_content(current_user, space_id)
    form = MessageForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                conversation, _m = conversations.check_start_conversation(
                    reader, body=form.body.data)
                db.session.commit()
                return redirect(url_for(".conversation", conversation_id=conversation.id))
            except Invalid as error:
                db.session.rollback()
                apply_error(form, error)
        reader = access_space_content(current_user, space_id)
    items = conversations.list_conversations(reader)
    return render_template("facilitation/conversations/list.html", reader=reader,
                           space=reader.space, items=items, form=form), _status(form)


@bp.route("/conversations/<int:conversation_id>", methods=["GET", "POST"])
@login_required
def conversation(conversation_id: int):  # type: ignore[no-untyped-def]
    item, reader = conversations.access_conversation_by_id(current_user, conversation_id)
    form = MessageForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                conversations.check_send_message(item, reader, body=form.body.data)
                db.session.commit()
                return redirect(url_for(".conversation", conversation_id=conversation_id))
            except Invalid as error:
                db.session.rollback()
                apply_error(form, error)
        item, reader = conversations.access_conversation_by_id(current_user, conversation_id)
    messages = conversations.list_messages(item, limit=1000)
    return render_template("facilitation/conversations/show.html", reader=reader,
                           space=reader.space, conversation=item, messages=messages,
                           form=form), _status(form)


# --- whispers and member notes -------------------------------------------------------

@bp.route("/threads/<int:thread_id>/whisper", methods=["POST"])
@login_required
def whisper(thread_id: int):  # type: ignore[no-untyped-def]
    thread, reader = access_thread_by_id(current_user, thread_id)
    require_moderator(reader)
    form = WhisperForm()
    if not form.validate_on_submit():
        raise Invalid(fields={"body": _("Write some text.")})
    post = notes.check_whisper(thread, reader, body=form.body.data)
    db.session.commit()
    return redirect(url_for("forums.thread", thread_id=thread_id) + f"#post-{post.id}")


@bp.route("/spaces/<int:space_id>/members/<int:membership_id>/notes",
          methods=["GET", "POST"])
@login_required
def member_notes(space_id: int, membership_id: int):  # type: ignore[no-untyped-def]
    reader = access_space_content(current_user, space_id)
    subject = notes.access_note_subject(reader, membership_id)
    form = NoteForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                notes.check_add_note(reader, subject, body=form.body.data)
                db.session.commit()
                return redirect(url_for(".member_notes", space_id=space_id,
                                        membership_id=membership_id))
            except Invalid as error:
                db.session.rollback()
                apply_error(form, error)
        reader = access_space_content(current_user, space_id)
        subject = notes.access_note_subject(reader, membership_id)
    return render_template("facilitation/notes/member.html", reader=reader,
                           space=reader.space, subject=subject,
                           notes=notes.list_notes(reader, subject), form=form), _status(form)


@bp.route("/spaces/<int:space_id>/notes/<int:note_id>/delete", methods=["POST"])
@login_required
def delete_note(space_id: int, note_id: int):  # type: ignore[no-untyped-def]
    reader = access_space_content(current_user, space_id)
    note = notes.access_note_by_id(reader, note_id)
    subject_id = note.subject_id
    notes.check_delete_note(reader, note)
    db.session.commit()
    return redirect(url_for(".member_notes", space_id=space_id, membership_id=subject_id))


# --- group rhythm --------------------------------------------------------------------

@bp.route("/threads/<int:thread_id>/slow-mode", methods=["POST"])
@login_required
def slow_mode(thread_id: int):  # type: ignore[no-untyped-def]
    thread, reader = access_thread_by_id(current_user, thread_id)
    require_moderator(reader)
    form = SlowModeForm()
    if not form.validate_on_submit():
        raise Invalid(fields={"minutes": _("Use 0 to %(n)d minutes.", n=7 * 24 * 60)})
    rhythm.check_set_slow_mode(thread, reader, form.minutes.data)
    db.session.commit()
    return redirect(url_for("forums.thread", thread_id=thread_id))


@bp.route("/spaces/<int:space_id>/timers", methods=["GET", "POST"])
@login_required
def timers(space_id: int):  # type: ignore[no-untyped-def]
    reader = access_space_content(current_user, space_id)
    require_moderator(reader)
    form = TimerForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                thread = (db.session.get(Thread, form.thread_id.data)
                          if form.thread_id.data else None)
                run_at = form.run_at.data.replace(tzinfo=UTC)
                rhythm.check_add_timer(reader, action=form.action.data, run_at=run_at,
                                       thread=thread, title=form.title.data or "",
                                       body=form.body.data or "")
                db.session.commit()
                return redirect(url_for(".timers", space_id=space_id))
            except Invalid as error:
                db.session.rollback()
                apply_error(form, error)
        reader = access_space_content(current_user, space_id)
    return render_template("facilitation/participation/timers.html", reader=reader,
                           space=reader.space, timers=rhythm.list_timers(reader),
                           form=form), _status(form)


@bp.route("/spaces/<int:space_id>/timers/<int:timer_id>/cancel", methods=["POST"])
@login_required
def cancel_timer(space_id: int, timer_id: int):  # type: ignore[no-untyped-def]
    reader = access_space_content(current_user, space_id)
    timer = rhythm.access_timer_by_id(reader, timer_id)
    rhythm.check_cancel_timer(reader, timer)
    db.session.commit()
    return redirect(url_for(".timers", space_id=space_id))


# --- archive -------------------------------------------------------------------------

@bp.route("/spaces/<int:space_id>/archive", methods=["GET", "POST"])
@login_required
def archive_space(space_id: int):  # type: ignore[no-untyped-def]
    space, _own = access_space_by_id(current_user, space_id, Permission.MANAGE_SPACE)
    form = ArchiveForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                archive.check_archive_space(space, actor_id=current_user.id,
                                            read_days=form.read_days.data)
                db.session.commit()
                return redirect(url_for(".archive_space", space_id=space_id))
            except (Invalid, Conflict) as error:
                db.session.rollback()
                apply_error(form, error)
        space, _own = access_space_by_id(current_user, space_id, Permission.MANAGE_SPACE)
    return render_template("facilitation/participation/archive.html", space=space,
                           state=archive.archive_view(space), form=form), _status(form)


# --- participation -------------------------------------------------------------------

def _quiet_days() -> int:
    try:
        days = int(request.args.get("quiet_days", participation.DEFAULT_QUIET_DAYS))
    except ValueError:
        raise Invalid(fields={"quiet_days": _("Give a number of days.")}) from None
    if not 1 <= days <= 365:
        raise Invalid(fields={"quiet_days": _("Use 1 to 365 days.")})
    return days


@bp.route("/spaces/<int:space_id>/participation")
@login_required
def participation_overview(space_id: int):  # type: ignore[no-untyped-def]
    reader = access_space_content(current_user, space_id)
    require_moderator(reader)
    try:
        quiet_days = _quiet_days()
    except AppError:
        quiet_days = participation.DEFAULT_QUIET_DAYS
    rows = participation.member_rows(reader, quiet_days=quiet_days)
    weeks = participation.weekly_activity(reader)
    total = sum(n for _w, n in weeks)
    svg = chart.weekly_bars(
        weeks, title=_("Posts per week in %(space)s", space=reader.space.name),
        desc=_("%(n)d posts in the last %(w)d weeks; the table below has the numbers.",
               n=total, w=len(weeks)), locale=get_locale() or "en")
    return render_template("facilitation/participation/overview.html", reader=reader,
                           space=reader.space, rows=rows, weeks=weeks, svg=svg,
                           quiet_days=quiet_days)
