"""Moderation pages: flagging, queues, an item with its actions, the log (and its CSV),
a space's moderation settings and watched words, site rules, safeguarding contacts,
a member's notices; plus the navigation count and safety banner for every page."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time
from functools import cached_property
from http import HTTPStatus
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community.accounts.models import User
from community.api.common import decode_cursor, encode_cursor
from community.csvexport import csv_safe
from community.errors import AppError, Conflict, Forbidden, Invalid, NotFound
from community.extensions import db
from community.forms import apply_error
from community.forums.access import access_post_by_id
from community.forums.queries import public_post_view
from community.moderation import actions, queries
from community.moderation.access import (
    access_member_to_sanction,
    access_review_item_by_id,
    access_review_space,
    access_site_queue,
    access_watched_word_by_id,
)
from community.moderation.forms import (
    FLAG_LABELS,
    ApproveForm,
    ContactForm,
    DecideForm,
    FlagForm,
    LogFilterForm,
    MuteForm,
    ReasonForm,
    SettingsForm,
    VersionForm,
    WarnForm,
    WatchedWordForm,
)
from community.moderation.models import ReviewState, SafeguardingContact

bp = Blueprint("moderation", __name__)


# --- navigation and banner (every page) -------------------------------------------------

class ModerationNav:
    """What base.html shows: the queue count and unhandled safety concerns. Lazy: a page
    that never asks pays no query; the spaces the user facilitates are read once."""

    cap = queries.QUEUE_COUNT_CAP

    @cached_property
    def facilitated(self) -> list[int]:
        if not current_user.is_authenticated:
            return []
        return queries.facilitated_space_ids(current_user)

    @cached_property
    def queue_space_ids(self) -> list[int] | bool | None:
        if not current_user.is_authenticated:
            return False
        if current_user.is_admin:
            return None
        return self.facilitated or False

    @cached_property
    def queue_count(self) -> int | None:
        """Pending items the user reviews (up to the cap), or None when they review none."""
        spaces = self.queue_space_ids
        if spaces is False:
            return None
        return queries.count_pending(spaces)  # type: ignore[arg-type]

    @cached_property
    def safety_items(self) -> list[Any]:
        if not current_user.is_authenticated:
            return []
        return queries.safety_items_for(current_user, space_ids=self.facilitated)

    @cached_property
    def notices(self) -> list[Any]:
        if not current_user.is_authenticated:
            return []
        return queries.unread_notices(current_user)


@bp.app_context_processor
def _moderation_nav() -> dict[str, Any]:
    """`moderation_nav` for base.html: queue count, safety banner, the member's notices."""
    return {"moderation_nav": ModerationNav()}


# --- flagging ---------------------------------------------------------------------------

@bp.route("/posts/<int:post_id>/flag", methods=["GET", "POST"])
@login_required
def flag(post_id: int):  # type: ignore[no-untyped-def]
    post, reader = access_post_by_id(current_user, post_id)
    form = FlagForm()
    if form.validate_on_submit():
        try:
            actions.check_flag_post(post, reader, reason=form.reason.data, note=form.note.data)
            db.session.commit()
            flash(_("Thank you. The facilitators will look at it."), "success")
            return redirect(url_for("forums.post", post_id=post_id))
        except (Invalid, Conflict) as error:
            db.session.rollback()
            apply_error(form, error)
            post, reader = access_post_by_id(current_user, post_id)
    status = HTTPStatus.UNPROCESSABLE_ENTITY if form.errors or form.form_errors else HTTPStatus.OK
    return render_template("moderation/flag.html", post=public_post_view(post),
                           thread=post.thread, space=reader.space, form=form), status


# --- queues -----------------------------------------------------------------------------

def _cursor() -> list[int] | None:
    try:
        value = decode_cursor(request.args.get("cursor"))
    except AppError:
        return None
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return value
    return None


def _state() -> ReviewState:
    try:
        return ReviewState(request.args.get("state", "pending"))
    except ValueError:
        return ReviewState.PENDING


def reason_labels() -> dict[str, str]:
    """Each reason kind's badge text, translated once per page."""
    return {"safety": _("safety concern"), "personal_data": _("personal data"),
            "watched_word": _("watched word"), "watched_word_flag": _("watched word (flag)"),
            "pre_moderation": _("pre-moderation"), "new_member": _("new member"),
            "flags": _("flagged")}


