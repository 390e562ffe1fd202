"""Space pages: the list, a space, its settings, roster, invitations and join requests."""

from __future__ import annotations

from http import HTTPStatus

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community.accounts.actions import normalize_email
from community.accounts.forms import ConfirmForm
from community.accounts.queries import get_user_by_email
from community.admin.settings import facilitators_may_reveal_identity, get_site_settings
from community.errors import AppError, Forbidden, Invalid, NotFound
from community.extensions import db
from community.forms import apply_error
from community.policy import Permission
from community.spaces import actions, queries
from community.spaces.access import (
    access_invitation_by_id,
    access_join_request_by_id,
    access_joinable_space_by_id,
    access_membership_to_end,
    access_space_by_id,
)
from community.spaces.forms import (
    FacilitatorForm,
    InvitationForm,
    JoinForm,
    JoinRequestForm,
    SpaceForm,
)
from community.spaces.models import Anonymity, JoinPolicy

bp = Blueprint("spaces", __name__)


def _failed(form, error: AppError) -> None:  # type: ignore[no-untyped-def]
    """Nothing of a failed action may be written: drop it, then show why next to the fields."""
    db.session.rollback()
    apply_error(form, error)


def _status(form) -> int:  # type: ignore[no-untyped-def]
    return HTTPStatus.BAD_REQUEST if form.errors or form.form_errors else HTTPStatus.OK


