"""Extension singletons, bound to the app in create_app()."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from community.database import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
api = Api()
# Socket.IO: one instance per app, made by community.realtime.server.init_app


def rate_limit_key() -> str:
    """Signed-in users are limited per account, everyone else per address."""
    if current_user and current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"addr:{get_remote_address()}"


def address_key() -> str:
    return f"addr:{request.remote_addr}"


limiter = Limiter(key_func=rate_limit_key, default_limits=[], strategy="moving-window")
