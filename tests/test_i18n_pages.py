"""Every HTML page, for every role that may see it, in Danish, Bokmål and Nynorsk.

The pages and the world they need come from the authorization sweep's table, so a new
page is checked here as soon as it has its row there. A page fails when any text on it,
or any label-like attribute, is still an English message that the catalogue translates.
"""

from __future__ import annotations

import html.parser
import re
from http import HTTPStatus
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from community.extensions import db
from tests.conftest import login
from tests.test_authorization_sweep import OK, ROLES, TABLE, build_world, fill

TRANSLATIONS = Path(__file__).resolve().parents[1] / "community" / "translations"
LABEL_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
NOT_PAGES = re.compile(r"^/(api|static)/|\.(csv|zip|json|js|css|svg)$")
# Stored texts of the sweep's world that happen to equal a message: what people wrote
# (the site agreement's title, a note) or what was copied in the author's language when
# it was created (an activity started from the template library). Content, not interface.
CONTENT = {"Site agreement", "Values I won't compromise on", "Note"}


def english_messages(locale: str) -> set[str]:
    """The English msgids that `locale` translates differently (so seeing them is a bug)."""
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po)
    return {" ".join(m.id.split()) for m in catalogue
            if isinstance(m.id, str) and m.id and m.id not in CONTENT
            and isinstance(m.string, str) and m.string and m.string != m.id
            and "%(" not in m.id}


class Texts(html.parser.HTMLParser):
    """Visible text nodes and label-like attributes of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.lang: str | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag in ("script", "style", "template"):
            self._skip += 1
        for name, value in attrs:
            if value and (name in LABEL_ATTRIBUTES or (
                    tag == "input" and name == "value"
                    and dict(attrs).get("type") in ("submit", "button", "reset"))):
                self.found.append(" ".join(value.split()))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.found.append(" ".join(data.split()))


def pages() -> list[tuple[str, str]]:
    """(endpoint, path template) of every HTML page in the table."""
    return [(endpoint, row.path) for endpoint, rows in TABLE.items() for row in rows
            if row.method == "GET" and not NOT_PAGES.search(row.path)]


@pytest.mark.parametrize("locale", ["da", "nb", "nn"])
def test_every_page_shows_in_the_users_language(app, locale, facilitator, member,
                                                other_member, outsider, admin):
    english = english_messages(locale)
    world = build_world(facilitator, member, other_member, outsider, admin)
    people = {"outsider": outsider, "member": member, "facilitator": facilitator,
              "admin": admin}
    for person in people.values():
        person.locale = locale
    db.session.commit()
    clients = {"anon": app.test_client()}
    for role, person in people.items():
        clients[role] = login(app.test_client(), person)
    seen, problems = 0, []
    for endpoint, template in pages():
        row = next(r for r in TABLE[endpoint] if r.method == "GET" and r.path == template)
        path = fill(template, world)
        for role in ROLES:
            if row.expect[role] != OK:
                continue
            response = clients[role].get(path, headers={"Accept-Language": locale})
            if response.status_code != HTTPStatus.OK or response.mimetype != "text/html":
                continue
            texts = Texts()
            texts.feed(response.get_data(as_text=True))
            seen += 1
            if texts.lang != locale:
                problems.append(f"{path} as {role}: <html lang={texts.lang!r}>")
            problems += [f"{path} as {role}: {text!r}" for text in texts.found
                         if text in english]
    assert seen >= 40, f"only {seen} pages were checked"
    assert not problems, "English left on pages:\n" + "\n".join(sorted(set(problems)))
