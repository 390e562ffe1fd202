"""Account pages: sign-up, sign-in and out, profile, password, API tokens."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from community.accounts import actions, queries
from community.accounts.access import access_token_by_id
from community.accounts.forms import (
    ConfirmForm,
    PasswordForm,
    ProfileForm,
    SignInForm,
    SignUpForm,
    TokenForm,
)
from community.admin.settings import signup_open
from community.errors import AppError
from community.extensions import address_key, db, limiter
from community.forms import apply_error, safe_next
from community.realtime import revocation
from community.spaces.queries import get_usable_invitation

bp = Blueprint("accounts", __name__)


def signup_allowed() -> bool:
    """Open sign-up (the admins' site setting, else COMMUNITY_SIGNUP), or a usable invitation."""
    if signup_open():
        return True
    token = request.args.get("invitation", "")
    return bool(token) and get_usable_invitation(token) is not None


def _email_key() -> str:
    return "email:" + request.form.get("email", "").strip().lower()[:254]


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGNIN_RATE_LIMIT"], key_func=address_key,
               methods=["POST"])
@limiter.limit(lambda: current_app.config["SIGNIN_RATE_LIMIT"], key_func=_email_key,
               methods=["POST"])
def sign_in():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(safe_next(url_for("spaces.index")))
    form = SignInForm()
    if form.validate_on_submit():
        user = actions.check_credentials(email=form.email.data or "",
                                         password=form.password.data or "")
        if user is None:
            form.form_errors.append(_("That e-mail and password do not match an active account."))
        else:
            login_user(user, remember=bool(form.remember.data))
            return redirect(safe_next(url_for("spaces.index")))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/sign_in.html", form=form), status


@bp.route("/sign-out", methods=["POST"])
def sign_out():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        # This session's live connections end too (all of the user's: sockets do not
        # know which browser session they came from).
        revocation.revoke_user_now(current_user.id, "signed_out")
    logout_user()
    flash(_("You are signed out."))
    return redirect(url_for("accounts.sign_in"))


@bp.route("/sign-up", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGNUP_RATE_LIMIT"], key_func=address_key,
               methods=["POST"])
def sign_up():  # type: ignore[no-untyped-def]
    if not signup_allowed():
        return render_template("accounts/sign_up_closed.html"), 403
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            user = actions.check_signup(email=form.email.data or "",
                                        password=form.password.data or "",
                                        display_name=form.display_name.data or "")
        except AppError as error:
            apply_error(form, error)
        else:
            db.session.commit()
            login_user(user)
            flash(_("Welcome! Your account is ready."))
            return redirect(safe_next(url_for("spaces.index")))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/sign_up.html", form=form), status


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():  # type: ignore[no-untyped-def]
    form = ProfileForm(obj=current_user)
    if not form.is_submitted():
        form.locale.data = current_user.locale or ""
    if form.validate_on_submit():
        try:
            actions.do_update_profile(current_user, display_name=form.display_name.data or "",
                                      locale=form.locale.data or "")
        except AppError as error:
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Your profile is saved."))
            return redirect(url_for("accounts.profile"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/profile.html", form=form), status


@bp.route("/profile/password", methods=["GET", "POST"])
@login_required
def change_password():  # type: ignore[no-untyped-def]
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            actions.check_change_password(current_user, current=form.current_password.data or "",
                                          new=form.new_password.data or "")
        except AppError as error:
            apply_error(form, error)
        else:
            db.session.commit()
            # This session carries on under the new session version; the others end.
            login_user(current_user._get_current_object())
            flash(_("Your password is changed. Other devices have been signed out."))
            return redirect(url_for("accounts.profile"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/password.html", form=form), status


@bp.route("/profile/tokens", methods=["GET", "POST"])
@login_required
def tokens():  # type: ignore[no-untyped-def]
    form = TokenForm()
    created = None
    if form.validate_on_submit():
        try:
            _token, created = actions.do_create_token(current_user, name=form.name.data or "")
        except AppError as error:
            apply_error(form, error)
        else:
            db.session.commit()
            form = TokenForm(formdata=None)
    status = 400 if form.errors else 200
    return render_template("accounts/tokens.html", form=form, created=created,
                           tokens=queries.list_tokens(current_user),
                           revoke_form=ConfirmForm()), status


@bp.route("/profile/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):  # type: ignore[no-untyped-def]
    token = access_token_by_id(current_user, token_id)
    actions.do_revoke_token(token)
    db.session.commit()
    flash(_("The token is revoked."))
    return redirect(url_for("accounts.tokens"))
