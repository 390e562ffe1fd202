"""The resource library: members suggest, facilitators add, approve, edit and re-check."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import gettext as _

from community import text
from community.admin.audit import AuditAction, record
from community.database import utcnow
from community.errors import Conflict, Invalid, NotFound
from community.extensions import db
from community.facilitation.models.activities import Dots
from community.facilitation.models.resources import Resource, ResourceState
from community.forums.access import (
    Reader,
    access_space_content,
    require_can_post,
    require_moderator,
)

RECHECK_AFTER = timedelta(days=180)
URL_MAX, TITLE_MAX, ORG_MAX, GOOD_FOR_MAX = 2000, 200, 200, 2000
EDITABLE = ("title", "url", "good_for", "source_org", "dots")


def clean_url(raw: object) -> str:
    """An absolute http(s) URL with a host; anything else (javascript:, data:) is refused."""
    url = text.normalize_line(raw if isinstance(raw, str) else "")
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if (parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname
            or len(url) > URL_MAX or any(c.isspace() for c in url)):
        raise Invalid(fields={"url": _("Give a web address starting with http:// or https://.")})
    return url


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    limits = {"title": (3, TITLE_MAX), "source_org": (0, ORG_MAX)}
    for name, (low, high) in limits.items():
        if name in values:
            value = text.normalize_line(values[name] if isinstance(values[name], str) else "")
            if not low <= len(value) <= high:
                raise Invalid(fields={name: _("Use %(a)d to %(b)d characters.", a=low, b=high)})
            cleaned[name] = value
    if "good_for" in values:
        value = text.normalize(values["good_for"] if isinstance(values["good_for"], str) else "")
        if len(value) > GOOD_FOR_MAX:
            raise Invalid(fields={"good_for": _("Use at most %(n)d characters.", n=GOOD_FOR_MAX)})
        cleaned["good_for"] = value
    if "url" in values:
        cleaned["url"] = clean_url(values["url"])
    if "dots" in values:
        try:
            cleaned["dots"] = Dots(values["dots"])
        except ValueError:
            raise Invalid(fields={"dots": _("Choose one of the options.")}) from None
    return cleaned


# --- reads -------------------------------------------------------------------------------

def access_resource_by_id(user: Any, resource_id: int) -> tuple[Resource, Reader]:
    """A resource the caller may see: approved ones for members, their own suggestions,
    everything for facilitators. The same NotFound otherwise."""
    resource = db.session.get(Resource, resource_id) if user.is_authenticated else None
    if resource is None:
        raise NotFound()
    reader = access_space_content(user, resource.space_id)
    if not (reader.is_facilitator or resource.state == ResourceState.APPROVED
            or resource.suggested_by_id == reader.user_id):
        raise NotFound()
    return resource, reader


def list_resources(reader: Reader, *, state: ResourceState | None = None) -> list[Resource]:
    query = sa.select(Resource).where(Resource.space_id == reader.space.id)
    if not reader.is_facilitator:
        query = query.where(sa.or_(Resource.state == ResourceState.APPROVED,
                                   Resource.suggested_by_id == reader.user_id))
    if state is not None:
        query = query.where(Resource.state == state)
    return list(db.session.scalars(query.order_by(Resource.dots, Resource.title, Resource.id)))


def needs_recheck(resource: Resource, now: datetime | None = None) -> bool:
    if resource.state != ResourceState.APPROVED:
        return False
    checked = resource.checked_on or resource.vetted_at
    return checked is None or checked < (now or utcnow()) - RECHECK_AFTER


def resource_view(resource: Resource) -> dict[str, Any]:
    return {"id": resource.id, "space_id": resource.space_id, "title": resource.title,
            "url": resource.url, "good_for": resource.good_for,
            "source_org": resource.source_org, "dots": resource.dots.value,
            "state": resource.state.value, "vetted_by_id": resource.vetted_by_id,
            "vetted_at": resource.vetted_at, "checked_on": resource.checked_on,
            "needs_recheck": needs_recheck(resource), "created_at": resource.created_at}


# --- changes -----------------------------------------------------------------------------

def check_add_resource(reader: Reader, values: dict[str, Any]) -> Resource:
    """A member suggests a resource (waits for a facilitator); a facilitator's is approved
    and vetted at once (audited as resource:add). Not idempotent."""
    require_can_post(reader)
    missing = {name: _("This field is required.") for name in ("title", "url", "dots")
               if not values.get(name)}
    if missing:
        raise Invalid(fields=missing)
    cleaned = _clean({k: values.get(k, "") for k in EDITABLE})
    resource = Resource(space_id=reader.space.id, suggested_by_id=reader.user_id, **cleaned)
    if reader.is_facilitator:
        now = utcnow()
        resource.state = ResourceState.APPROVED
        resource.vetted_by_id, resource.vetted_at, resource.checked_on = reader.user_id, now, now
    db.session.add(resource)
    db.session.flush()
    if reader.is_facilitator:
        record(AuditAction.RESOURCE_ADD, actor_id=reader.user_id, target_type="resource",
               target_id=resource.id, space_id=reader.space.id, url=resource.url)
    return resource


def check_decide_resource(resource: Resource, reader: Reader, *, approve: bool) -> Resource:
    """Approve (vetted now, by the caller) or reject a suggestion (facilitators).

    Audited as resource:decide. Deciding a decided resource is a Conflict."""
    require_moderator(reader)
    if resource.state != ResourceState.SUGGESTED:
        raise Conflict(_("This suggestion was already decided."), code="already_decided")
    now = utcnow()
    resource.state = ResourceState.APPROVED if approve else ResourceState.REJECTED
    if approve:
        resource.vetted_by_id, resource.vetted_at, resource.checked_on = reader.user_id, now, now
    record(AuditAction.RESOURCE_DECIDE, actor_id=reader.user_id, target_type="resource",
           target_id=resource.id, space_id=resource.space_id, state=resource.state.value)
    return resource


def check_update_resource(resource: Resource, reader: Reader, values: dict[str, Any]) -> Resource:
    """Edit a resource's fields (facilitators). Audited as resource:update with the
    changes. Idempotent."""
    require_moderator(reader)
    cleaned = _clean({k: v for k, v in values.items() if k in EDITABLE and v is not None})
    changes = {name: [str(getattr(resource, name)), str(value)]
               for name, value in cleaned.items() if getattr(resource, name) != value}
    for name, value in cleaned.items():
        setattr(resource, name, value)
    if changes:
        record(AuditAction.RESOURCE_UPDATE, actor_id=reader.user_id, target_type="resource",
               target_id=resource.id, space_id=resource.space_id, changes=changes)
    return resource


def check_recheck_resource(resource: Resource, reader: Reader) -> Resource:
    """Mark an approved resource as checked today (facilitators). Audited as
    resource:check."""
    require_moderator(reader)
    if resource.state != ResourceState.APPROVED:
        raise Conflict(_("Only approved resources are re-checked."), code="not_approved")
    resource.checked_on = utcnow()
    record(AuditAction.RESOURCE_CHECK, actor_id=reader.user_id, target_type="resource",
           target_id=resource.id, space_id=resource.space_id)
    return resource
