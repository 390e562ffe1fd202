"""Privacy pages: download your data, delete your account, e-mail settings."""

from __future__ import annotations

from flask import Blueprint

from community.privacy import models  # noqa: F401  (tables known to the metadata)

bp = Blueprint("privacy", __name__)
