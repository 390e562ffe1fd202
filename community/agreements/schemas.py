"""API schemas for agreements and acceptances."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from community.api.common import ErrorDetailSchema


class AgreementPublishSchema(Schema):
    # Lengths are checked by the action so that pages and the API give the same messages;
    # the limits here only stop absurd input before it reaches it.
    title = fields.String(required=True, validate=validate.Length(max=1_000))
    body = fields.String(required=True, validate=validate.Length(max=200_000))


class AgreementSchema(Schema):
    space_id = fields.Integer(allow_none=True, required=True)
    version = fields.Integer(required=True)
    title = fields.String(required=True)
    body_html = fields.String(required=True, metadata={"description": "Sanitized HTML."})
    published_at = fields.DateTime(required=True)
    accepted = fields.Boolean(required=True, metadata={
        "description": "Whether the caller has accepted this version."})
    accepted_at = fields.DateTime(allow_none=True, required=True)
    current = fields.Boolean(required=True, metadata={
        "description": "Whether this is the version everyone must accept now."})


class VersionBriefSchema(Schema):
    version = fields.Integer(required=True)
    title = fields.String(required=True)
    published_at = fields.DateTime(required=True)


class VersionListSchema(Schema):
    items = fields.List(fields.Nested(VersionBriefSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class AcceptSchema(Schema):
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class AcceptanceSchema(Schema):
    space_id = fields.Integer(allow_none=True, required=True)
    version = fields.Integer(required=True)
    accepted_at = fields.DateTime(required=True)


class AcceptanceStatusSchema(Schema):
    user_id = fields.Integer(required=True)
    membership_id = fields.Integer(required=True)
    name = fields.String(required=True, metadata={
        "description": "What peers see: the pseudonym where there is one."})
    role = fields.String(required=True)
    accepted = fields.Boolean(required=True)
    accepted_at = fields.DateTime(allow_none=True, required=True)


class AcceptanceListSchema(Schema):
    version = fields.Integer(allow_none=True, required=True, metadata={
        "description": "The current version, or null when none is published."})
    items = fields.List(fields.Nested(AcceptanceStatusSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class OutdatedDetailSchema(ErrorDetailSchema):
    current_version = fields.Integer()


class OutdatedErrorSchema(Schema):
    error = fields.Nested(OutdatedDetailSchema, required=True)

