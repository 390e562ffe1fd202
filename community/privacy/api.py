"""JSON API for one's own data: export, erasure, e-mail settings."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask_login import current_user, login_required

from community.api.common import ErrorSchema, api_blueprint
from community.extensions import db
from community.privacy import email, erasure, export
from community.privacy.schemas import EmailPreferencesSchema, EraseSchema
from community.privacy.views import zip_response

blp = api_blueprint("api_privacy", __name__, "Your own data: export, erasure, e-mail settings.")


@blp.route("/me/export", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, content_type="application/zip",
              description="A zip with data.json and index.html.")
def export_me():  # type: ignore[no-untyped-def]
    """Download everything about the caller (audited as user:export)."""
    archive = export.check_export(current_user)
    db.session.commit()
    return zip_response(archive)


@blp.route("/me", methods=["DELETE"])
@login_required
@blp.arguments(EraseSchema)
@blp.response(HTTPStatus.NO_CONTENT)
@blp.alt_response(HTTPStatus.UNPROCESSABLE_ENTITY, schema=ErrorSchema)
@blp.alt_response(HTTPStatus.CONFLICT, schema=ErrorSchema)
def erase_me(body: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Erase the caller's account (password required). 409 `last_facilitator` while the
    caller is a space's only facilitator."""
    erasure.check_erase_account(current_user, password=body["password"],
                                delete_posts=body["delete_posts"])
    db.session.commit()


def _preferences() -> dict[str, bool]:
    row = email.get_preferences(current_user)
    return {name: getattr(row, name) for name in email.PREFERENCE.values()}


@blp.route("/me/email-preferences", methods=["GET"])
@login_required
@blp.response(HTTPStatus.OK, EmailPreferencesSchema)
def get_email_preferences():  # type: ignore[no-untyped-def]
    """Which e-mails the caller gets."""
    return _preferences()


@blp.route("/me/email-preferences", methods=["PATCH"])
@login_required
@blp.arguments(EmailPreferencesSchema)
@blp.response(HTTPStatus.OK, EmailPreferencesSchema)
def update_email_preferences(body: dict[str, bool]):  # type: ignore[no-untyped-def]
    """Turn some e-mails on or off; only the fields sent change."""
    email.do_update_preferences(current_user, **body)
    db.session.commit()
    return _preferences()
