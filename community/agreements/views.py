"""Agreement pages: read, accept ("I agree"), earlier versions, publish, who has accepted."""

from __future__ import annotations

from http import HTTPStatus

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community.agreements import actions, queries
from community.agreements.access import (
    access_space_agreement_to_accept,
    access_space_agreement_to_manage,
    access_space_agreement_to_read,
)
from community.agreements.forms import AcceptForm, PublishForm
from community.errors import AppError, Conflict, Invalid, NotFound, Unauthorized
from community.extensions import db
from community.forms import apply_error, safe_next
from community.spaces.models import Agreement, Space
from community.spaces.queries import get_membership

bp = Blueprint("agreements", __name__, url_prefix="/agreements")


def _here() -> str:
    return request.full_path.rstrip("?")


def _accept(space: Space | None, form: AcceptForm) -> str | None:
    """Run the accept action for a submitted form; None on success, else why not."""
    try:
        version = int(form.version.data or "")
    except ValueError:
        return _("Please read the agreement and try again.")
    try:
        actions.check_accept_agreement(current_user, space=space, version=version)
    except (Conflict, Invalid):
        db.session.rollback()
        return _("A newer version of the agreement has been published. Please read it.")
    db.session.commit()
    return None


def _can_manage(space: Space | None) -> bool:
    if space is None:
        return bool(current_user.is_authenticated and current_user.is_admin)
    membership = get_membership(current_user, space.id)
    return membership is not None and membership.is_facilitator


def _show(agreement: Agreement | None, *, space: Space | None, can_accept: bool,
          form: AcceptForm | None = None, status: int = HTTPStatus.OK):  # type: ignore[no-untyped-def]
    acceptance = (queries.get_acceptance(current_user, agreement)
                  if agreement is not None and current_user.is_authenticated else None)
    if form is None and agreement is not None:
        form = AcceptForm(formdata=None, version=str(agreement.version))
    return render_template("agreements/show.html", agreement=agreement, space=space,
                           acceptance=acceptance, can_accept=can_accept, form=form,
                           is_current=True, can_manage=_can_manage(space),
                           next_url=safe_next(""), here=_here()), status


@bp.route("/site", methods=["GET", "POST"])
def site():  # type: ignore[no-untyped-def]
    """Readable by anyone (it says what joining means); accepting needs an account."""
    agreement = queries.get_current_agreement(None)
    if request.method == "POST":
        if not current_user.is_authenticated:
            raise Unauthorized()
        if agreement is None:
            raise NotFound()
        form = AcceptForm()
        if form.validate_on_submit():
            problem = _accept(None, form)
            if problem is None:
                flash(_("Thank you. You have accepted the site agreement."))
                return redirect(safe_next(url_for("spaces.index")))
            flash(problem, "error")
            return _show(queries.get_current_agreement(None), space=None, can_accept=True,
                         status=HTTPStatus.CONFLICT)
        return _show(agreement, space=None, can_accept=True, form=form,
                     status=HTTPStatus.BAD_REQUEST)
    return _show(agreement, space=None, can_accept=current_user.is_authenticated)


@bp.route("/spaces/<int:space_id>", methods=["GET", "POST"])
@login_required
def space(space_id: int):  # type: ignore[no-untyped-def]
    """Members accept here, after the site agreement; facilitators and admins may read."""
    space, membership = access_space_agreement_to_read(current_user, space_id)
    agreement = queries.get_current_agreement(space.id)
    can_accept = membership is not None
    if can_accept and request.method == "GET" and queries.missing_agreement(current_user, None):
        return redirect(url_for("agreements.site", next=_here()))
    if request.method == "POST":
        space, membership = access_space_agreement_to_accept(current_user, space_id)
        if agreement is None:
            raise NotFound()
        form = AcceptForm()
        if form.validate_on_submit():
            problem = _accept(space, form)
            if problem is None:
                flash(_("Thank you. You have accepted the agreement of %(space)s.",
                        space=space.name))
                return redirect(safe_next(url_for("spaces.index")))
            flash(problem, "error")
            return _show(queries.get_current_agreement(space.id), space=space, can_accept=True,
                         status=HTTPStatus.CONFLICT)
        return _show(agreement, space=space, can_accept=True, form=form,
                     status=HTTPStatus.BAD_REQUEST)
    return _show(agreement, space=space, can_accept=can_accept)


