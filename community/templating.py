"""Template filters and globals shared by every page: the page's language, its dates and
the words for the codes it shows."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Any

from babel import Locale
from babel import dates as babel_dates
from flask import Flask
from flask_babel import format_datetime, get_locale, get_timezone
from flask_babel import lazy_gettext as _l

# Stored codes that pages show, in words. Audit and moderation log action names stay
# codes (they are looked up and filtered by). Choices that forms already name are added
# in register() from those forms.
CODE_LABELS: dict[str, dict[str, Any]] = {
    "thread_kind": {"discussion": _l("discussion"), "announcement": _l("announcement"),
                    "activity": _l("activity")},
    "post_state": {"published": _l("published"), "pending": _l("waiting for review"),
                   "rejected": _l("not published"), "removed": _l("removed"),
                   "whisper": _l("whisper to facilitators")},
    "review_state": {"pending": _l("waiting"), "approved": _l("approved"),
                     "rejected": _l("rejected"), "removed": _l("removed")},
    "role": {"member": _l("member"), "facilitator": _l("facilitator")},
    "membership_state": {"active": _l("active"), "removed": _l("removed"), "left": _l("left")},
    "notification_kind": {"mention": _l("mention")},
}


def code_label(value: Any, kind: str) -> str:
    """The words for a stored code (an enum or its value); an unknown code as it is."""
    label = CODE_LABELS[kind].get(str(value))
    return str(label) if label is not None else str(value)


def _context() -> tuple[Locale, tzinfo]:
    return get_locale() or Locale("en"), get_timezone() or UTC


def _local(value: datetime, zone: tzinfo) -> datetime:
    # Columns hold UTC; SQLite hands them back naive.
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)


def format_day(value: date | datetime, locale: Locale, zone: tzinfo) -> str:
    """"22. nov. 2026" (da), "Nov 22, 2026" (en): the day in the locale's own words."""
    if isinstance(value, datetime):
        value = _local(value, zone).date()
    return babel_dates.format_date(value, "medium", locale=locale)


def format_time_of_day(value: datetime, locale: Locale, zone: tzinfo, *,
                       show_zone: bool = True) -> str:
    """"15.08 UTC" (da), "3:08 PM UTC" (en): hours and minutes, and the zone they are in."""
    local = _local(value, zone)
    text = babel_dates.format_time(local, "short", tzinfo=zone, locale=locale)
    if show_zone:
        text += " " + babel_dates.format_time(local, "z", tzinfo=zone, locale=locale)
    return text


def format_date_time(value: datetime, locale: Locale, zone: tzinfo, *,
                     show_zone: bool = True) -> str:
    """"22. nov. 2026 15.08 UTC" (da): day and time joined the way the locale joins them."""
    pattern = str(locale.datetime_formats["medium"]).replace("'", "")
    return (pattern.replace("{1}", format_day(value, locale, zone))
            .replace("{0}", format_time_of_day(value, locale, zone, show_zone=show_zone)))


def _add_form_labels() -> None:
    from community.facilitation.group_forms import TIMER_ACTIONS
    from community.moderation.forms import ACTION_LABELS, FLAG_LABELS
    from community.spaces.forms import ANONYMITY, JOIN_POLICIES, MODERATION

    CODE_LABELS["join_policy"] = {c.value: c.label for c in JOIN_POLICIES}
    CODE_LABELS["anonymity"] = {c.value: c.label for c in ANONYMITY}
    CODE_LABELS["moderation_policy"] = {c.value: c.label for c in MODERATION}
    CODE_LABELS["timer_action"] = {c.value: c.label for c in TIMER_ACTIONS}
    CODE_LABELS["watched_action"] = {str(a): label for a, label in ACTION_LABELS.items()}
    CODE_LABELS["flag_reason"] = {str(r): label for r, label in FLAG_LABELS.items()}


def register(app: Flask) -> None:
    _add_form_labels()
    app.add_template_filter(code_label, "label")

    @app.context_processor
    def _language() -> dict[str, str]:
        return {"page_lang": str(get_locale() or "en").replace("_", "-")}

    @app.template_filter("when")
    def _when(value: datetime | None) -> str:
        return format_datetime(value, "medium") if value else ""

    @app.template_filter("date_time")
    def _date_time(value: datetime | str | None, zone: bool = True) -> str:
        if isinstance(value, str):  # the data export's ISO strings
            value = datetime.fromisoformat(value) if value else None
        return format_date_time(value, *_context(), show_zone=zone) if value else ""

    @app.template_filter("time_of_day")
    def _time_of_day(value: datetime | None, zone: bool = True) -> str:
        return format_time_of_day(value, *_context(), show_zone=zone) if value else ""

    @app.template_filter("day")
    def _day(value: date | datetime | None) -> str:
        return format_day(value, *_context()) if value else ""