def _queue_page(space_ids: list[int] | None, *, space=None, title: str):  # type: ignore[no-untyped-def]
    state = _state()
    items, next_cursor = queries.list_queue(space_ids=space_ids, state=state, cursor=_cursor())
    return render_template("moderation/queue.html", rows=queries.queue_rows(items),
                           space=space, title=title, state=state.value,
                           reason_labels=reason_labels(), count_cap=queries.QUEUE_COUNT_CAP,
                           pending=queries.count_pending(space_ids),
                           next_cursor=encode_cursor(next_cursor) if next_cursor else None)


@bp.route("/spaces/<int:space_id>/queue")
@login_required
def space_queue(space_id: int):  # type: ignore[no-untyped-def]
    moderator = access_review_space(current_user, space_id)
    return _queue_page([moderator.space.id], space=moderator.space,
                       title=_("Review queue of %(name)s", name=moderator.space.name))


@bp.route("/moderation/queue")
@login_required
def queue():  # type: ignore[no-untyped-def]
    """Admins: every space. Facilitators: the spaces they facilitate."""
    if current_user.is_admin:
        return _queue_page(None, title=_("Review queue of every space"))
    spaces = queries.facilitated_space_ids(current_user)
    if not spaces:
        raise Forbidden()
    return _queue_page(spaces, title=_("Review queue of your spaces"))


def _item_page(item, moderator, status: int = HTTPStatus.OK, **forms: Any):  # type: ignore[no-untyped-def]
    version = {"version": item.version}
    detail = queries.item_detail(item)
    defaults = {
        "claim_form": VersionForm(formdata=None, data=version),
        "approve_form": ApproveForm(formdata=None, data={**version, "body": item.post.source}),
        "reject_form": DecideForm(formdata=None, data=version),
        "remove_form": DecideForm(formdata=None, data=version, prefix="remove"),
        "warn_form": WarnForm(formdata=None),
        "mute_form": MuteForm(formdata=None),
        "member_form": ReasonForm(formdata=None, prefix="member"),
        "suspend_form": ReasonForm(formdata=None, prefix="suspend"),
    }
    defaults.update(forms)
    return render_template("moderation/item.html", item=item, detail=detail,
                           moderator=moderator, space=moderator.space,
                           flag_labels=FLAG_LABELS, reason_labels=reason_labels(),
                           **defaults), status


@bp.route("/queue/<int:item_id>")
@login_required
def item(item_id: int):  # type: ignore[no-untyped-def]
    item, moderator = access_review_item_by_id(current_user, item_id)
    return _item_page(item, moderator)


_FORMS = {"claim": ("claim_form", VersionForm, None), "unclaim": ("claim_form", VersionForm, None),
          "approve": ("approve_form", ApproveForm, None),
          "reject": ("reject_form", DecideForm, None),
          "remove": ("remove_form", DecideForm, "remove"), "warn": ("warn_form", WarnForm, None),
          "mute": ("mute_form", MuteForm, None),
          "remove-member": ("member_form", ReasonForm, "member"),
          "suspend": ("suspend_form", ReasonForm, "suspend")}


def _run(action: str, item, moderator, form) -> None:  # type: ignore[no-untyped-def]
    """The one action a form asks for (the view stays a dispatcher)."""
    version = int(form.version.data) if hasattr(form, "version") and str(
        form.version.data or "").isdigit() else None
    if action == "claim":
        actions.check_claim(item, moderator, version=version)
    elif action == "unclaim":
        actions.check_unclaim(item, moderator, version=version)
    elif action == "approve":
        body = form.body.data if form.body.data and form.body.data.strip() else None
        actions.check_approve(item, moderator, version=version, body=body,
                              reason=form.reason.data)
    elif action == "reject":
        actions.check_reject(item, moderator, version=version, reason=form.reason.data)
    elif action == "remove":
        actions.check_remove(item, moderator, version=version, reason=form.reason.data)
    elif action == "suspend":
        user = db.session.get(User, item.author_user_id) if item.author_user_id else None
        if user is None:
            raise NotFound()
        actions.check_suspend(moderator, user, reason=form.reason.data, item=item)
    else:
        if item.author_user_id is None:
            raise NotFound()
        target = access_member_to_sanction(moderator, item.author_user_id)
        if action == "warn":
            actions.check_warn(moderator, target, message=form.message.data, item=item)
        elif action == "mute":
            actions.check_mute(moderator, target, hours=form.hours.data, reason=form.reason.data,
                               item=item)
        else:
            actions.check_remove_member(moderator, target, reason=form.reason.data, item=item)


@bp.route("/queue/<int:item_id>/<any('claim', 'unclaim', 'approve', 'reject', 'remove', "
          "'warn', 'mute', 'remove-member', 'suspend'):action>", methods=["POST"])
