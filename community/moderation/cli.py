"""`community moderation …`: jobs run by a scheduler (cron, systemd timer)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from community.extensions import db


@click.group("moderation")
def moderation_cli() -> None:
    """Moderation jobs."""


@moderation_cli.command("escalate")
@with_appcontext
def escalate_command() -> None:
    """Escalate unclaimed safety concerns to the admins (run it every minute or so)."""
    from community.moderation.actions import do_escalate_overdue
    from community.moderation.screening import escalation_minutes

    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        items = do_escalate_overdue()
        db.session.commit()
    click.echo(f"Escalated {len(items)} safety concern(s) unclaimed for more than "
               f"{escalation_minutes()} minutes.")
