"""Helpers that connect domain errors to WTForms fields."""

from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from community.errors import AppError


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
