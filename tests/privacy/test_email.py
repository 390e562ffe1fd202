"""E-mail notifications: collected by `community notify` / `digest`, sent through a real
local SMTP server (aiosmtpd) or written to the log, never with anything anyone wrote."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta
from http import HTTPStatus

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from community.cli import cli
from community.database import utcnow
from community.extensions import db
from community.forums import actions as forum_actions
from community.privacy.models import EmailPreference, OutboxEmail
from community.spaces.models import ModerationPolicy
from community.spaces.queries import get_membership

SECRET = "Pineapple confidential"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode()))
        return "250 OK"


@pytest.fixture
def smtp(app):  # type: ignore[no-untyped-def]
    inbox = Inbox()
    with socket.socket() as probe:  # a free port on the loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TLS="none",
                      SMTP_FROM="groups@example.org")
    yield inbox
    controller.stop()
    for key in ("SMTP_HOST", "SMTP_PORT", "SMTP_TLS", "SMTP_FROM"):
        app.config.pop(key, None)


def run(app, command: str) -> str:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(cli, [command])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def conversation(space, member, other_member):  # type: ignore[no-untyped-def]
    """Robin starts a thread; Kit replies and mentions Robin."""
    thread, _post = forum_actions.check_create_thread(
        space, get_membership(member, space.id), title=f"{SECRET} title", body=f"{SECRET} one")
    db.session.commit()
    forum_actions.check_create_post(thread, get_membership(other_member, space.id),
                                    body=f"@Robin {SECRET} two")
    forum_actions.check_create_post(thread, get_membership(other_member, space.id),
                                    body=f"{SECRET} three")
    db.session.commit()


def test_mentions_and_replies_are_mailed_without_any_content(app, smtp, space, member,
                                                              other_member):
    conversation(space, member, other_member)
    output = run(app, "notify")
    assert "sent 2 e-mail(s)" in output, output
    to_robin = [text for rcpt, text in smtp.messages if rcpt == ["mads@example.org"]]
    assert len(to_robin) == 2  # one mention, one "new replies" for the same space
    for text in to_robin:
        assert "There is something new in Next steps." in text
        assert f"http://localhost/spaces/{space.id}" in text
    everything = "\n".join(text for _rcpt, text in smtp.messages)
    assert SECRET.lower() not in everything.lower() and "Kit" not in everything
    assert "olga@example.org" not in str([rcpt for rcpt, _t in smtp.messages])  # the author
    assert run(app, "notify").strip().endswith("sent 0 e-mail(s)")  # each cause once


def test_opting_out_stops_that_kind_of_e_mail(app, smtp, as_user, space, member, other_member):
    response = as_user(member).patch("/api/v1/me/email-preferences",
                                     json={"mentions": False, "replies": False})
    assert response.json == {"mentions": False, "replies": False, "queue": True,
                             "digest": True}
    conversation(space, member, other_member)
    run(app, "notify")
    assert smtp.messages == []


def test_facilitators_hear_of_queue_items_without_content(app, smtp, space, member,
                                                          facilitator):
    space.moderation_policy = ModerationPolicy.PRE
    db.session.commit()
    forum_actions.check_create_thread(space, get_membership(member, space.id),
                                      title=f"{SECRET} held", body=f"{SECRET} held body")
    db.session.commit()
    run(app, "notify")
    [(rcpt, text)] = smtp.messages
    assert rcpt == ["frida@example.org"] and "review" in text and SECRET not in text


def test_the_weekly_digest_names_spaces_only_and_comes_once_a_week(app, smtp, space, member,
                                                                   other_member):
    conversation(space, member, other_member)
    output = run(app, "digest")
    assert "sent 3 e-mail(s)" in output  # Frida, Robin and Kit: each has others' posts
    assert all("This week in Next steps" in text and SECRET not in text
               for _r, text in smtp.messages)
    assert run(app, "digest").strip().endswith("sent 0 e-mail(s)")
    prefs = db.session.get(EmailPreference, member.id)
    prefs.last_digest_at = utcnow() - timedelta(days=8)
    db.session.commit()
    assert "sent 0 e-mail(s)" in run(app, "digest")  # nothing new since


def test_without_smtp_the_e_mail_is_written_to_the_log(app, space, member, other_member,
                                                       caplog):
    conversation(space, member, other_member)
    with caplog.at_level(logging.WARNING, logger="community.privacy.email"):
        run(app, "notify")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "There is something new in Next steps." in logged and SECRET not in logged
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))
                             .where(OutboxEmail.sent_at.is_(None))) == 0


def test_the_e_mail_settings_page_saves_choices_and_needs_sign_in(app, as_user, client,
                                                                  member):
    page = as_user(member).post("/profile/email", data={"mentions": "y", "digest": "y"})
    assert page.status_code == HTTPStatus.FOUND
    prefs = db.session.get(EmailPreference, member.id)
    assert (prefs.mentions, prefs.replies, prefs.queue, prefs.digest) == (True, False, False,
                                                                          True)
    assert client.get("/profile/email").status_code == HTTPStatus.FOUND
    assert client.get("/api/v1/me/email-preferences").status_code == HTTPStatus.UNAUTHORIZED
