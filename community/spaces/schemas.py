"""API schemas for spaces, memberships, invitations and join requests."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from community.spaces.actions import (
    INVITATION_MAX_HOURS,
    INVITATION_MAX_USES,
    MESSAGE_MAX,
    NAME_MAX,
    PURPOSE_MAX,
    RETENTION_MAX_DAYS,
)
from community.spaces.models import Anonymity, JoinPolicy, ModerationPolicy, Role


def _one_of(enum_cls: type) -> validate.OneOf:
    return validate.OneOf([m.value for m in enum_cls])


# Fields are limited here as a first line (oversized input never reaches the actions);
# the actions validate again, because the HTML forms call them too.
class SpaceSettingsSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=NAME_MAX))
    purpose = fields.String(validate=validate.Length(max=PURPOSE_MAX))
    join_policy = fields.String(validate=_one_of(JoinPolicy))
    anonymity = fields.String(validate=_one_of(Anonymity))
    moderation_policy = fields.String(validate=_one_of(ModerationPolicy))
    retention_days = fields.Integer(allow_none=True, strict=True,
                                    validate=validate.Range(min=1, max=RETENTION_MAX_DAYS),
                                    metadata={"description": "Days to keep posts; null: keep."})


class SpaceCreateSchema(SpaceSettingsSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=NAME_MAX))


class SpaceSchema(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    purpose = fields.String(required=True)
    join_policy = fields.String(required=True)
    anonymity = fields.String(required=True)
    moderation_policy = fields.String(required=True)
    retention_days = fields.Integer(allow_none=True, required=True)
    archived = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    role = fields.String(allow_none=True, required=True, metadata={
        "description": "The caller's role in the space (member or facilitator); "
                       "null for a site admin who does not belong to it."})
    pseudonym = fields.String(allow_none=True, required=True,
                              metadata={"description": "The caller's pseudonym here."})


class SpaceListSchema(Schema):
    items = fields.List(fields.Nested(SpaceSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class ListArgsSchema(Schema):
    cursor = fields.String(load_default=None, validate=validate.Length(max=200))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class FacilitatorCreateSchema(Schema):
    user_id = fields.Integer(required=True, strict=True)


class MembershipSchema(Schema):
    space_id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    role = fields.String(required=True)
    state = fields.String(required=True)
    pseudonym = fields.String(allow_none=True, required=True)
    joined_at = fields.DateTime(required=True)


class RosterEntrySchema(Schema):
    name = fields.String(required=True, metadata={
        "description": "What peers see: the pseudonym, or the display name where there is none."})
    role = fields.String(required=True)
    user_id = fields.Integer(metadata={"description": "Facilitators only."})
    display_name = fields.String(metadata={
        "description": "Facilitators only, for members without a pseudonym."})
    pseudonym = fields.String(allow_none=True, metadata={"description": "Facilitators only."})
    joined_at = fields.DateTime(metadata={"description": "Facilitators only."})
    identity_hidden = fields.Boolean(metadata={
        "description": "Facilitators only: the name behind the pseudonym is not shown; "
                       "POST .../members/{user_id}/identity looks it up where allowed."})


class IdentitySchema(Schema):
    user_id = fields.Integer(required=True)
    pseudonym = fields.String(allow_none=True, required=True)
    display_name = fields.String(required=True)


class RosterSchema(Schema):
    items = fields.List(fields.Nested(RosterEntrySchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class InvitationCreateSchema(Schema):
    role = fields.String(load_default=Role.MEMBER.value, validate=_one_of(Role))
    max_uses = fields.Integer(load_default=1, strict=True,
                              validate=validate.Range(min=1, max=INVITATION_MAX_USES))
    expires_in_hours = fields.Integer(load_default=72, strict=True,
                                      validate=validate.Range(min=1, max=INVITATION_MAX_HOURS))


class InvitationSchema(Schema):
    id = fields.Integer(required=True)
    role = fields.String(required=True)
    max_uses = fields.Integer(required=True)
    uses = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)
    revoked_at = fields.DateTime(allow_none=True, required=True)
    usable = fields.Boolean(required=True)


class InvitationCreatedSchema(InvitationSchema):
    token = fields.String(required=True, metadata={"description": "Shown once; store it."})
    url = fields.String(required=True, metadata={"description": "The link to hand out."})


class InvitationListSchema(Schema):
    items = fields.List(fields.Nested(InvitationSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class AcceptInvitationSchema(Schema):
    pseudonym = fields.String(allow_none=True, validate=validate.Length(max=200))


class JoinRequestCreateSchema(Schema):
    pseudonym = fields.String(allow_none=True, validate=validate.Length(max=200))
    message = fields.String(load_default="", validate=validate.Length(max=MESSAGE_MAX))


class JoinRequestSchema(Schema):
    id = fields.Integer(required=True)
    space_id = fields.Integer(required=True)
    user_id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    pseudonym = fields.String(allow_none=True, required=True)
    message = fields.String(required=True)
    state = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class JoinRequestListSchema(Schema):
    items = fields.List(fields.Nested(JoinRequestSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class JoinDecisionSchema(Schema):
    join_request = fields.Nested(JoinRequestSchema, required=True)
    membership = fields.Nested(MembershipSchema, allow_none=True, required=True)