@login_required
def act(item_id: int, action: str):  # type: ignore[no-untyped-def]
    item, moderator = access_review_item_by_id(current_user, item_id, for_update=True)
    name, form_class, prefix = _FORMS[action]
    form = form_class(prefix=prefix or "")
    if form.validate_on_submit():
        try:
            _run(action, item, moderator, form)
            db.session.commit()
            flash(_("Done."), "success")
            return redirect(url_for("moderation.item", item_id=item_id))
        except AppError as error:
            db.session.rollback()
            apply_error(form, error)
            if error.status == HTTPStatus.CONFLICT:
                status = HTTPStatus.CONFLICT
            elif error.status in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND):
                raise
            else:
                status = HTTPStatus.UNPROCESSABLE_ENTITY
            item, moderator = access_review_item_by_id(current_user, item_id)
            return _item_page(item, moderator, status, **{name: form})
    return _item_page(item, moderator, HTTPStatus.UNPROCESSABLE_ENTITY, **{name: form})


# --- the log ----------------------------------------------------------------------------

def _log_page(space_id: int | None, *, space=None, admin: bool):  # type: ignore[no-untyped-def]
    form = LogFilterForm(request.args)
    valid = form.validate()
    since = (datetime.combine(form.since.data, time.min, tzinfo=UTC)
             if valid and form.since.data else None)
    try:
        before = decode_cursor(request.args.get("cursor"))
    except AppError:
        before = None
    rows, more = queries.list_log(
        space_id=space_id, action=(form.action.data or None) if valid else None,
        target_user_id=form.target_user_id.data if valid else None, since=since,
        before=before if isinstance(before, int) else None)
    names = queries.log_names(rows)
    args = {k: v for k, v in request.args.items() if k != "cursor" and v}
    return render_template("moderation/log.html", rows=[queries.log_view(r, names) for r in rows],
                           form=form, space=space, admin=admin,
                           spaces=queries.space_names({r.space_id for r in rows if r.space_id}),
                           next_url=url_for(request.endpoint, **request.view_args,  # type: ignore[arg-type]
                                            **args, cursor=encode_cursor(more)) if more else None)


@bp.route("/spaces/<int:space_id>/moderation-log")
@login_required
def space_log(space_id: int):  # type: ignore[no-untyped-def]
    moderator = access_review_space(current_user, space_id)
    return _log_page(moderator.space.id, space=moderator.space, admin=False)


@bp.route("/moderation/log")
@login_required
def log():  # type: ignore[no-untyped-def]
    access_site_queue(current_user)
    return _log_page(request.args.get("space_id", type=int), admin=True)


@bp.route("/moderation/log.csv")
@login_required
def log_csv():  # type: ignore[no-untyped-def]
    """The whole log (or one space's) as CSV, for admins."""
    access_site_queue(current_user)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "created_at", "space_id", "action", "actor_id", "actor", "item_id",
                     "post_id", "target_user_id", "target", "reason"])
    before = None
    space_id = request.args.get("space_id", type=int)
    while True:
        rows, before = queries.list_log(space_id=space_id, before=before, limit=1000)
        names = queries.log_names(rows)
        for r in rows:
            writer.writerow([r.id, r.created_at.isoformat(), r.space_id or "", r.action,
                             r.actor_id or "", csv_safe(names.get(r.actor_id or 0, "")),
                             r.item_id or "", r.post_id or "", r.target_user_id or "",
                             csv_safe(names.get(r.target_user_id or 0, "")),
                             csv_safe(r.reason)])
        if before is None:
            break
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=moderation-log.csv"})


# --- a space's settings and watched words -----------------------------------------------

def _settings_page(moderator, status: int = HTTPStatus.OK, *, settings_form=None,  # type: ignore[no-untyped-def]
                   word_form=None):
    current = queries.space_settings(moderator.space.id)
    return render_template(
        "moderation/settings.html", space=moderator.space, moderator=moderator,
        settings_form=settings_form or SettingsForm(formdata=None, obj=current),
        word_form=word_form or WatchedWordForm(formdata=None),
        words=queries.list_watched_words(moderator.space.id),
        site_words=queries.list_watched_words(None)), status


