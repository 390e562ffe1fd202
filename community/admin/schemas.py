"""API schemas for the admin area: users, suspension and the audit log."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from community.admin.audit import AuditAction
from community.api.common import CursorArgs

REASON_MAX = 500


class UserListArgs(CursorArgs):
    q = fields.String(load_default=None, validate=validate.Length(max=254), metadata={
        "description": "Part of the e-mail address or display name, in any case."})


class AdminUserSchema(Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    email = fields.String(allow_none=True)
    is_admin = fields.Boolean(required=True)
    status = fields.String(required=True)
    suspended_reason = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)


class AdminMembershipSchema(Schema):
    space_id = fields.Integer(required=True)
    space_name = fields.String(required=True)
    role = fields.String(required=True)
    state = fields.String(required=True)
    pseudonym = fields.String(allow_none=True)


class AdminUserDetailSchema(AdminUserSchema):
    memberships = fields.List(fields.Nested(AdminMembershipSchema), required=True)


class AdminUserListSchema(Schema):
    items = fields.List(fields.Nested(AdminUserSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class SuspendSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=REASON_MAX))


class AdminRoleSchema(Schema):
    is_admin = fields.Boolean(required=True)


class AuditArgs(CursorArgs):
    action = fields.String(load_default=None,
                           validate=validate.OneOf([a.value for a in AuditAction]))
    actor_id = fields.Integer(load_default=None)
    space_id = fields.Integer(load_default=None)
    since = fields.Date(load_default=None, metadata={"description": "First UTC day, inclusive."})
    until = fields.Date(load_default=None, metadata={"description": "Last UTC day, inclusive."})

    @validates_schema
    def _range(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise ValidationError(_("Must not be before 'since'."), field_name="until")


class AuditEntrySchema(Schema):
    id = fields.Integer(required=True)
    actor_id = fields.Integer(allow_none=True, required=True)
    action = fields.String(required=True)
    target_type = fields.String(required=True)
    target_id = fields.Integer(allow_none=True, required=True)
    space_id = fields.Integer(allow_none=True, required=True)
    data = fields.Dict(required=True)
    created_at = fields.DateTime(required=True)


class AuditListSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class SiteSettingsSchema(Schema):
    default_anonymity = fields.String(required=True, validate=validate.OneOf(
        ["real_names", "pseudonyms_allowed", "pseudonyms_required"]), metadata={
        "description": "Anonymity policy new spaces start with."})
    facilitators_see_identity = fields.Boolean(required=True, metadata={
        "description": "Facilitators may look up (audited) who is behind a pseudonym."})
    default_retention_days = fields.Integer(allow_none=True, required=True, strict=True,
                                            validate=validate.Range(min=1, max=36500))
    max_retention_days = fields.Integer(allow_none=True, required=True, strict=True,
                                        validate=validate.Range(min=1, max=36500))
    export_threads = fields.Boolean(required=True, metadata={
        "description": "Exports include the other posts of the member's threads."})
    signup = fields.String(required=True, validate=validate.OneOf(["open", "invite"]))
    updated_at = fields.DateTime(dump_only=True, allow_none=True)



_ANONYMITY = ["real_names", "pseudonyms_allowed", "pseudonyms_required"]
_DAYS = validate.Range(min=1, max=36500)


class SiteSettingsPatchSchema(Schema):
    """Only the fields sent are changed."""

    default_anonymity = fields.String(validate=validate.OneOf(_ANONYMITY))
    facilitators_see_identity = fields.Boolean()
    default_retention_days = fields.Integer(allow_none=True, strict=True, validate=_DAYS)
    max_retention_days = fields.Integer(allow_none=True, strict=True, validate=_DAYS)
    export_threads = fields.Boolean()
    signup = fields.String(validate=validate.OneOf(["open", "invite"]))
