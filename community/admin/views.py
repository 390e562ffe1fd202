"""Admin pages: dashboard, users (suspend, admin rights), the site agreement, the audit log."""

from __future__ import annotations

import csv
import io
import json
from http import HTTPStatus

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from community.accounts import actions as account_actions
from community.accounts.access import access_user_by_id
from community.accounts.forms import ConfirmForm
from community.accounts.models import User
from community.admin import queries, settings
from community.admin.access import access_admin_area
from community.admin.audit import AuditAction
from community.admin.forms import (
    AdminRoleForm,
    AuditFilterForm,
    SiteSettingsForm,
    SuspendForm,
    UserSearchForm,
)
from community.agreements import queries as agreement_queries
from community.agreements.views import publish_from_form
from community.api.common import decode_cursor, encode_cursor
from community.csvexport import csv_safe
from community.errors import AppError
from community.extensions import db
from community.forms import apply_error

bp = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE = 50


@bp.app_context_processor
def _site_rules() -> dict[str, object]:
    """Templates everywhere ask whether sign-up is open (the header's link)."""
    return {"signup_open": settings.signup_open}


@bp.before_request
def _admins_only() -> None:
    """Every page here is for site admins: sign-in for the signed out, 403 for others."""
    access_admin_area(current_user)


def _cursor() -> int | None:
    """The page cursor from the query string; a mangled one starts from the top."""
    try:
        value = decode_cursor(request.args.get("cursor"))
    except AppError:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _args_with(cursor: int) -> dict[str, str]:
    args = {k: v for k, v in request.args.items() if k != "cursor" and v}
    return {**args, "cursor": encode_cursor(cursor)}


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    recent, _more = queries.list_audit(limit=5)
    return render_template("admin/index.html", counts=queries.site_counts(),
                           site_agreement=agreement_queries.get_current_agreement(None),
                           recent=recent, names=queries.user_names({e.actor_id for e in recent}))


@bp.route("/users")
def users():  # type: ignore[no-untyped-def]
    form = UserSearchForm(request.args)
    search = form.q.data if form.validate() else None
    rows, after = queries.list_users(search=search, after_id=_cursor(), limit=PAGE_SIZE)
    next_url = url_for("admin.users", **_args_with(after)) if after is not None else None
    return render_template("admin/users.html", form=form, users=rows, next_url=next_url)


def _user_page(user: User, *, suspend_form: SuspendForm | None = None,
               status: int = HTTPStatus.OK):  # type: ignore[no-untyped-def]
    return render_template(
        "admin/user.html", user=user, memberships=queries.list_user_memberships(user),
        suspend_form=suspend_form or SuspendForm(formdata=None), confirm_form=ConfirmForm(),
        role_form=AdminRoleForm(formdata=None, is_admin="0" if user.is_admin else "1"),
    ), status


@bp.route("/users/<int:user_id>")
def user(user_id: int):  # type: ignore[no-untyped-def]
    return _user_page(access_user_by_id(current_user, user_id))


@bp.route("/users/<int:user_id>/suspend", methods=["POST"])
def suspend(user_id: int):  # type: ignore[no-untyped-def]
    target = access_user_by_id(current_user, user_id)
    form = SuspendForm()
    if form.validate_on_submit():
        try:
            account_actions.do_suspend_user(target, reason=form.reason.data or "",
                                            acting_user=current_user)
        except AppError as error:
            db.session.rollback()
            apply_error(form, error)
            return _user_page(target, suspend_form=form, status=error.status)
        db.session.commit()
        flash(_("%(name)s is suspended and signed out everywhere.", name=target.display_name))
        return redirect(url_for("admin.user", user_id=target.id))
    return _user_page(target, suspend_form=form, status=HTTPStatus.BAD_REQUEST)


@bp.route("/users/<int:user_id>/unsuspend", methods=["POST"])
def unsuspend(user_id: int):  # type: ignore[no-untyped-def]
    target = access_user_by_id(current_user, user_id)
    if not ConfirmForm().validate_on_submit():
        return _user_page(target, status=HTTPStatus.BAD_REQUEST)
    account_actions.do_unsuspend_user(target, acting_user=current_user)
    db.session.commit()
    flash(_("%(name)s can sign in again.", name=target.display_name))
    return redirect(url_for("admin.user", user_id=target.id))


