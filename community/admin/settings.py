"""The site's confidentiality rules: read them anywhere, change them as an admin (audited)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _

from community.accounts.models import User
from community.admin.audit import AuditAction, record
from community.admin.models import SiteSettings
from community.database import utcnow
from community.errors import Invalid
from community.extensions import db

SETTINGS_ID = 1
RETENTION_LIMIT = 36500  # the same bound as a space's own setting
ANONYMITY_VALUES = ("real_names", "pseudonyms_allowed", "pseudonyms_required")
SIGNUP_VALUES = ("open", "invite")
FIELDS = ("default_anonymity", "facilitators_see_identity", "default_retention_days",
          "max_retention_days", "export_threads", "signup")


def get_site_settings() -> SiteSettings:
    """The stored row, or an unsaved one holding the defaults (never added to the session)."""
    row = db.session.get(SiteSettings, SETTINGS_ID)
    if row is not None:
        return row
    return SiteSettings(id=SETTINGS_ID, default_anonymity="pseudonyms_allowed",
                        facilitators_see_identity=False, default_retention_days=None,
                        max_retention_days=None, export_threads=False, signup=None)


def signup_mode() -> str:
    """`open` or `invite`: the admins' choice, else COMMUNITY_SIGNUP."""
    return get_site_settings().signup or current_app.config["SIGNUP"]


def signup_open() -> bool:
    return signup_mode() == "open"


def facilitators_may_reveal_identity() -> bool:
    return bool(get_site_settings().facilitators_see_identity)


def retention_problem(days: int | None) -> str | None:
    """Why a space may not keep posts for `days` (None: keep forever), or None if it may."""
    maximum = get_site_settings().max_retention_days
    if maximum is None:
        return None
    if days is None or days > maximum:
        return _("The site keeps posts for at most %(n)d days; use %(n)d or fewer.", n=maximum)
    return None


def _days(field: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= RETENTION_LIMIT:
        raise Invalid(fields={field: _(
            "Use a number of days from 1 to %(n)d, or leave it empty.", n=RETENTION_LIMIT)})
    return value


def _clean(field: str, value: Any) -> Any:
    if field == "default_anonymity":
        if value not in ANONYMITY_VALUES:
            raise Invalid(fields={field: _("Choose one of: %(allowed)s.",
                                           allowed=", ".join(ANONYMITY_VALUES))})
        return value
    if field in ("facilitators_see_identity", "export_threads"):
        if not isinstance(value, bool):
            raise Invalid(fields={field: _("Use true or false.")})
        return value
    if field in ("default_retention_days", "max_retention_days"):
        return _days(field, value)
    if field == "signup":
        if value not in SIGNUP_VALUES:
            raise Invalid(fields={field: _("Choose open or invite.")})
        return value
    raise Invalid(fields={field: _("Unknown setting.")})


def check_update_site_settings(changes: dict[str, Any], *, acting_user: User) -> list[str]:
    """Change the given rules; returns the names of those that really changed.

    All fields are validated together (Invalid names each bad one); the default retention
    may not exceed the maximum. Audited as site:settings with old and new values; no row
    and no change when nothing differs (idempotent). Spaces already longer than a new
    maximum keep their setting until it is next changed (the purge uses the smaller, see
    community.privacy.retention).
    """
    cleaned: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for field, value in changes.items():
        try:
            cleaned[field] = _clean(field, value)
        except Invalid as exc:
            problems.update(exc.fields or {field: exc.message})
    current = get_site_settings()
    merged = {f: cleaned.get(f, getattr(current, f)) for f in FIELDS}
    maximum, default = merged["max_retention_days"], merged["default_retention_days"]
    if maximum is not None and "default_retention_days" not in problems and (
            default is None or default > maximum):
        problems["default_retention_days"] = _(
            "Must be set and at most the maximum (%(n)d days).", n=maximum)
    if problems:
        raise Invalid(fields=problems)
    changed = {f: {"from": getattr(current, f), "to": v} for f, v in cleaned.items()
               if getattr(current, f) != v}
    if not changed:
        return []
    row = db.session.get(SiteSettings, SETTINGS_ID)
    if row is None:
        row = current
        db.session.add(row)
    for field in changed:
        setattr(row, field, cleaned[field])
    row.updated_at, row.updated_by_id = utcnow(), acting_user.id
    db.session.flush()
    record(AuditAction.SITE_SETTINGS, actor_id=acting_user.id, target_type="site",
           target_id=None, fields=sorted(changed), changes=changed)
    return sorted(changed)
