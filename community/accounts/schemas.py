"""API schemas for accounts."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class TokenCreateSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(max=256), load_only=True)
    name = fields.String(validate=validate.Length(max=80))


class TokenCreatedSchema(Schema):
    id = fields.Integer(required=True)
    token = fields.String(required=True, metadata={"description": "Shown once; store it."})
    name = fields.String(required=True)


class TokenSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class TokenListSchema(Schema):
    items = fields.List(fields.Nested(TokenSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class UserCreateSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(max=256), load_only=True)
    display_name = fields.String(required=True, validate=validate.Length(max=80))


class UserSchema(Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    email = fields.String(allow_none=True)
    locale = fields.String(allow_none=True)
    is_admin = fields.Boolean(required=True)
    status = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class MembershipBriefSchema(Schema):
    space_id = fields.Integer(required=True)
    space_name = fields.String(required=True)
    role = fields.String(required=True)
    pseudonym = fields.String(allow_none=True)


class MeSchema(UserSchema):
    memberships = fields.List(fields.Nested(MembershipBriefSchema), required=True)


class ProfileUpdateSchema(Schema):
    display_name = fields.String(validate=validate.Length(max=80))
    locale = fields.String(allow_none=True, validate=validate.Length(max=8))
