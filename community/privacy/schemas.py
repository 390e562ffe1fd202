"""API schemas for one's own data."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class EraseSchema(Schema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    delete_posts = fields.Boolean(load_default=False, metadata={
        "description": "Also delete the text of every post (default: posts stay, shown as "
                       "from a deleted member)."})


class EmailPreferencesSchema(Schema):
    mentions = fields.Boolean()
    replies = fields.Boolean()
    queue = fields.Boolean()
    digest = fields.Boolean()
