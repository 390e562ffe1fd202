"""Privacy pages: download your data, delete your account, choose your e-mails."""

from __future__ import annotations

from http import HTTPStatus

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from community.accounts.forms import ConfirmForm
from community.errors import AppError
from community.extensions import db
from community.forms import apply_error
from community.privacy import email, erasure, export
from community.privacy.forms import EmailPreferencesForm, EraseForm

bp = Blueprint("privacy", __name__, url_prefix="/profile")


def zip_response(data: bytes) -> Response:
    return Response(data, mimetype="application/zip", headers={
        "Content-Disposition": "attachment; filename=my-community-data.zip",
        "Cache-Control": "no-store"})


@bp.route("/data", methods=["GET", "POST"])
@login_required
def data():  # type: ignore[no-untyped-def]
    """What the download holds, and the button that makes it (audited as user:export)."""
    form = ConfirmForm()
    if form.validate_on_submit():
        archive = export.check_export(current_user)
        db.session.commit()
        return zip_response(archive)
    return render_template("privacy/data.html", form=form,
                           last_facilitator=erasure.last_facilitator_spaces(current_user))


@bp.route("/delete", methods=["GET", "POST"])
@login_required
def delete_account():  # type: ignore[no-untyped-def]
    """Confirmation page: the password again, and whether the posts' text goes too."""
    form = EraseForm()
    status = HTTPStatus.BAD_REQUEST if form.is_submitted() else HTTPStatus.OK
    if form.validate_on_submit():
        try:
            erasure.check_erase_account(current_user, password=form.password.data or "",
                                        delete_posts=bool(form.delete_posts.data))
        except AppError as error:
            db.session.rollback()
            apply_error(form, error)
            status = error.status
        else:
            db.session.commit()
            logout_user()
            flash(_("Your account is deleted."))
            return redirect(url_for("accounts.sign_in"))
    return render_template("privacy/delete.html", form=form,
                           last_facilitator=erasure.last_facilitator_spaces(current_user)), status


@bp.route("/email", methods=["GET", "POST"])
@login_required
def email_preferences():  # type: ignore[no-untyped-def]
    form = EmailPreferencesForm(obj=email.get_preferences(current_user))
    if form.validate_on_submit():
        email.do_update_preferences(current_user, mentions=form.mentions.data,
                                    replies=form.replies.data, queue=form.queue.data,
                                    digest=form.digest.data)
        db.session.commit()
        flash(_("Your e-mail settings are saved."))
        return redirect(url_for("privacy.email_preferences"))
    status = HTTPStatus.BAD_REQUEST if form.is_submitted() else HTTPStatus.OK
    return render_template("privacy/email.html", form=form), status
