"""What every API blueprint shares: the blueprint factory, error schema and cursors."""

from __future__ import annotations

import base64
import json
from typing import Any

from flask import Flask
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import INCLUDE, Schema, fields, validate

from community.errors import Invalid
from community.extensions import api

PREFIX = "/api/v1"


def api_blueprint(name: str, import_name: str, description: str) -> Blueprint:
    return Blueprint(name, import_name, url_prefix=PREFIX, description=description)


class ErrorDetailSchema(Schema):
    """Errors may carry context beside code and message (e.g. `current_version`)."""

    class Meta:
        unknown = INCLUDE

    code = fields.String(required=True)
    message = fields.String(required=True)
    agreement_url = fields.String()
    current_version = fields.Integer()
    fields = fields.Dict(keys=fields.String(), values=fields.String())


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


class CursorArgs(Schema):
    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def bad_cursor() -> Invalid:
    """The error for a cursor this API did not hand out (or one of another listing)."""
    return Invalid(fields={"cursor": _("Not a cursor from this API.")})


def decode_cursor(cursor: str | None) -> Any:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_cursor() from exc


def init(app: Flask) -> None:
    api.ERROR_SCHEMA = ErrorSchema
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.components.security_scheme(
        "cookieAuth", {"type": "apiKey", "in": "cookie", "name": "session"})
    api.spec.options["security"] = [{"bearerAuth": []}, {"cookieAuth": []}]
