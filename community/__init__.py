"""Co-careering Community: moderated online groups for career exploration."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

PACKAGE = Path(__file__).resolve().parent


def _bundled(name: str) -> str:
    """A top-level folder of the checkout, or its copy inside an installed package."""
    checkout = PACKAGE.parent / name
    return str(checkout if checkout.is_dir() else PACKAGE / name)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; `config` overrides defaults and COMMUNITY_* variables."""
    from community import config as settings
    from community import errors, routing, security
    from community.database import configure_sqlite
    from community.extensions import babel, csrf, db, limiter, login_manager, migrate
    from community.i18n import select_locale
    from community.realtime import server as realtime_server

    instance = (config or {}).get("INSTANCE_PATH") or os.environ.get("COMMUNITY_INSTANCE_PATH")
    app = Flask(__name__, template_folder=_bundled("templates"),
                instance_path=str(Path(instance).resolve()) if instance else None)
    settings.load(app, config)
    routing.register(app)  # before any blueprint adds its rules
    if app.config["PROXY_HOPS"]:
        hops = int(app.config["PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            Path(app.instance_path).mkdir(parents=True, exist_ok=True)
            configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=_bundled("migrations"), compare_type=True)
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    security.register(app)
    _register_blueprints(app)
    realtime_server.init_app(app)
    errors.register(app)  # after the API's own handlers, so that ours win
    _register_template_helpers(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from community.accounts import api as accounts_api
    from community.accounts import views as accounts_views
    from community.admin import api as admin_api
    from community.admin import views as admin_views
    from community.agreements import api as agreements_api
    from community.agreements import views as agreements_views
    from community.api import common
    from community.extensions import api
    from community.facilitation import group_api as facilitation_group_api
    from community.facilitation import group_views as facilitation_group_views
    from community.facilitation import tools_api as facilitation_tools_api
    from community.facilitation import tools_views as facilitation_tools_views
    from community.forums import api as forums_api
    from community.forums import views as forums_views
    from community.live import bp as live_bp
    from community.moderation import api as moderation_api
    from community.moderation import views as moderation_views
    from community.privacy import api as privacy_api
    from community.privacy import views as privacy_views
    from community.spaces import api as spaces_api
    from community.spaces import views as spaces_views

    app.register_blueprint(accounts_views.bp)
    app.register_blueprint(spaces_views.bp)
    app.register_blueprint(agreements_views.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(forums_views.bp)
    app.register_blueprint(moderation_views.bp)
    app.register_blueprint(live_bp)
    app.register_blueprint(privacy_views.bp)
    app.register_blueprint(facilitation_tools_views.bp)
    app.register_blueprint(facilitation_group_views.bp)
    common.init(app)
    api.register_blueprint(accounts_api.blp)
    api.register_blueprint(spaces_api.blp)
    api.register_blueprint(agreements_api.blp)
    api.register_blueprint(admin_api.blp)
    api.register_blueprint(forums_api.blp)
    api.register_blueprint(moderation_api.blp)
    api.register_blueprint(privacy_api.blp)
    api.register_blueprint(facilitation_tools_api.blp)
    api.register_blueprint(facilitation_group_api.blp)


def _register_template_helpers(app: Flask) -> None:
    from community.templating import register

    register(app)
