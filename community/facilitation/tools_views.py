"""Pages for activities, announcements, live sessions and the resource library."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from community.database import utcnow
from community.errors import AppError
from community.extensions import db
from community.facilitation import activities, resources, sessions
from community.facilitation.models.activities import AnswerVisibility, Dots
from community.facilitation.templates_library import TEMPLATES, get_template
from community.forms import Form, apply_error, choices
from community.forums.access import access_space_content, require_moderator
from community.spaces.models import Membership, Space

bp = Blueprint("facilitation_tools", __name__)

DOTS_LABELS = {Dots.SELF_AWARENESS: _l("Self-awareness"),
               Dots.OPPORTUNITY_AWARENESS: _l("Opportunity awareness"),
               Dots.DECISION_LEARNING: _l("Decision learning"),
               Dots.TRANSITION_LEARNING: _l("Transition learning")}
VISIBILITY_LABELS = {
    AnswerVisibility.OPEN: _l("Everyone sees answers at once"),
    AnswerVisibility.AFTER_OWN_ANSWER: _l("A member sees others' answers after posting their own"),
    AnswerVisibility.AFTER_CLOSE: _l("Answers are shown when the activity closes")}
_DOTS = choices([(d.value, label) for d, label in DOTS_LABELS.items()])


class ActivityForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=1000)])
    prompt = TextAreaField(_l("Prompt"), validators=[DataRequired(), Length(max=100_000)])
    instructions = TextAreaField(_l("Instructions"), validators=[Length(max=100_000)])
    dots = SelectField(_l("Career learning (DOTS)"), choices=_DOTS)
    visibility = SelectField(_l("Answers"), choices=choices(
        [(v.value, label) for v, label in VISIBILITY_LABELS.items()]))
    opens_at = DateTimeLocalField(_l("Opens (UTC)"), validators=[Optional()])
    closes_at = DateTimeLocalField(_l("Closes (UTC)"), validators=[DataRequired()])


class AnnouncementForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=1000)])
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=100_000)])
    pinned = BooleanField(_l("Pin to the top of the list"))
    replies_allowed = BooleanField(_l("Members may reply"), default=True)


class SessionForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=1000)])
    starts_at = DateTimeLocalField(_l("Starts (UTC)"), validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ends (UTC)"), validators=[DataRequired()])
    weekly = BooleanField(_l("Every week"))
    repeat_until = DateField(_l("Until (date)"), validators=[Optional()])
    repeat_count = IntegerField(_l("Or this many times"), validators=[Optional()])


class ResourceForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=1000)])
    url = StringField(_l("Web address"), validators=[DataRequired(), Length(max=5000)])
    good_for = TextAreaField(_l("What it is good for"), validators=[Length(max=100_000)])
    source_org = StringField(_l("Source organisation"), validators=[Length(max=1000)])
    dots = SelectField(_l("Career learning (DOTS)"), choices=_DOTS)


class EmptyForm(Form):
    pass


def _utc(value: Any) -> Any:
    from datetime import UTC
    return value.replace(tzinfo=UTC) if value is not None else None


def _status(form: FlaskForm) -> HTTPStatus:
    return HTTPStatus.UNPROCESSABLE_ENTITY if form.errors else HTTPStatus.OK


@bp.app_template_global("space_live_sessions")
def space_live_sessions(space: Space, membership: Membership | None) -> list[Any]:
    """For the space page: the occurrences live now or coming next (members only)."""
    if membership is None or not membership.is_active or membership.space_id != space.id:
        return []
    return sessions.upcoming(space.id, limit=3)


@bp.app_template_global("now_utc")
def now_utc() -> Any:
    return utcnow()


@bp.app_template_global("activity_of_thread")
def activity_of_thread(thread: Any) -> Any:
    return activities.get_activity_of_thread(thread.id) if thread.kind == "activity" else None


# --- activities and announcements --------------------------------------------------------

@bp.route("/spaces/<int:space_id>/activities")
@login_required
def activity_list(space_id: int):  # type: ignore[no-untyped-def]
    reader = access_space_content(current_user, space_id)
    rows, _next = activities.list_activities(reader)
    return render_template("facilitation/activities/index.html", space=reader.space,
                           reader=reader, activities=rows, templates=TEMPLATES,
                           status=activities.activity_status, dots_labels=DOTS_LABELS)


@bp.route("/spaces/<int:space_id>/activities/new", methods=["GET", "POST"])
@login_required
def activity_new(space_id: int):  # type: ignore[no-untyped-def]
    reader = access_space_content(current_user, space_id)
    require_moderator(reader)
    form = ActivityForm()
    chosen = get_template(request.args.get("template"))
    if chosen is not None and not form.is_submitted():
        form.title.data, form.prompt.data = str(chosen.title), str(chosen.prompt)
        form.instructions.data = str(chosen.instructions)
        form.dots.data, form.visibility.data = chosen.dots.value, chosen.visibility.value
    if form.validate_on_submit():
        try:
            activity = activities.check_create_activity(
                reader.space, reader.membership, title=form.title.data, prompt=form.prompt.data,
                instructions=form.instructions.data, dots=form.dots.data,
                visibility=form.visibility.data, opens_at=_utc(form.opens_at.data),
                closes_at=_utc(form.closes_at.data),
                template=chosen.key if chosen else None)
        except AppError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("The activity has started."))
            return redirect(url_for("forums.thread", thread_id=activity.thread_id))
    return render_template("facilitation/activities/new.html", space=reader.space, form=form,
                           chosen=chosen), _status(form)


@bp.route("/spaces/<int:space_id>/announcements/new", methods=["GET", "POST"])
@login_required
def announcement_new(space_id: int):  # type: ignore[no-untyped-def]
    reader = access_space_content(current_user, space_id)
    require_moderator(reader)
    form = AnnouncementForm()
    if form.validate_on_submit():
        try:
            thread, _post = activities.check_create_announcement(
                reader.space, reader.membership, title=form.title.data or "",
                body=form.body.data or "", pinned=form.pinned.data,
                replies_allowed=form.replies_allowed.data)
        except AppError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("The announcement is posted."))
            return redirect(url_for("forums.thread", thread_id=thread.id))
    return render_template("facilitation/activities/announcement.html", space=reader.space,
                           form=form), _status(form)


# --- live sessions -----------------------------------------------------------------------

@bp.route("/spaces/<int:space_id>/sessions", methods=["GET", "POST"])
@login_required
def session_list(space_id: int):  # type: ignore[no-untyped-def]
    reader = access_space_content(current_user, space_id)
    form = SessionForm()
    if request.method == "POST":
        require_moderator(reader)
        if form.validate_on_submit():
            try:
                sessions.check_create_session(
                    reader.space, reader.membership, title=form.title.data or "",
                    starts_at=_utc(form.starts_at.data), ends_at=_utc(form.ends_at.data),
                    weekly=form.weekly.data, repeat_until=form.repeat_until.data,
                    repeat_count=form.repeat_count.data)
            except AppError as error:
                db.session.rollback()
                apply_error(form, error)
            else:
                db.session.commit()
                flash(_("The session is scheduled."))
                return redirect(url_for("facilitation_tools.session_list", space_id=space_id))
    return render_template("facilitation/sessions/index.html", space=reader.space,
                           reader=reader, form=form, delete_form=EmptyForm(),
                           sessions=sessions.list_sessions(reader.space.id),
                           view=sessions.session_view), _status(form)


@bp.route("/sessions/<int:session_id>/delete", methods=["POST"])
@login_required
def session_delete(session_id: int):  # type: ignore[no-untyped-def]
    session, reader = sessions.access_session_by_id(current_user, session_id)
    sessions.check_delete_session(session, reader.membership)
    db.session.commit()
    flash(_("The session is cancelled."))
    return redirect(url_for("facilitation_tools.session_list", space_id=reader.space.id))


# --- resources ---------------------------------------------------------------------------

@bp.route("/spaces/<int:space_id>/resources", methods=["GET", "POST"])
@login_required
def resource_list(space_id: int):  # type: ignore[no-untyped-def]
    reader = access_space_content(current_user, space_id)
    form = ResourceForm()
    if form.validate_on_submit():
        try:
            resources.check_add_resource(reader, {name: getattr(form, name).data
                                                  for name in resources.EDITABLE})
        except AppError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("The resource is added.") if reader.is_facilitator
                  else _("Thank you: a facilitator will look at your suggestion."))
            return redirect(url_for("facilitation_tools.resource_list", space_id=space_id))
    return render_template("facilitation/resources/index.html", space=reader.space,
                           reader=reader, form=form, action_form=EmptyForm(),
                           resources=resources.list_resources(reader),
                           needs_recheck=resources.needs_recheck, dots_labels=DOTS_LABELS,
                           now=utcnow()), _status(form)


@bp.route("/resources/<int:resource_id>/edit", methods=["GET", "POST"])
@login_required
def resource_edit(resource_id: int):  # type: ignore[no-untyped-def]
    resource, reader = resources.access_resource_by_id(current_user, resource_id)
    require_moderator(reader)
    form = ResourceForm(obj=resource)
    if not form.is_submitted():
        form.dots.data = resource.dots.value
    if form.validate_on_submit():
        try:
            resources.check_update_resource(resource, reader, {
                name: getattr(form, name).data for name in resources.EDITABLE})
        except AppError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("The resource is saved."))
            return redirect(url_for("facilitation_tools.resource_list", space_id=reader.space.id))
    return render_template("facilitation/resources/edit.html", space=reader.space, form=form,
                           resource=resource), _status(form)


@bp.route("/resources/<int:resource_id>/<any(approve, reject, check):verb>", methods=["POST"])
@login_required
def resource_action(resource_id: int, verb: str):  # type: ignore[no-untyped-def]
    resource, reader = resources.access_resource_by_id(current_user, resource_id)
    EmptyForm().validate_on_submit()
    if verb == "check":
        resources.check_recheck_resource(resource, reader)
    else:
        resources.check_decide_resource(resource, reader, approve=verb == "approve")
    db.session.commit()
    flash(_("Done."))
    return redirect(url_for("facilitation_tools.resource_list", space_id=reader.space.id))
