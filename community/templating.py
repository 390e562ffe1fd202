"""Template filters and globals shared by every page."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import format_datetime, get_locale


def register(app: Flask) -> None:
    @app.context_processor
    def _language() -> dict[str, str]:
        return {"page_lang": str(get_locale() or "en").replace("_", "-")}

    @app.template_filter("when")
    def _when(value: datetime | None) -> str:
        return format_datetime(value, "medium") if value else ""