@bp.route("/spaces/<int:space_id>/moderation", methods=["GET", "POST"])
@login_required
def settings(space_id: int):  # type: ignore[no-untyped-def]
    moderator = access_review_space(current_user, space_id)
    if request.method == "GET":
        return _settings_page(moderator)
    form = SettingsForm()
    if form.validate_on_submit():
        try:
            actions.check_update_settings(moderator, new_member_holds=form.new_member_holds.data,
                                          flag_threshold=form.flag_threshold.data)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("moderation.settings", space_id=space_id))
        except Invalid as error:
            db.session.rollback()
            apply_error(form, error)
            moderator = access_review_space(current_user, space_id)
    return _settings_page(moderator, HTTPStatus.UNPROCESSABLE_ENTITY, settings_form=form)


@bp.route("/spaces/<int:space_id>/watched-words", methods=["POST"])
@login_required
def add_space_word(space_id: int):  # type: ignore[no-untyped-def]
    moderator = access_review_space(current_user, space_id)
    form = WatchedWordForm()
    if form.validate_on_submit():
        try:
            actions.check_add_watched_word(moderator.space, pattern=form.pattern.data,
                                           action=form.action.data, acting_user=current_user)
            db.session.commit()
            return redirect(url_for("moderation.settings", space_id=space_id))
        except Invalid as error:
            db.session.rollback()
            apply_error(form, error)
            moderator = access_review_space(current_user, space_id)
    return _settings_page(moderator, HTTPStatus.UNPROCESSABLE_ENTITY, word_form=form)


@bp.route("/watched-words/<int:word_id>/delete", methods=["POST"])
@login_required
def delete_word(word_id: int):  # type: ignore[no-untyped-def]
    word, moderator = access_watched_word_by_id(current_user, word_id)
    actions.do_delete_watched_word(word, acting_user=current_user)
    db.session.commit()
    if moderator is None:
        return redirect(url_for("moderation.site_words"))
    return redirect(url_for("moderation.settings", space_id=moderator.space.id))


@bp.route("/moderation/watched-words", methods=["GET", "POST"])
@login_required
def site_words():  # type: ignore[no-untyped-def]
    access_site_queue(current_user)
    form = WatchedWordForm()
    status = HTTPStatus.OK
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                actions.check_add_watched_word(None, pattern=form.pattern.data,
                                               action=form.action.data,
                                               acting_user=current_user)
                db.session.commit()
                return redirect(url_for("moderation.site_words"))
            except Invalid as error:
                db.session.rollback()
                apply_error(form, error)
        status = HTTPStatus.UNPROCESSABLE_ENTITY
    return render_template("moderation/site_words.html", form=form,
                           words=queries.list_watched_words(None)), status


# --- safeguarding contacts --------------------------------------------------------------

@bp.route("/moderation/safeguarding", methods=["GET", "POST"])
@login_required
def safeguarding():  # type: ignore[no-untyped-def]
    access_site_queue(current_user)
    form = ContactForm()
    status = HTTPStatus.OK
    if request.method == "POST":
        if form.validate_on_submit():
            user = db.session.scalar(db.select(User).where(
                db.func.lower(User.email) == form.email.data.strip().lower()))
            try:
                if user is None:
                    raise Invalid(fields={"email": _("No account has this e-mail address.")})
                actions.check_add_safeguarding_contact(user, acting_user=current_user)
                db.session.commit()
                return redirect(url_for("moderation.safeguarding"))
            except Invalid as error:
                db.session.rollback()
                apply_error(form, error)
        status = HTTPStatus.UNPROCESSABLE_ENTITY
    return render_template("moderation/safeguarding.html", form=form,
                           contacts=queries.list_safeguarding_contacts(),
                           minutes=actions.escalation_minutes()), status


@bp.route("/moderation/safeguarding/<int:user_id>/remove", methods=["POST"])
@login_required
def remove_contact(user_id: int):  # type: ignore[no-untyped-def]
    access_site_queue(current_user)
    contact = db.session.get(SafeguardingContact, user_id)
    if contact is None:
        raise NotFound()
    actions.do_remove_safeguarding_contact(contact, acting_user=current_user)
    db.session.commit()
    return redirect(url_for("moderation.safeguarding"))


# --- what a member is told --------------------------------------------------------------

@bp.route("/moderation/notices")
@login_required
def notices():  # type: ignore[no-untyped-def]
    rows = queries.list_notices(current_user)
    html = render_template("moderation/notices.html", rows=rows,
                           spaces=queries.space_names({n.space_id for n in rows if n.space_id}))
    db.session.commit()
    return html


@bp.route("/moderation/notices/read", methods=["POST"])
@login_required
def read_notices():  # type: ignore[no-untyped-def]
    actions.do_mark_notices_read(current_user)
    db.session.commit()
    return redirect(url_for("moderation.notices"))