def _versions_page(space: Space | None):  # type: ignore[no-untyped-def]
    return render_template("agreements/versions.html", space=space,
                           versions=queries.list_versions(space.id if space else None))


def _version_page(space: Space | None, version: int):  # type: ignore[no-untyped-def]
    agreement = queries.get_agreement_version(space.id if space else None, version)
    if agreement is None:
        raise NotFound()
    current = queries.get_current_agreement(agreement.space_id)
    acceptance = queries.get_acceptance(current_user, agreement)
    return render_template("agreements/show.html", agreement=agreement, space=space,
                           acceptance=acceptance, can_accept=False, form=None,
                           is_current=current is not None and current.id == agreement.id,
                           can_manage=_can_manage(space), next_url="", here=_here())


@bp.route("/site/versions")
@login_required
def site_versions():  # type: ignore[no-untyped-def]
    return _versions_page(None)


@bp.route("/site/versions/<int:version>")
@login_required
def site_version(version: int):  # type: ignore[no-untyped-def]
    return _version_page(None, version)


@bp.route("/spaces/<int:space_id>/versions")
@login_required
def space_versions(space_id: int):  # type: ignore[no-untyped-def]
    space, _membership = access_space_agreement_to_read(current_user, space_id)
    return _versions_page(space)


@bp.route("/spaces/<int:space_id>/versions/<int:version>")
@login_required
def space_version(space_id: int, version: int):  # type: ignore[no-untyped-def]
    space, _membership = access_space_agreement_to_read(current_user, space_id)
    return _version_page(space, version)


@bp.route("/spaces/<int:space_id>/publish", methods=["GET", "POST"])
@login_required
def space_publish(space_id: int):  # type: ignore[no-untyped-def]
    """Facilitators publish a new version; the form starts from the current text."""
    space, _membership = access_space_agreement_to_manage(current_user, space_id)
    form, current, agreement = publish_from_form(space)
    if agreement is not None:
        flash(_("Version %(n)d is published. Members must accept it before they read on.",
                n=agreement.version))
        return redirect(url_for("agreements.space_acceptances", space_id=space.id))
    status = HTTPStatus.BAD_REQUEST if form.is_submitted() else HTTPStatus.OK
    return render_template("agreements/publish.html", form=form, space=space,
                           current=current), status


def publish_from_form(space: Space | None) -> tuple[PublishForm, Agreement | None,
                                                    Agreement | None]:
    """The publish form of the space's (None: the site's) agreement, starting from the
    current text; publishes and commits when it was sent valid. Returns the form, the
    current version and the newly published one (None unless published)."""
    current = queries.get_current_agreement(space.id if space is not None else None)
    form = PublishForm()
    if not form.is_submitted() and current is not None:
        form.title.data, form.body.data = current.title, current.body_source
    if not form.validate_on_submit():
        return form, current, None
    try:
        agreement = actions.check_publish_agreement(
            space=space, title=form.title.data or "", body=form.body.data or "",
            acting_user=current_user)
    except AppError as error:
        db.session.rollback()
        apply_error(form, error)
        return form, current, None
    db.session.commit()
    return form, current, agreement


@bp.route("/spaces/<int:space_id>/acceptances")
@login_required
def space_acceptances(space_id: int):  # type: ignore[no-untyped-def]
    """Facilitators see who has and has not accepted the current version."""
    space, _membership = access_space_agreement_to_manage(current_user, space_id)
    current = queries.get_current_agreement(space.id)
    rows = queries.list_acceptances(space, current)
    pending = [m for m, a in rows if current is not None and a is None]
    return render_template("agreements/acceptances.html", space=space, current=current,
                           rows=rows, pending=pending)
