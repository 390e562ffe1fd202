"""Every change to accounts: sign-up, profile, password, tokens, suspension."""

from __future__ import annotations

import secrets

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from community.accounts import queries
from community.accounts.models import ApiToken, User, UserStatus
from community.accounts.passwords import hash_password, password_problem, verify_password
from community.admin.audit import AuditAction, record
from community.config import SUPPORTED_LOCALES
from community.database import utcnow
from community.errors import Conflict, Forbidden, Invalid
from community.extensions import db
from community.realtime import revocation
from community.security import hash_token

DISPLAY_NAME_MAX = 80
TOKEN_NAME_MAX = 80


def normalize_email(email: str) -> str:
    """Lower-cased, IDNA-normalised address; raises Invalid for anything unusable."""
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise Invalid(fields={"email": _("Enter a valid e-mail address.")}) from exc
    return result.normalized.lower()


def clean_display_name(name: str) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= DISPLAY_NAME_MAX:
        raise Invalid(fields={"display_name": _("Use 1 to %(n)d characters.", n=DISPLAY_NAME_MAX)})
    return name


def check_password(password: str, field: str = "password") -> str:
    problem = password_problem(password)
    if problem:
        raise Invalid(fields={field: problem})
    return password


def check_signup(*, email: str, password: str, display_name: str,
                 acting_user: User | None = None) -> User:
    """Validate and create an account. Audited as user:signup. Not idempotent.

    Raises Invalid for bad fields and Conflict when the e-mail is taken.
    """
    fields: dict[str, str] = {}
    for name, check in (("email", lambda: normalize_email(email)),
                        ("password", lambda: check_password(password)),
                        ("display_name", lambda: clean_display_name(display_name))):
        try:
            check()
        except Invalid as exc:
            fields.update(exc.fields or {name: exc.message})
    if fields:
        raise Invalid(fields=fields)
    normalized = normalize_email(email)
    if queries.get_user_by_email(normalized) is not None:
        raise Conflict(_("An account with this e-mail address already exists."),
                       code="email_taken", fields={"email": _("This e-mail is already in use.")})
    return do_create_user(email=normalized, password=password,
                          display_name=clean_display_name(display_name), acting_user=acting_user)


def do_create_user(*, email: str, password: str, display_name: str, is_admin: bool = False,
                   acting_user: User | None = None) -> User:
    user = User(email=email, password_hash=hash_password(password), display_name=display_name,
                is_admin=is_admin)
    db.session.add(user)
    db.session.flush()
    record(AuditAction.USER_SIGNUP, actor_id=acting_user.id if acting_user else user.id,
           target_type="user", target_id=user.id, is_admin=is_admin)
    return user


def check_credentials(*, email: str, password: str) -> User | None:
    """The active user with these credentials, or None; same answer for every failure."""
    try:
        normalized = normalize_email(email)
    except Invalid:
        return None
    user = queries.get_user_by_email(normalized)
    if user is None:
        hash_password(password)  # spend the same time as a real check
        return None
    if not verify_password(user.password_hash, password) or user.status != UserStatus.ACTIVE:
        return None
    return user


def do_update_profile(user: User, *, display_name: str | None = None,
                      locale: str | None = None) -> User:
    if display_name is not None:
        user.display_name = clean_display_name(display_name)
    if locale is not None:
        if locale and locale not in SUPPORTED_LOCALES:
            raise Invalid(fields={"locale": _("Choose one of the offered languages.")})
        user.locale = locale or None
    return user


def check_change_password(user: User, *, current: str, new: str) -> None:
    """Change the password and end every other session of the account."""
    if not verify_password(user.password_hash, current):
        raise Invalid(fields={"current_password": _("This is not your current password.")})
    check_password(new, field="new_password")
    user.password_hash = hash_password(new)
    user.session_version += 1
    revocation.revoke_user(user.id, "signed_out")


def do_create_token(user: User, *, name: str) -> tuple[ApiToken, str]:
    """Create a personal API token; the raw token is returned once and stored only hashed."""
    name = " ".join(name.split()) or _("API token")
    if len(name) > TOKEN_NAME_MAX:
        raise Invalid(fields={"name": _("Use at most %(n)d characters.", n=TOKEN_NAME_MAX)})
    raw = f"cc_{secrets.token_urlsafe(32)}"
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(raw), prefix=raw[:8])
    db.session.add(token)
    db.session.flush()
    return token, raw


def do_revoke_token(token: ApiToken) -> None:
    """Idempotent: revoking a revoked token changes nothing. Live connections signed in
    with the token are closed after the commit."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        revocation.revoke_token(token.user_id, token.token_hash, "token_revoked")


def do_suspend_user(user: User, *, reason: str, acting_user: User) -> None:
    """Suspend: sign-in refused, sessions and tokens stop working. Audited as user:suspend."""
    if user.id == acting_user.id:
        raise Forbidden(_("You cannot suspend yourself."))
    reason = reason.strip()
    if not reason:
        raise Invalid(fields={"reason": _("Say why the account is suspended.")})
    if user.status == UserStatus.SUSPENDED:
        return
    user.status = UserStatus.SUSPENDED
    user.suspended_reason = reason[:500]
    user.session_version += 1
    revocation.revoke_user(user.id, "suspended")
    record(AuditAction.USER_SUSPEND, actor_id=acting_user.id, target_type="user",
           target_id=user.id, reason=user.suspended_reason)


def do_unsuspend_user(user: User, *, acting_user: User) -> None:
    if user.status != UserStatus.SUSPENDED:
        return
    user.status = UserStatus.ACTIVE
    user.suspended_reason = None
    record(AuditAction.USER_UNSUSPEND, actor_id=acting_user.id, target_type="user",
           target_id=user.id)


def do_set_admin(user: User, *, is_admin: bool, acting_user: User) -> None:
    if user.is_admin == is_admin:
        return
    if user.id == acting_user.id and not is_admin:
        raise Forbidden(_("You cannot remove your own admin rights."))
    user.is_admin = is_admin
    record(AuditAction.USER_MAKE_ADMIN, actor_id=acting_user.id, target_type="user",
           target_id=user.id, is_admin=is_admin)
