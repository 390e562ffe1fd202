"""Which language to answer in: the user's profile, else the browser's."""

from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user

from community.config import SUPPORTED_LOCALES


def select_locale() -> str | None:
    if not has_request_context():
        return None  # CLI and background jobs speak the default language
    locale = getattr(current_user, "locale", None)
    if locale in SUPPORTED_LOCALES:
        return locale
    # Norwegian browsers often send plain "no"; Bokmål is what most of them mean.
    best = request.accept_languages.best_match([*SUPPORTED_LOCALES, "no"])
    return "nb" if best == "no" else best
