"""Every change to spaces and memberships: settings, facilitators, invitations, joining, leaving."""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from community.accounts.models import User, UserStatus
from community.admin import settings as site_settings
from community.admin.audit import AuditAction, record
from community.database import utcnow
from community.errors import Conflict, Forbidden, Invalid, NotFound
from community.extensions import db
from community.realtime import events as realtime_events
from community.realtime import revocation
from community.security import hash_token
from community.spaces import queries
from community.spaces.models import (
    Anonymity,
    Invitation,
    JoinPolicy,
    JoinRequest,
    JoinRequestState,
    Membership,
    MembershipState,
    ModerationPolicy,
    Role,
    Space,
)
from community.text import normalize

NAME_MAX = 120
PURPOSE_MAX = 2000
RETENTION_MAX_DAYS = 36500
PSEUDONYM_MIN, PSEUDONYM_MAX = 2, 40
MESSAGE_MAX = 1000
INVITATION_MAX_USES = 1000
INVITATION_MAX_HOURS = 24 * 90
SETTINGS = ("name", "purpose", "join_policy", "anonymity", "moderation_policy", "retention_days")

# Letters and digits of any script, plus space . _ -
_PSEUDONYM_CHARS = re.compile(r"^[\w .\-]+$")


# --- space settings ---------------------------------------------------------------------------

def _choice(value: Any, enum_cls: type, field: str) -> Any:
    try:
        return enum_cls(value)
    except ValueError as exc:
        allowed = ", ".join(m.value for m in enum_cls)
        raise Invalid(fields={field: _("Choose one of: %(allowed)s.", allowed=allowed)}) from exc


def _clean_setting(field: str, value: Any) -> Any:
    """One validated setting value; raises Invalid naming the field."""
    if field == "name":
        name = " ".join(normalize(str(value or "")).split())
        if not 1 <= len(name) <= NAME_MAX:
            raise Invalid(fields={"name": _("Use 1 to %(n)d characters.", n=NAME_MAX)})
        return name
    if field == "purpose":
        purpose = normalize(str(value or ""))
        if len(purpose) > PURPOSE_MAX:
            raise Invalid(fields={"purpose": _("Use at most %(n)d characters.", n=PURPOSE_MAX)})
        return purpose
    if field == "join_policy":
        return _choice(value, JoinPolicy, field)
    if field == "anonymity":
        return _choice(value, Anonymity, field)
    if field == "moderation_policy":
        return _choice(value, ModerationPolicy, field)
    if field == "retention_days":
        if value is None or value == "":
            value = None
        elif isinstance(value, bool) or not isinstance(value, int) \
                or not 1 <= value <= RETENTION_MAX_DAYS:
            raise Invalid(fields={"retention_days": _(
                "Use a number of days from 1 to %(n)d, or leave it empty to keep posts.",
                n=RETENTION_MAX_DAYS)})
        problem = site_settings.retention_problem(value)  # the admins' maximum
        if problem:
            raise Invalid(fields={"retention_days": problem})
        return value
    raise Invalid(fields={field: _("Unknown setting.")})


def clean_settings(values: dict[str, Any]) -> dict[str, Any]:
    """Validate every given setting at once, so that all problems are reported together."""
    cleaned: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for field, value in values.items():
        try:
            cleaned[field] = _clean_setting(field, value)
        except Invalid as exc:
            problems.update(exc.fields or {field: exc.message})
    if problems:
        raise Invalid(fields=problems)
    return cleaned


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-")
    return slug or "space"


def _unique_slug(name: str) -> str:
    base = slugify(name)
    slug, n = base, 1
    while queries.slug_taken(slug):
        n += 1
        slug = f"{base}-{n}"
    return slug


def check_create_space(*, acting_user: User, **values: Any) -> Space:
    """Create a space from validated settings. Admins only (checked by the caller).

    Anonymity and retention not given take the site's defaults (community.admin.settings);
    a retention above the site's maximum is refused, like in check_update_space.

    Audited as space:create. Not idempotent: two calls make two spaces with distinct slugs.
    """
    unknown = set(values) - set(SETTINGS)
    if unknown:
        raise Invalid(fields={name: _("Unknown setting.") for name in sorted(unknown)})
    rules = site_settings.get_site_settings()
    if values.get("anonymity") in (None, ""):
        values["anonymity"] = rules.default_anonymity
    if values.get("retention_days") in (None, ""):
        values["retention_days"] = rules.default_retention_days
    cleaned = clean_settings({"name": values.get("name", ""), **values})
    space = Space(slug=_unique_slug(cleaned["name"]), **cleaned)
    db.session.add(space)
    db.session.flush()
    record(AuditAction.SPACE_CREATE, actor_id=acting_user.id, target_type="space",
           target_id=space.id, space_id=space.id, slug=space.slug, name=space.name)
    return space