@bp.route("/users/<int:user_id>/admin", methods=["POST"])
def set_admin(user_id: int):  # type: ignore[no-untyped-def]
    target = access_user_by_id(current_user, user_id)
    form = AdminRoleForm()
    if not form.validate_on_submit() or form.is_admin.data not in ("0", "1"):
        return _user_page(target, status=HTTPStatus.BAD_REQUEST)
    account_actions.do_set_admin(target, is_admin=form.is_admin.data == "1",
                                 acting_user=current_user)
    db.session.commit()
    flash(_("%(name)s is now a site admin.", name=target.display_name) if target.is_admin
          else _("%(name)s is no longer a site admin.", name=target.display_name))
    return redirect(url_for("admin.user", user_id=target.id))


@bp.route("/agreement", methods=["GET", "POST"])
def site_agreement():  # type: ignore[no-untyped-def]
    """Publish a new version of the site agreement; the form starts from the current text."""
    form, current, agreement = publish_from_form(None)
    if agreement is not None:
        flash(_("Version %(n)d is published. Everyone must accept it before they read on.",
                n=agreement.version))
        return redirect(url_for("admin.site_agreement"))
    status = HTTPStatus.BAD_REQUEST if form.is_submitted() else HTTPStatus.OK
    return render_template("admin/site_agreement.html", form=form, current=current,
                           versions=agreement_queries.list_versions(None)), status


@bp.route("/audit")
def audit():  # type: ignore[no-untyped-def]
    form = AuditFilterForm(request.args)
    valid = form.validate() if request.args else True
    rows, before = [], None
    if valid:
        rows, before = queries.list_audit(
            action=form.action.data or None, actor_id=form.actor_id.data,
            space_id=form.space_id.data, since=form.since.data, until=form.until.data,
            before_id=_cursor(), limit=PAGE_SIZE)
    next_url = url_for("admin.audit", **_args_with(before)) if before is not None else None
    return render_template("admin/audit.html", form=form, entries=rows, next_url=next_url,
                           names=queries.user_names({e.actor_id for e in rows})), (
        HTTPStatus.OK if valid else HTTPStatus.BAD_REQUEST)


AUDIT_CSV_COLUMNS = ["id", "created_at", "action", "actor_id", "actor", "target_type",
                     "target_id", "space_id", "data"]


@bp.route("/audit.csv")
def audit_csv():  # type: ignore[no-untyped-def]
    """The audit log with the page's filters, newest first, as CSV (formulas defused)."""
    form = AuditFilterForm(request.args)
    if request.args and not form.validate():
        return audit()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_CSV_COLUMNS)
    before = None
    while True:
        rows, before = queries.list_audit(
            action=form.action.data or None, actor_id=form.actor_id.data,
            space_id=form.space_id.data, since=form.since.data, until=form.until.data,
            before_id=before, limit=1000)
        names = queries.user_names({e.actor_id for e in rows})
        for e in rows:
            writer.writerow([e.id, e.created_at.isoformat(), csv_safe(e.action), e.actor_id or "",
                             csv_safe(names.get(e.actor_id or 0, "")), csv_safe(e.target_type),
                             e.target_id or "", e.space_id or "",
                             csv_safe(json.dumps(e.data, sort_keys=True, ensure_ascii=False))])
        if before is None:
            break
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=audit-log.csv"})


@bp.route("/settings", methods=["GET", "POST"])
def site_settings():  # type: ignore[no-untyped-def]
    """The site's confidentiality rules, with the recent identity look-ups."""
    current = settings.get_site_settings()
    form = SiteSettingsForm(obj=current)
    if not form.is_submitted():
        form.signup.data = settings.signup_mode()
    if form.validate_on_submit():
        try:
            changed = settings.check_update_site_settings(form.settings(),
                                                          acting_user=current_user)
        except AppError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("The site settings are saved.") if changed else _("Nothing was changed."))
            return redirect(url_for("admin.site_settings"))
    lookups, _more = queries.list_audit(action=AuditAction.IDENTITY_REVEAL.value, limit=20)
    status = HTTPStatus.BAD_REQUEST if form.is_submitted() else HTTPStatus.OK
    return render_template("admin/settings.html", form=form, lookups=lookups,
                           names=queries.user_names({e.actor_id for e in lookups}
                                                    | {e.target_id for e in lookups})), status
