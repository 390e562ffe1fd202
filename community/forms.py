"""The base form, and helpers that connect domain errors to WTForms fields."""

from __future__ import annotations

from flask import request
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as ngettext  # named so that `pybabel extract` sees a plural
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from community.errors import AppError

# WTForms' own messages that our forms can show. Listed here so that extraction puts
# them in our catalogues; never evaluated.
WTFORMS_MESSAGES = (
    _l("This field is required."),
    ngettext("Field cannot be longer than %(max)d character.",
             "Field cannot be longer than %(max)d characters.", 2),
    _l("Number must be at least %(min)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Not a valid integer value."),
    _l("Not a valid date value."),
    _l("Not a valid datetime value."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
)


class _CatalogueTranslations:
    """WTForms' messages from our catalogues: WTForms ships no Danish or Nynorsk, so its
    own (the Flask-WTF default) would leave those pages half in English."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        # WTForms fills the placeholders itself, so flask_babel.ngettext (which formats) won't do.
        return get_translations().ungettext(singular, plural, n)


class Form(FlaskForm):
    """Every form of the site: FlaskForm with its validation messages in the page's language."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: FlaskForm) -> _CatalogueTranslations:
            return _TRANSLATIONS


_TRANSLATIONS = _CatalogueTranslations()


def apply_error(form: FlaskForm, error: AppError) -> None:
    """Show a domain error next to the fields it names, else at the top of the form."""
    placed = False
    for name, message in (error.fields or {}).items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]
            placed = True
    if not placed:
        form.form_errors.append(error.message)


def choices(pairs: list[tuple[str, object]]) -> list[SelectChoice]:
    """WTForms 3.3+ wants SelectChoice objects for select options."""
    return [SelectChoice(value, label) for value, label in pairs]  # type: ignore[arg-type]


def safe_next(default: str) -> str:
    """The `next` query parameter if it is a path on this site, else `default`.

    "//evil.example" and absolute URLs would make sign-in an open redirect.
    """
    target = request.args.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