def check_update_space(space: Space, changes: dict[str, Any], *, acting_user: User) -> list[str]:
    """Apply the given settings; returns the names of the fields that really changed.

    Audited as space:update with each changed field's old and new value; no row when
    nothing changed (idempotent).
    """
    cleaned = clean_settings(changes)
    changed: dict[str, dict[str, Any]] = {}
    for field, value in cleaned.items():
        old = getattr(space, field)
        if old != value:
            changed[field] = {"from": _plain(old), "to": _plain(value)}
            setattr(space, field, value)
    if changed:
        record(AuditAction.SPACE_UPDATE, actor_id=acting_user.id, target_type="space",
               target_id=space.id, space_id=space.id, fields=sorted(changed), changes=changed)
    return sorted(changed)


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


# --- memberships --------------------------------------------------------------------------------

def clean_pseudonym(space: Space, user: User, pseudonym: str | None) -> str | None:
    """The pseudonym to store under the space's anonymity policy, or None for none.

    Raises Invalid on the field `pseudonym` with a message saying what to change.
    """
    value = " ".join(normalize(pseudonym or "").split())
    field = "pseudonym"
    if space.anonymity == Anonymity.REAL_NAMES:
        if value:
            raise Invalid(fields={field: _(
                "This space uses real names; leave the pseudonym empty.")})
        return None
    if not value:
        if space.anonymity == Anonymity.PSEUDONYMS_REQUIRED:
            raise Invalid(code="pseudonym_required", fields={field: _(
                "This space asks every member to choose a pseudonym.")})
        return None
    email = (user.email or "").casefold()
    if email and value.casefold() in (email, email.partition("@")[0]):
        raise Invalid(fields={field: _("Do not use your e-mail address as a pseudonym.")})
    if not PSEUDONYM_MIN <= len(value) <= PSEUDONYM_MAX:
        raise Invalid(fields={field: _("Use %(a)d to %(b)d characters.",
                                       a=PSEUDONYM_MIN, b=PSEUDONYM_MAX)})
    if not _PSEUDONYM_CHARS.match(value):
        raise Invalid(fields={field: _(
            "Use only letters, digits, spaces, dots, hyphens and underscores.")})
    if queries.pseudonym_taken(space.id, value, except_user_id=user.id):
        raise Invalid(code="pseudonym_taken", fields={field: _(
            "Someone in this space already uses this pseudonym. Please choose another.")})
    return value


def _flush_membership(membership: Membership) -> Membership:
    """Flush inside a savepoint: a pseudonym taken by a concurrent join becomes a 409."""
    try:
        with db.session.begin_nested():
            db.session.add(membership)
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(_("This pseudonym was taken a moment ago. Please choose another."),
                       code="pseudonym_taken",
                       fields={"pseudonym": _("Please choose another pseudonym.")}) from exc
    return membership


def _activate(space: Space, user: User, *, role: Role, pseudonym: str | None) -> Membership:
    """A new active membership, or the user's earlier ended one made active again."""
    membership = queries.get_membership(user, space.id)
    if membership is None:
        membership = Membership(space_id=space.id, user_id=user.id)
    membership.role = role
    membership.state = MembershipState.ACTIVE
    membership.pseudonym = pseudonym
    membership.pseudonym_key = pseudonym.casefold() if pseudonym else None
    membership.joined_at = utcnow()
    membership.ended_at = None
    _flush_membership(membership)
    realtime_events.record_member_joined(membership)
    return membership


def do_appoint_facilitator(space: Space, user: User, *, acting_user: User) -> Membership:
    """Make `user` a facilitator of `space`: promote an active member, else add them.

    Audited as membership:role. Idempotent: an existing facilitator is left as is, unaudited.
    """
    if user.status != UserStatus.ACTIVE:
        raise Invalid(fields={"user_id": _("This account is not active.")})
    membership = queries.get_membership(user, space.id)
    if membership is not None and membership.is_facilitator:
        return membership
    previous = membership.role.value if membership is not None and membership.is_active else None
    if membership is not None and membership.is_active:
        membership.role = Role.FACILITATOR
        db.session.flush()
    else:
        # Facilitators act under their own name; an earlier pseudonym is kept as it was.
        old = membership.pseudonym if membership is not None else None
        membership = _activate(space, user, role=Role.FACILITATOR, pseudonym=old)
    record(AuditAction.MEMBER_ROLE, actor_id=acting_user.id, target_type="user",
           target_id=user.id, space_id=space.id, role=Role.FACILITATOR.value,
           previous_role=previous)
    return membership


