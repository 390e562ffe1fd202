"""Settings: defaults, then COMMUNITY_* environment variables, then the caller's mapping."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

SUPPORTED_LOCALES = ("en", "da", "nb", "nn")


class Defaults:
    """Values that need nothing installed; none of them is a secret."""

    DATABASE_URL: str | None = None  # None: SQLite file in the instance folder
    REDIS_URL: str | None = None
    SECRET_KEY: str | None = None  # None: generated once into the instance folder
    BASE_URL = "http://127.0.0.1:5000"
    SIGNUP = "open"  # "open" or "invite" (invitation links only)
    PRODUCTION = False
    ALLOWED_ORIGINS: str | None = None  # comma-separated; None: BASE_URL's origin
    POST_RATE_LIMIT = "20 per minute"
    SIGNIN_RATE_LIMIT = "10 per minute;50 per hour"
    SIGNUP_RATE_LIMIT = "5 per minute;20 per hour"
    PROXY_HOPS = 0  # reverse proxies in front of us that set X-Forwarded-*

    MAX_CONTENT_LENGTH = 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE: bool | None = None  # None: Secure when BASE_URL is https
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE: bool | None = None  # the same
    # Recycle rather than ping: a ping is one more round trip on every request.
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_recycle": 1800}

    WTF_CSRF_CHECK_DEFAULT = False  # checked in security.py so that bearer-token calls skip it
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_ENABLED = True
    # Redis down must not turn every rate-limited request into a 500: count in this
    # process's memory until it is back (tests/realtime/test_faults.py).
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"

    API_TITLE = "Co-careering Community API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"


def load(app: Flask, overrides: dict[str, Any] | None) -> None:
    """Fill app.config in layers and derive what depends on other settings."""
    app.config.from_object(Defaults)
    app.config.from_prefixed_env("COMMUNITY")
    if overrides:
        app.config.update(overrides)
    cfg = app.config

    if cfg["SIGNUP"] not in ("open", "invite"):
        raise RuntimeError("COMMUNITY_SIGNUP must be 'open' or 'invite'")
    cfg["BASE_URL"] = cfg["BASE_URL"].rstrip("/")
    secure = cfg["BASE_URL"].startswith("https://")
    # Not setdefault: Flask's own defaults already hold SESSION_COOKIE_SECURE = False.
    for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if cfg[name] is None:
            cfg[name] = secure
    cfg["PREFERRED_URL_SCHEME"] = "https" if secure else "http"

    url = cfg["DATABASE_URL"] or f"sqlite:///{Path(app.instance_path) / 'community.sqlite'}"
    cfg["DATABASE_URL"] = url
    cfg["SQLALCHEMY_DATABASE_URI"] = url
    cfg["RATELIMIT_STORAGE_URI"] = cfg["REDIS_URL"] or "memory://"

    if not cfg["SECRET_KEY"]:
        if cfg["PRODUCTION"]:
            raise RuntimeError("Set COMMUNITY_SECRET_KEY: production refuses a generated key")
        cfg["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    elif cfg["PRODUCTION"] and len(str(cfg["SECRET_KEY"])) < 32:
        raise RuntimeError("COMMUNITY_SECRET_KEY must be at least 32 characters in production")


def _instance_secret(folder: Path) -> str:
    """Generate the key once so sessions survive restarts of the embedded default."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()
