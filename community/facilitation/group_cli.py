"""`community timers`: thread timers and the end of archived spaces' read access."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("timers")
@with_appcontext
def timers_command() -> None:
    """Run due thread timers (open, close, announce) and end members' read access to
    archived spaces whose grace period is over. Safe to run every minute from cron."""
    from community.facilitation.archive import end_expired_access
    from community.facilitation.rhythm import run_due_timers

    ran = run_due_timers(echo=click.echo)
    ended = end_expired_access(echo=click.echo)
    click.echo(f"ran {ran} timer(s); ended read access in {ended} archived space(s)")