@bp.route("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    memberships = {m.space_id: m for m in queries.list_memberships_of(current_user)}
    return render_template("spaces/index.html", spaces=queries.list_spaces_for(current_user),
                           memberships=memberships)


@bp.route("/spaces/new", methods=["GET", "POST"])
@login_required
def create():  # type: ignore[no-untyped-def]
    if not current_user.is_admin:
        raise Forbidden(_("Only site admins create spaces."))
    form = SpaceForm()
    if not form.is_submitted():  # start from the site's defaults
        rules = get_site_settings()
        form.anonymity.data = rules.default_anonymity
        form.retention_days.data = rules.default_retention_days
    if form.validate_on_submit():
        try:
            space = actions.check_create_space(acting_user=current_user, **form.settings())
        except AppError as error:
            _failed(form, error)
        else:
            db.session.commit()
            flash(_("The space is created. Now appoint its facilitators."))
            return redirect(url_for("spaces.facilitators", space_id=space.id))
    return render_template("spaces/create.html", form=form), _status(form)


@bp.route("/spaces/<int:space_id>")
@login_required
def show(space_id: int):  # type: ignore[no-untyped-def]
    space, membership = access_space_by_id(current_user, space_id, Permission.VIEW_SPACE)
    if membership is None:  # a site admin who does not belong to the space: settings only
        return render_template("spaces/overview.html", space=space,
                               facilitators=queries.list_facilitators(space))
    space, membership = access_space_by_id(current_user, space_id, Permission.READ_CONTENT)
    return render_template("spaces/show.html", space=space, membership=membership,
                           leave_form=ConfirmForm())


@bp.route("/spaces/<int:space_id>/settings", methods=["GET", "POST"])
@login_required
def settings(space_id: int):  # type: ignore[no-untyped-def]
    space, membership = access_space_by_id(current_user, space_id, Permission.MANAGE_SPACE)
    form = SpaceForm(obj=space)
    if not form.is_submitted():
        form.join_policy.data = space.join_policy.value
        form.anonymity.data = space.anonymity.value
        form.moderation_policy.data = space.moderation_policy.value
    if form.validate_on_submit():
        try:
            changed = actions.check_update_space(space, form.settings(), acting_user=current_user)
        except AppError as error:
            _failed(form, error)
        else:
            db.session.commit()
            flash(_("The settings are saved.") if changed else _("Nothing was changed."))
            return redirect(url_for("spaces.settings", space_id=space.id))
    return render_template("spaces/settings.html", form=form, space=space,
                           membership=membership), _status(form)


@bp.route("/spaces/<int:space_id>/facilitators", methods=["GET", "POST"])
@login_required
def facilitators(space_id: int):  # type: ignore[no-untyped-def]
    space, _membership = access_space_by_id(current_user, space_id,
                                            Permission.APPOINT_FACILITATOR)
    form = FacilitatorForm()
    if form.validate_on_submit():
        try:
            user = get_user_by_email(normalize_email(form.email.data or ""))
            if user is None:
                raise Invalid(fields={"email": _("There is no account with this e-mail.")})
            actions.do_appoint_facilitator(space, user, acting_user=current_user)
        except AppError as error:
            if error.fields and "user_id" in error.fields:  # the API's field is the form's e-mail
                error = Invalid(fields={"email": error.fields["user_id"]})
            _failed(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s is now a facilitator of this space.", name=user.display_name))
            return redirect(url_for("spaces.facilitators", space_id=space.id))
    return render_template("spaces/facilitators.html", form=form, space=space,
                           facilitators=queries.list_facilitators(space)), _status(form)


def _members_page(space, membership, revealed=None):  # type: ignore[no-untyped-def]
    as_facilitator = membership is not None and membership.is_facilitator
    roster = sorted(queries.list_members(space),
                    key=lambda m: (m.role.value != "facilitator", queries.shown_name(m).casefold()))
    entries = [queries.roster_entry(m, as_facilitator=as_facilitator,
                                    revealed=revealed is not None and m.user_id == revealed)
               for m in roster]
    return render_template("spaces/members.html", space=space, membership=membership,
                           entries=entries, as_facilitator=as_facilitator,
                           may_reveal=as_facilitator and facilitators_may_reveal_identity(),
                           remove_form=ConfirmForm())


@bp.route("/spaces/<int:space_id>/members")
@login_required
def members(space_id: int):  # type: ignore[no-untyped-def]
    space, membership = access_space_by_id(current_user, space_id, Permission.READ_CONTENT)
    return _members_page(space, membership)


@bp.route("/spaces/<int:space_id>/members/<int:user_id>/identity", methods=["POST"])
@login_required
def reveal_identity(space_id: int, user_id: int):  # type: ignore[no-untyped-def]
    """Show one member's real name on the roster: an explicit, audited look-up."""
    space, membership = access_space_by_id(current_user, space_id, Permission.MANAGE_SPACE)
    target = queries.get_active_membership_of_user(space, user_id)
    if target is None:
        raise NotFound()
    if not ConfirmForm().validate_on_submit():
        raise Invalid()
    actions.check_reveal_identity(space, target, acting_user=current_user)
    db.session.commit()
    return _members_page(space, membership, revealed=user_id)


@bp.route("/spaces/<int:space_id>/members/<int:user_id>/remove", methods=["POST"])
@login_required
def remove_member(space_id: int, user_id: int):  # type: ignore[no-untyped-def]
    space, membership = access_membership_to_end(current_user, space_id, user_id)
    leaving = membership.user_id == current_user.id
    form = ConfirmForm()
    if not form.validate_on_submit():
        raise Invalid()
    try:
        actions.check_remove_member(space, membership, acting_user=current_user)
    except AppError as error:
        db.session.rollback()
        flash(error.message, "error")
        target = "spaces.show" if leaving else "spaces.members"
        return redirect(url_for(target, space_id=space_id))
    db.session.commit()
    if leaving:
        flash(_("You have left the space."))
        return redirect(url_for("spaces.index"))
    flash(_("The member is removed from the space."))
    return redirect(url_for("spaces.members", space_id=space_id))


@bp.route("/spaces/<int:space_id>/invitations", methods=["GET", "POST"])
@login_required
def invitations(space_id: int):  # type: ignore[no-untyped-def]
    space, membership = access_space_by_id(current_user, space_id, Permission.MANAGE_SPACE)
    form = InvitationForm()
    created_url = None
    if form.validate_on_submit():
        try:
            _invitation, token = actions.check_create_invitation(
                space, role=form.role.data or "member", max_uses=form.max_uses.data or 0,
                expires_in_hours=form.expires_in_hours.data or 0, acting_user=current_user)
        except AppError as error:
            _failed(form, error)
        else:
            db.session.commit()
            created_url = actions.invitation_url(token)
            form = InvitationForm(formdata=None)
    return render_template("spaces/invitations.html", form=form, space=space,
                           membership=membership, created_url=created_url,
                           invitations=queries.list_invitations(space),
                           problem=actions.invitation_problem,
                           revoke_form=ConfirmForm()), _status(form)


@bp.route("/spaces/<int:space_id>/invitations/<int:invitation_id>/revoke", methods=["POST"])
@login_required
def revoke_invitation(space_id: int, invitation_id: int):  # type: ignore[no-untyped-def]
    space, _membership = access_space_by_id(current_user, space_id, Permission.MANAGE_SPACE)
    invitation = access_invitation_by_id(space, invitation_id)
    if not ConfirmForm().validate_on_submit():
        raise Invalid()
    actions.do_revoke_invitation(invitation, acting_user=current_user)
    db.session.commit()
    flash(_("The invitation is withdrawn; its link no longer works."))
    return redirect(url_for("spaces.invitations", space_id=space_id))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str):  # type: ignore[no-untyped-def]
    """Open to signed-out visitors, who are sent to sign in or sign up and brought back."""
    found = queries.get_invitation_by_token(token)
    if current_user.is_authenticated and found is not None:
        current = queries.get_membership(current_user, found.space_id)
        if current is not None and current.is_active:
            flash(_("You are already a member of this space."))
            return redirect(url_for("spaces.show", space_id=found.space_id))
    problem = actions.invitation_problem(found)
    if problem or found is None:
        return render_template("spaces/invitation_invalid.html", message=problem), \
            HTTPStatus.NOT_FOUND
    space = found.space
    here = url_for("spaces.invitation", token=token)
    if not current_user.is_authenticated:
        return render_template(
            "spaces/invitation.html", space=space, form=None,
            sign_in_url=url_for("accounts.sign_in", next=here),
            sign_up_url=url_for("accounts.sign_up", invitation=token, next=here))
    form = JoinForm()
    if form.validate_on_submit():
        try:
            actions.check_accept_invitation(token, user=current_user,
                                            pseudonym=form.pseudonym.data)
        except actions.InvitationInvalid as error:
            db.session.rollback()
            return render_template("spaces/invitation_invalid.html", message=error.message), \
                HTTPStatus.NOT_FOUND
        except AppError as error:
            _failed(form, error)
        else:
            db.session.commit()
            flash(_("Welcome to %(name)s!", name=space.name))
            return redirect(url_for("spaces.show", space_id=space.id))
    return render_template("spaces/invitation.html", space=space, form=form,
                           asks_pseudonym=space.anonymity != Anonymity.REAL_NAMES,
                           pseudonym_required=space.anonymity == Anonymity.PSEUDONYMS_REQUIRED
                           ), _status(form)


@bp.route("/spaces/<int:space_id>/join", methods=["GET", "POST"])
@login_required
def join(space_id: int):  # type: ignore[no-untyped-def]
    """For spaces that take requests: name, purpose, and a request form for non-members."""
    current = queries.get_membership(current_user, space_id)
    if current is not None and current.is_active:
        return redirect(url_for("spaces.show", space_id=space_id))
    space = access_joinable_space_by_id(current_user, space_id)
    form = JoinRequestForm()
    if form.validate_on_submit():
        try:
            actions.check_request_to_join(space, user=current_user,
                                          pseudonym=form.pseudonym.data,
                                          message=form.message.data or "")
        except AppError as error:
            _failed(form, error)
        else:
            db.session.commit()
            flash(_("Your request is sent. A facilitator will look at it."))
            return redirect(url_for("spaces.join", space_id=space.id))
    pending = queries.get_join_request(space.id, current_user.id)
    return render_template("spaces/join.html", space=space, form=form, request_row=pending,
                           asks_pseudonym=space.anonymity != Anonymity.REAL_NAMES,
                           pseudonym_required=space.anonymity == Anonymity.PSEUDONYMS_REQUIRED
                           ), _status(form)


@bp.route("/spaces/<int:space_id>/join-requests")
@login_required
def join_requests(space_id: int):  # type: ignore[no-untyped-def]
    space, membership = access_space_by_id(current_user, space_id, Permission.MANAGE_SPACE)
    return render_template("spaces/join_requests.html", space=space, membership=membership,
                           requests=queries.list_pending_join_requests(space),
                           takes_requests=space.join_policy == JoinPolicy.REQUEST,
                           decide_form=ConfirmForm())


@bp.route("/spaces/<int:space_id>/join-requests/<int:request_id>/<any(approve, decline):decision>",
          methods=["POST"])
@login_required
def decide_join_request(space_id: int, request_id: int, decision: str):  # type: ignore[no-untyped-def]
    space, _membership = access_space_by_id(current_user, space_id, Permission.MANAGE_SPACE)
    join_request = access_join_request_by_id(space, request_id)
    if not ConfirmForm().validate_on_submit():
        raise Invalid()
    try:
        actions.check_decide_join_request(join_request, approve=decision == "approve",
                                          acting_user=current_user)
    except AppError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The request is approved.") if decision == "approve"
              else _("The request is declined."))
    return redirect(url_for("spaces.join_requests", space_id=space_id))
