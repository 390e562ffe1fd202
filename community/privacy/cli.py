"""Scheduled jobs: `community purge`, `notify` and `digest` (see docs/privacy.md)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """Remove post text older than each space's retention period; prune old live events.

    Safe to run every hour from cron: idempotent, short transactions.
    """
    from community.privacy.retention import purge

    purge(echo=click.echo)


@click.command("notify")
@with_appcontext
def notify_command() -> None:
    """Collect new mentions, replies and queue items into the e-mail outbox and send it."""
    from community.privacy.email import collect, send_outbox

    collected = collect()
    sent = send_outbox()
    click.echo(f"collected {collected} notice(s); sent {sent} e-mail(s)")


@click.command("digest")
@with_appcontext
def digest_command() -> None:
    """Send the weekly digest to everyone who wants it and has not had one for a week."""
    from community.privacy.email import collect_digests, send_outbox

    queued = collect_digests()
    sent = send_outbox()
    click.echo(f"queued {queued} digest(s); sent {sent} e-mail(s)")
