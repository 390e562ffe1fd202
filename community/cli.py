"""The `community` command: init, create-admin, demo, serve, plus Flask's own (routes, db …)."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import FlaskGroup
from flask_babel import force_locale

from community import create_app
from community.errors import AppError
from community.extensions import db
from community.facilitation.group_cli import timers_command
from community.moderation.cli import moderation_cli
from community.privacy.cli import digest_command, notify_command, purge_command

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def cli() -> None:
    """Co-careering Community: moderated groups for career exploration."""


cli.add_command(moderation_cli)
for _command in (purge_command, notify_command, digest_command):
    cli.add_command(_command)
cli.add_command(timers_command)  # community/facilitation/group_cli.py


def main() -> None:
    cli.main(prog_name="community")


def in_default_locale(command: Callable[..., Any]) -> Callable[..., Any]:
    """Messages in the default language: there is no request to pick one from."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            return command(*args, **kwargs)

    return wrapper


def _database() -> str:
    return sa.make_url(current_app.config["DATABASE_URL"]).render_as_string(hide_password=True)


def _revision() -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _head() -> str | None:
    from alembic.script import ScriptDirectory

    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_current_head()


def migrate_to_head() -> None:
    """Upgrade the database to the newest migration and say what changed; idempotent."""
    from flask_migrate import upgrade

    db.session.commit()  # a transaction left open here would block SQLite's migration lock
    before = _revision()
    if before is not None and before == _head():
        click.echo(f"Database {_database()} is up to date (revision {before}).")
        return
    upgrade()
    click.echo(f"Migrated database {_database()} from {before or 'empty'} to {_revision()}.")


def _fail(error: AppError) -> click.ClickException:
    db.session.rollback()
    details = "".join(f"\n  {field}: {text}" for field, text in (error.fields or {}).items())
    return click.ClickException(f"{error.message}{details}")


@cli.command("init")
@in_default_locale
def init_command() -> None:
    """Create or upgrade the database schema (safe to run again)."""
    migrate_to_head()


@cli.command("create-admin")
@click.option("--email", help="E-mail address of the admin (asked when omitted).")
@click.option("--password", help="Password for a new account (asked, hidden, when omitted).")
@click.option("--name", "display_name", help="Display name for a new account.")
@in_default_locale
def create_admin_command(email: str | None, password: str | None,
                         display_name: str | None) -> None:
    """Create an admin account, or make an existing account an admin.

    An existing account keeps its password and name; only its admin right changes.
    """
    from community.accounts import actions, queries

    email = email or click.prompt("E-mail")
    try:
        existing = queries.get_user_by_email(actions.normalize_email(email))
    except AppError as error:
        raise _fail(error) from error
    if existing is not None:
        if existing.is_admin:
            click.echo(f"{existing.email} is already an admin; nothing changed.")
            return
        actions.do_set_admin(existing, is_admin=True, acting_user=existing)
        db.session.commit()
        note = " (the given password was NOT applied)" if password else ""
        click.echo(f"{existing.email} already had an account; it is now an admin. "
                   f"Its password and name are unchanged{note}.")
        return

    display_name = display_name or click.prompt("Display name", default="Administrator")
    password = password or click.prompt("Password (at least 10 characters)", hide_input=True,
                                        confirmation_prompt=True)
    try:
        user = actions.check_signup(email=email, password=password, display_name=display_name)
        actions.do_set_admin(user, is_admin=True, acting_user=user)
    except AppError as error:
        raise _fail(error) from error
    db.session.commit()
    click.echo(f"Created admin {user.email} ({user.display_name}).")


@cli.command("demo")
@click.option("--force", is_flag=True,
              help="Load the demo even when COMMUNITY_PRODUCTION is set.")
@in_default_locale
def demo_command(force: bool) -> None:
    """Load a demo space with people, agreements and threads (safe to run again)."""
    load_and_print_demo(force=force)


def load_and_print_demo(*, force: bool = False) -> None:
    from community.demo import load_demo

    if current_app.config["PRODUCTION"] and not force:
        raise click.ClickException("Refusing to load demo accounts in production "
                                   "(their passwords are printed); pass --force to insist.")
    migrate_to_head()

    try:
        result = load_demo()
    except AppError as error:
        raise _fail(error) from error
    db.session.commit()
    base = current_app.config["BASE_URL"]
    click.echo(f"Demo data ready; created: {result.summary()}.")
    click.echo(f"Space: {result.space.name}")
    click.echo(f"Sign in at {base}/sign-in with:")
    for login in result.logins:
        password = login.password or "(changed since the demo created it; not shown)"
        shown = f"  shown as {login.pseudonym!r}" if login.pseudonym else ""
        click.echo(f"  {login.role:<12} {login.email:<24} {password}{shown}")


@cli.command("serve")
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int, help="Port.")
@click.option("--demo", is_flag=True, help="Load the demo data first (see `community demo`).")
@in_default_locale
def serve_command(host: str, port: int, demo: bool) -> None:
    """Serve pages, the API and Socket.IO with gevent (see community/serve.py)."""
    if db.engine.dialect.name == "sqlite":
        # The embedded default: one command must work on a fresh machine.
        migrate_to_head()
    elif _revision() != _head():
        click.echo("Warning: the database is not at the newest migration; "
                   "run `community init`.", err=True)
    if demo:
        load_and_print_demo()
    db.session.remove()
    db.engine.dispose()  # no open database handles may leak into the server process
    # gevent must patch the standard library before anything else is imported, which
    # `python -m community.serve` cannot promise: the package itself imports Flask first.
    argv = [sys.executable, "-m", "gevent.monkey", "--module", "community.serve",
            "--host", host, "--port", str(port)]
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "nt":  # pragma: no cover - no exec on Windows
        import subprocess  # nosec B404 # only to start our own interpreter, below

        code = subprocess.call(argv)  # noqa: S603 # nosec B603 # our interpreter, fixed args
        sys.exit(code)
    os.execv(sys.executable, argv)  # noqa: S606 # nosec B606 # our interpreter and module