def check_remove_member(space: Space, membership: Membership, *, acting_user: User) -> None:
    """End an active membership: `removed` by a facilitator, `left` when acting on oneself.

    Raises Conflict (last_facilitator) when it would leave the space without a facilitator.
    Audited as membership:remove or membership:leave. Access ends at once, because every
    access_* check requires an active membership; records member.left, and after the
    commit the member's live connections lose the space (realtime revocation).
    """
    if not membership.is_active:
        raise NotFound()
    if membership.role == Role.FACILITATOR and len(queries.list_facilitators(space)) <= 1:
        raise Conflict(_("A space needs at least one facilitator. Appoint another first."),
                       code="last_facilitator")
    leaving = membership.user_id == acting_user.id
    membership.state = MembershipState.LEFT if leaving else MembershipState.REMOVED
    membership.ended_at = utcnow()
    record(AuditAction.MEMBER_LEAVE if leaving else AuditAction.MEMBER_REMOVE,
           actor_id=acting_user.id, target_type="user", target_id=membership.user_id,
           space_id=space.id, role=membership.role.value)
    realtime_events.record_member_left(membership)
    revocation.revoke(membership.user_id, space.id, "left" if leaving else "removed")


def check_reveal_identity(space: Space, membership: Membership, *, acting_user: User) -> User:
    """Who is behind a member's pseudonym, for a facilitator (checked by the caller).

    Raises Forbidden (identity_hidden) unless the site lets facilitators look identities
    up. Audited as identity:reveal (ids only), also for members without a pseudonym, so
    that admins see every look-up. Not idempotent: each look-up is a new audit row.
    """
    if not site_settings.facilitators_may_reveal_identity():
        raise Forbidden(_("On this site facilitators see members only by their pseudonyms."),
                        code="identity_hidden")
    record(AuditAction.IDENTITY_REVEAL, actor_id=acting_user.id, target_type="user",
           target_id=membership.user_id, space_id=space.id)
    return membership.user


# --- invitations --------------------------------------------------------------------------------

def invitation_url(token: str) -> str:
    return f"{current_app.config['BASE_URL']}/invitations/{token}"


def check_create_invitation(space: Space, *, role: str = Role.MEMBER.value, max_uses: int = 1,
                            expires_in_hours: int = 72, acting_user: User
                            ) -> tuple[Invitation, str]:
    """An invitation link; the raw token is returned once and stored only hashed.

    Audited as invitation:create (without the token).
    """
    problems: dict[str, str] = {}
    try:
        role_value = Role(role)
    except ValueError:
        problems["role"] = _("Choose member or facilitator.")
    if isinstance(max_uses, bool) or not isinstance(max_uses, int) \
            or not 1 <= max_uses <= INVITATION_MAX_USES:
        problems["max_uses"] = _("Use a number from 1 to %(n)d.", n=INVITATION_MAX_USES)
    if isinstance(expires_in_hours, bool) or not isinstance(expires_in_hours, int) \
            or not 1 <= expires_in_hours <= INVITATION_MAX_HOURS:
        problems["expires_in_hours"] = _("Use a number of hours from 1 to %(n)d.",
                                         n=INVITATION_MAX_HOURS)
    if problems:
        raise Invalid(fields=problems)
    raw = secrets.token_urlsafe(24)
    invitation = Invitation(space_id=space.id, role=role_value, token_hash=hash_token(raw),
                            created_by_id=acting_user.id, max_uses=max_uses,
                            expires_at=utcnow() + timedelta(hours=expires_in_hours))
    db.session.add(invitation)
    db.session.flush()
    record(AuditAction.INVITATION_CREATE, actor_id=acting_user.id, target_type="invitation",
           target_id=invitation.id, space_id=space.id, role=role_value.value,
           max_uses=max_uses, expires_at=invitation.expires_at.isoformat())
    return invitation, raw


def do_revoke_invitation(invitation: Invitation, *, acting_user: User) -> None:
    """Idempotent: revoking a revoked invitation changes nothing and writes no audit row."""
    if invitation.revoked_at is not None:
        return
    invitation.revoked_at = utcnow()
    record(AuditAction.INVITATION_REVOKE, actor_id=acting_user.id, target_type="invitation",
           target_id=invitation.id, space_id=invitation.space_id)


class InvitationInvalid(NotFound):
    """Unknown, expired, revoked or used-up invitation: always 404 `invitation_invalid`.

    One status for every case, so a client handles them alike; the message says which.
    """

    code = "invitation_invalid"

    def default_message(self) -> str:
        return _("This invitation link is not valid.")


