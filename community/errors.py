"""Domain errors and how they reach users: a JSON body for the API, a page for HTML."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Flask, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException


class AppError(Exception):
    """An expected failure with a stable code and a message safe to show."""

    status = HTTPStatus.BAD_REQUEST
    code = "bad_request"

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 fields: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message or self.default_message())
        self.message = message or self.default_message()
        if code:
            self.code = code
        self.fields = fields
        self.extra = extra

    def default_message(self) -> str:
        return _("The request could not be handled.")

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            error["fields"] = self.fields
        error.update(self.extra)
        return {"error": error}


class NotFound(AppError):
    """Raised alike for "does not exist" and "you may not see it"."""

    status = HTTPStatus.NOT_FOUND
    code = "not_found"

    def default_message(self) -> str:
        return _("Not found.")


class Unauthorized(AppError):
    status = HTTPStatus.UNAUTHORIZED
    code = "unauthorized"

    def default_message(self) -> str:
        return _("Please sign in.")


class Forbidden(AppError):
    status = HTTPStatus.FORBIDDEN
    code = "forbidden"

    def default_message(self) -> str:
        return _("You are not allowed to do that.")


class Conflict(AppError):
    status = HTTPStatus.CONFLICT
    code = "conflict"

    def default_message(self) -> str:
        return _("Someone else changed this first. Reload and try again.")


class Invalid(AppError):
    status = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "invalid"

    def default_message(self) -> str:
        return _("Some fields need attention.")


class AgreementRequired(AppError):
    """The caller must accept the current site or space agreement first."""

    status = HTTPStatus.PRECONDITION_REQUIRED
    code = "agreement_required"

    def __init__(self, url: str, html_url: str, message: str | None = None) -> None:
        super().__init__(message or _("Please read and accept the confidentiality agreement."),
                         agreement_url=url)
        self.html_url = html_url


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _json(status: int, code: str, message: str, **extra: Any):  # type: ignore[no-untyped-def]
    error: dict[str, Any] = {"code": code, "message": message}
    error.update({k: v for k, v in extra.items() if v is not None})
    return jsonify({"error": error}), status


def _page(status: int, message: str):  # type: ignore[no-untyped-def]
    return render_template("error.html", status=status, message=message), status


def _http_code(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def _validation_fields(exc: HTTPException) -> dict[str, str] | None:
    """Flatten webargs/marshmallow messages into {field: first message}."""
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") or {}
    fields: dict[str, str] = {}
    for location in messages.values():
        if not isinstance(location, dict):
            continue
        for name, problems in location.items():
            if isinstance(problems, list) and problems:
                fields[str(name)] = str(problems[0])
            elif isinstance(problems, dict):
                fields[str(name)] = "; ".join(str(v[0] if isinstance(v, list) else v)
                                              for v in problems.values())
            else:
                fields[str(name)] = str(problems)
    return fields or None


def register(app: Flask) -> None:
    @app.errorhandler(AppError)
    def _app_error(exc: AppError):  # type: ignore[no-untyped-def]
        if wants_json():
            return jsonify(exc.body()), exc.status
        if isinstance(exc, AgreementRequired):
            return redirect(exc.html_url)
        if isinstance(exc, Unauthorized):
            from flask import url_for
            return redirect(url_for("accounts.sign_in", next=request.full_path))
        return _page(exc.status, exc.message)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):  # type: ignore[no-untyped-def]
        message = _("The form has expired or was not sent from this site. Please try again.")
        if wants_json():
            return _json(HTTPStatus.BAD_REQUEST, "csrf_failed", message)
        return _page(HTTPStatus.BAD_REQUEST, message)

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(exc: RateLimitExceeded):  # type: ignore[no-untyped-def]
        message = _("Too many attempts. Please wait a little and try again.")
        if wants_json():
            response, status = _json(HTTPStatus.TOO_MANY_REQUESTS, "rate_limited", message)
        else:
            response, status = _page(HTTPStatus.TOO_MANY_REQUESTS, message)
        return response, status

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # type: ignore[no-untyped-def]
        status = exc.code or 500
        if status == HTTPStatus.UNPROCESSABLE_ENTITY:
            message = _("Some fields need attention.")
            code = "invalid"
        elif status == HTTPStatus.BAD_REQUEST:
            message = _("The request is malformed.")
            code = "malformed"
        elif status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
            message = _("The request is too large.")
            code = "too_large"
        elif status == HTTPStatus.NOT_FOUND:
            message = _("Not found.")
            code = "not_found"
        else:
            # Werkzeug's descriptions are English only; these say the same in the page's language.
            message = {
                HTTPStatus.UNAUTHORIZED: _("Please sign in."),
                HTTPStatus.FORBIDDEN: _("You are not allowed to do that."),
                HTTPStatus.METHOD_NOT_ALLOWED: _("This address does not take that request."),
            }.get(status, _("The request could not be handled."))
            code = _http_code(status)
        if wants_json():
            response = _json(status, code, message, fields=_validation_fields(exc))
            if exc.response is None and status == HTTPStatus.METHOD_NOT_ALLOWED:
                response[0].headers["Allow"] = ", ".join(exc.valid_methods or [])  # type: ignore[attr-defined]
            return response
        return _page(status, message)

    @app.errorhandler(OverflowError)
    @app.errorhandler(sa_exc.DataError)
    def _out_of_range(exc: Exception):  # type: ignore[no-untyped-def]
        # A number no column can hold (SQLite: OverflowError, PostgreSQL: DataError)
        # names nothing that exists; the request is refused and nothing was written.
        message = _("A number in the request is out of range.")
        if wants_json():
            return _json(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid", message)
        return _page(HTTPStatus.UNPROCESSABLE_ENTITY, message)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        message = _("Something went wrong on our side. Nothing was saved.")
        if wants_json():
            return _json(HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", message)
        return _page(HTTPStatus.INTERNAL_SERVER_ERROR, message)