def invitation_problem(invitation: Invitation | None) -> str | None:
    """Why the invitation cannot be used, as a sentence; None when it can."""
    if invitation is None:
        return _("This invitation link is not valid.")
    if invitation.revoked_at is not None:
        return _("This invitation has been withdrawn.")
    if invitation.expires_at <= utcnow():
        return _("This invitation has expired. Ask your facilitator for a new one.")
    if invitation.uses >= invitation.max_uses:
        return _("This invitation has already been used. Ask your facilitator for a new one.")
    if invitation.space.archived_at is not None:
        return _("This space is closed.")
    return None


def check_accept_invitation(token: str, *, user: User, pseudonym: str | None = None
                            ) -> tuple[Membership, bool]:
    """Join the invitation's space with its role; returns (membership, joined now).

    A user already active in the space keeps their membership and uses nothing. A removed
    or departed member is made active again. Raises InvitationInvalid (404) for a token
    that cannot be used and Invalid for a bad pseudonym; in both cases nothing is written.
    Audited as membership:join.
    """
    invitation = queries.get_invitation_by_token(token)
    if invitation is not None:
        current = queries.get_membership(user, invitation.space_id)
        if current is not None and current.is_active:
            return current, False
    problem = invitation_problem(invitation)
    if problem or invitation is None:
        raise InvitationInvalid(problem)
    space = invitation.space
    value = clean_pseudonym(space, user, pseudonym)
    # Count the use atomically, so that two people racing for the last use cannot both win.
    counted = db.session.execute(
        sa.update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.uses < Invitation.max_uses,
               Invitation.revoked_at.is_(None))
        .values(uses=Invitation.uses + 1)
        .execution_options(synchronize_session=False))
    if counted.rowcount != 1:  # type: ignore[attr-defined]
        raise InvitationInvalid(_("This invitation has already been used."))
    db.session.refresh(invitation)
    membership = _activate(space, user, role=invitation.role, pseudonym=value)
    record(AuditAction.MEMBER_JOIN, actor_id=user.id, target_type="user", target_id=user.id,
           space_id=space.id, role=invitation.role.value, invitation_id=invitation.id)
    return membership, True


# --- join requests ------------------------------------------------------------------------------

def check_request_to_join(space: Space, *, user: User, pseudonym: str | None = None,
                          message: str = "") -> JoinRequest:
    """Ask to join a space whose join policy is `request`.

    The caller has checked that the space takes requests. A pending request is updated
    rather than duplicated; a declined one is reopened. Raises Conflict for active members.
    """
    current = queries.get_membership(user, space.id)
    if current is not None and current.is_active:
        raise Conflict(_("You are already a member of this space."), code="already_member")
    text = normalize(message or "")
    problems: dict[str, str] = {}
    if len(text) > MESSAGE_MAX:
        problems["message"] = _("Use at most %(n)d characters.", n=MESSAGE_MAX)
    try:
        value = clean_pseudonym(space, user, pseudonym)
    except Invalid as exc:
        problems.update(exc.fields or {})
    if problems:
        raise Invalid(fields=problems)
    request = queries.get_join_request(space.id, user.id)
    if request is None:
        request = JoinRequest(space_id=space.id, user_id=user.id)
        db.session.add(request)
    request.pseudonym = value
    request.message = text
    request.state = JoinRequestState.PENDING
    request.created_at = utcnow()
    request.decided_at = None
    request.decided_by_id = None
    db.session.flush()
    return request


def check_decide_join_request(request: JoinRequest, *, approve: bool,
                              acting_user: User) -> Membership | None:
    """Approve (the requester becomes an active member) or decline a pending request.

    Raises Conflict when it was already decided, or when the pseudonym it asked for has
    been taken since. Audited as join_request:decide (and membership:join on approval).
    """
    if request.state != JoinRequestState.PENDING:
        raise Conflict(_("This request has already been decided."), code="already_decided")
    space = request.space
    membership = None
    if approve:
        current = queries.get_membership(request.user, space.id)
        if current is not None and current.is_active:
            membership = current
        else:
            if request.pseudonym and queries.pseudonym_taken(
                    space.id, request.pseudonym, except_user_id=request.user_id):
                raise Conflict(_("Someone has taken the requested pseudonym since. Decline "
                                 "and ask them to request again."), code="pseudonym_taken")
            membership = _activate(space, request.user, role=Role.MEMBER,
                                   pseudonym=request.pseudonym)
            record(AuditAction.MEMBER_JOIN, actor_id=acting_user.id, target_type="user",
                   target_id=request.user_id, space_id=space.id, role=Role.MEMBER.value,
                   join_request_id=request.id)
    request.state = JoinRequestState.APPROVED if approve else JoinRequestState.DECLINED
    request.decided_at = utcnow()
    request.decided_by_id = acting_user.id
    record(AuditAction.JOIN_REQUEST_DECIDE, actor_id=acting_user.id, target_type="join_request",
           target_id=request.id, space_id=space.id, user_id=request.user_id,
           decision=request.state.value)
    return membership
