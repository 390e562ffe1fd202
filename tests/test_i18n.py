"""Languages: every word a page shows is translatable, every catalogue is complete, the
locale comes from the profile else the browser, and dates are written the locale's way."""

from __future__ import annotations

import ast
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from http import HTTPStatus
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import force_locale
from jinja2 import Environment, nodes

from community.config import SUPPORTED_LOCALES
from community.extensions import db
from community.facilitation.models.rhythm import TimerAction
from community.forums.models import PostState, ThreadKind
from community.moderation.models import FlagReason, ReviewState, WatchedAction
from community.spaces.models import Anonymity, JoinPolicy, MembershipState, ModerationPolicy, Role
from community.templating import CODE_LABELS
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
TRANSLATIONS = ROOT / "community" / "translations"
LOCALES = [code for code in SUPPORTED_LOCALES if code != "en"]  # English is the source

LETTERS = re.compile(r"[^\W\d_]")  # a letter of any script
PLACEHOLDER = re.compile(r"%\((\w+)\)")
# Attributes a person reads or hears (screen readers read aria-label and alt).
VISIBLE_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "aria-description",
                      "aria-roledescription", "aria-valuetext"}
BUTTON_INPUTS = {"submit", "button", "reset"}
# Text with letters that is not language: names, units and formats every locale writes alike.
NOT_LANGUAGE = {"Co-careering Community", "Markdown", "API", "CSV", "JSON", "UTC"}
GETTEXT_NAMES = {"_", "gettext", "ngettext", "pgettext", "npgettext"}


# --- (a) templates ---------------------------------------------------------------------------

def _jinja() -> Environment:
    return Environment(extensions=["jinja2.ext.i18n", "jinja2.ext.do"], autoescape=True)


def template_html(source: str) -> str:
    """The template's own HTML, lines kept: each {{ … }} becomes "{}", {% … %} and {# … #}
    vanish, and what a {% trans %} block holds is blanked (it is translatable)."""
    out: list[str] = []
    line, in_trans, first_name_of_tag = 1, 0, False
    for lineno, kind, value in _jinja().lex(source):
        while line < lineno:
            out.append("\n")
            line += 1
        if kind == "data":
            text = re.sub(r"[^\n]", " ", value) if in_trans else value
            out.append(text)
            line += text.count("\n")
        elif kind == "variable_begin":
            out.append("{}")
        elif kind == "block_begin":
            first_name_of_tag = True
        elif kind == "name" and first_name_of_tag:
            in_trans += {"trans": 1, "pluralize": 0, "endtrans": -1}.get(value, 0)
            first_name_of_tag = False
    return "".join(out)


class _VisibleText(HTMLParser):
    """Collects (line, what) for text and visible attributes that hold letters."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.in_code = 0  # <script>/<style>: not words for people

    def _check(self, text: str, what: str) -> None:
        words = text.replace("{}", " ")
        for allowed in NOT_LANGUAGE:
            words = words.replace(allowed, " ")
        if LETTERS.search(words):
            self.found.append((self.getpos()[0], what))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.in_code += 1
        kind = dict(attrs).get("type", "")
        for name, value in attrs:
            visible = name in VISIBLE_ATTRIBUTES or (
                name == "value" and tag == "input" and kind in BUTTON_INPUTS)
            if visible and value:
                self._check(value, f"<{tag} {name}={value!r}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self.in_code -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.in_code = max(0, self.in_code - 1)

    def handle_data(self, data: str) -> None:
        if not self.in_code:
            self._check(data, f"text {data.strip()!r}")


def untranslatable_in_template(path: Path, root: Path = ROOT) -> list[str]:
    source = path.read_text(encoding="utf-8")
    parser = _VisibleText()
    parser.feed(template_html(source))
    parser.close()
    where = path.relative_to(root)
    problems = [f"{where}:{line}: {what} is not in a gettext call" for line, what in parser.found]
    for call in _jinja().parse(source).find_all(nodes.Call):
        name = call.node.name if isinstance(call.node, nodes.Name) else None
        if name in GETTEXT_NAMES and not (call.args and isinstance(call.args[0], nodes.Const)):
            problems.append(f"{where}:{call.lineno}: {name}() of a variable: extraction cannot "
                            "see the words (use a label table, e.g. the `label` filter)")
        if isinstance(call.node, nodes.Getattr) and call.node.attr == "strftime":
            problems.append(f"{where}:{call.lineno}: strftime() writes dates in one format "
                            "for every language (use date_time, time_of_day or day)")
    return problems


def test_the_template_checker_finds_bare_words_and_accepts_wrapped_ones(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '{% block x %}<p title="Hello">Hi {{ name }}</p>\n'
        '<input type="submit" value="Send"><button value="approve">{{ _("OK") }}</button>\n'
        '<p>{{ _("Fine") }} · 42 · UTC {% trans %}Also fine{% endtrans %}</p>'
        '<script>go()</script>\n'
        "{{ when.strftime('%Y') }}{{ _(kind) }}{% endblock %}")
    assert untranslatable_in_template(page, tmp_path) == [
        "page.html:1: <p title='Hello'> is not in a gettext call",
        "page.html:1: text 'Hi {}' is not in a gettext call",
        "page.html:2: <input value='Send'> is not in a gettext call",
        "page.html:4: strftime() writes dates in one format for every language "
        "(use date_time, time_of_day or day)",
        "page.html:4: _() of a variable: extraction cannot see the words "
        "(use a label table, e.g. the `label` filter)"]


def test_every_word_in_the_templates_goes_through_gettext():
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 50
    problems = [p for path in templates for p in untranslatable_in_template(path)]
    assert not problems, "\n" + "\n".join(problems)


# --- Python: messages people read ------------------------------------------------------------

MESSAGE_CALLS = {"flash", "AppError", "NotFound", "Unauthorized", "Forbidden", "Conflict",
                 "Invalid", "AgreementRequired", "ValidationError"}


def _is_bare_text(node: ast.AST | None) -> bool:
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.Constant) and isinstance(node.value, str) \
        and bool(LETTERS.search(node.value))


def untranslated_python_messages(path: Path, root: Path = ROOT) -> list[str]:
    """Bare strings where a person will read them: flash(), a domain error's message or its
    `fields`, marshmallow's ValidationError, and a form field's label."""
    problems = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        where = f"{path.relative_to(root)}:{node.lineno}"
        if name in MESSAGE_CALLS or (name.endswith("Field") and name[0].isupper()):
            first = node.args[0] if node.args else None
            label = next((k.value for k in node.keywords if k.arg in ("message", "label")),
                         first)
            if _is_bare_text(label):
                problems.append(f"{where}: {name}() is given text outside gettext")
            for keyword in node.keywords:
                if (keyword.arg == "fields" and isinstance(keyword.value, ast.Dict)
                        and any(_is_bare_text(v) for v in keyword.value.values)):
                    problems.append(f"{where}: {name}(fields=…) holds text outside gettext")
    return problems


def test_the_python_checker_finds_bare_messages_and_accepts_wrapped_ones(tmp_path):
    module = tmp_path / "views.py"
    module.write_text(
        'flash("Saved.")\n'
        'flash(_("Saved."), "success")\n'
        'raise Invalid(fields={"name": f"{n} is taken"})\n'
        'raise Conflict(_("Taken."), code="taken", fields={"name": _("Taken.")})\n'
        'title = StringField("Title")\n'
        'body = TextAreaField(_l("Text"), validators=[])\n'
        'raise ValidationError(message="Bad")\n')
    assert untranslated_python_messages(module, tmp_path) == [
        "views.py:1: flash() is given text outside gettext",
        "views.py:3: Invalid(fields=…) holds text outside gettext",
        "views.py:5: StringField() is given text outside gettext",
        "views.py:7: ValidationError() is given text outside gettext"]


def test_messages_in_python_code_go_through_gettext():
    problems = [p for path in sorted((ROOT / "community").rglob("*.py"))
                for p in untranslated_python_messages(path)]
    assert not problems, "\n" + "\n".join(problems)


def test_every_code_a_page_shows_has_words(app):
    enums = {"thread_kind": ThreadKind, "post_state": PostState, "review_state": ReviewState,
             "role": Role, "membership_state": MembershipState, "join_policy": JoinPolicy,
             "anonymity": Anonymity, "moderation_policy": ModerationPolicy,
             "watched_action": WatchedAction, "flag_reason": FlagReason,
             "timer_action": TimerAction}
    missing = {kind: sorted({m.value for m in enum} - set(CODE_LABELS[kind]))
               for kind, enum in enums.items()}
    assert not any(missing.values()), missing


# --- (b) catalogues --------------------------------------------------------------------------

def read_catalogue(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh)


def _key(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, (list, tuple)) else (message.id,)


def catalogue_problems(template: Catalog, catalogue: Catalog) -> list[str]:
    """What keeps `catalogue` from saying everything `template` asks for."""
    problems = []
    for wanted in template:
        if not wanted.id:
            continue
        ids = _key(wanted)
        shown = ids[0]
        got = catalogue.get(wanted.id)
        if got is None or _key(got) != ids:
            problems.append(f"missing: {shown!r}")
            continue
        forms = list(got.string) if isinstance(got.string, (list, tuple)) else [got.string]
        if got.fuzzy:
            problems.append(f"fuzzy: {shown!r}")
        if len(ids) > 1 and len(forms) != catalogue.num_plurals:
            problems.append(f"{len(forms)} plural forms, not {catalogue.num_plurals}: {shown!r}")
        if not all(forms):
            problems.append(f"untranslated: {shown!r}")
            continue
        expected = {name for text in ids for name in PLACEHOLDER.findall(text)}
        given = [set(PLACEHOLDER.findall(form)) for form in forms]
        if set().union(*given) != expected or any(not g <= expected for g in given):
            problems.append(f"placeholders {sorted(set().union(*given))} instead of "
                            f"{sorted(expected)}: {shown!r}")
    return problems


def test_the_catalogue_checker_names_what_is_missing_untranslated_fuzzy_or_misplaced():
    template = Catalog()
    for text in ("Hello", "Bye", "Soon", "Hi %(name)s"):
        template.add(text)
    template.add(("%(num)d post", "%(num)d posts"))
    catalogue = Catalog(locale="da")
    catalogue.add("Hello", "Hej")
    catalogue.add("Bye", "")
    catalogue.add("Soon", "Snart", flags=["fuzzy"])
    catalogue.add("Hi %(name)s", "Hej %(navn)s")
    catalogue.add(("%(num)d post", "%(num)d posts"), ("%(num)d indlæg", ""))
    assert catalogue_problems(template, catalogue) == [
        "untranslated: 'Bye'", "fuzzy: 'Soon'",
        "placeholders ['navn'] instead of ['name']: 'Hi %(name)s'",
        "untranslated: '%(num)d post'"]


def test_the_message_template_holds_every_translatable_string_of_the_sources(tmp_path):
    fresh = tmp_path / "messages.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"),
                                "-k", "_l", "-k", "lazy_gettext", "-o", str(fresh),
                                "--no-location", "--sort-output", str(ROOT)])
    committed = {_key(m) for m in read_catalogue(TRANSLATIONS / "messages.pot") if m.id}
    current = {_key(m) for m in read_catalogue(fresh) if m.id}
    new, gone = sorted(current - committed), sorted(committed - current)
    assert not new and not gone, (
        "community/translations/messages.pot is out of date; run `pybabel extract -F babel.cfg "
        "-k _l -k lazy_gettext -o community/translations/messages.pot --no-location "
        "--sort-output .` then `pybabel update -d community/translations -i "
        f"community/translations/messages.pot`.\nNew: {new}\nGone: {gone}")


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated_with_its_placeholders(locale):
    template = read_catalogue(TRANSLATIONS / "messages.pot")
    catalogue = read_catalogue(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po")
    assert str(catalogue.locale) == locale
    problems = catalogue_problems(template, catalogue)
    assert not problems, f"{locale}: {len(problems)} of {len(template)} messages:\n" + \
        "\n".join(problems)


# --- (c) which language a page is in ----------------------------------------------------------

def translation(locale: str, msgid: str) -> str:
    """What the installed (compiled) catalogue says for `msgid`, checked against its source."""
    po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    compiled = mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime
    assert compiled, (
        f"{mo.relative_to(ROOT)} is missing or older than its .po: run `make install` "
        "(pybabel compile -d community/translations)")
    message = read_catalogue(po).get(msgid)
    assert message is not None and message.string and message.string != msgid, (
        f"{locale} has no translation of {msgid!r} yet")
    return message.string


def heading(html: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert match, html[:500]
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def html_lang(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', html)
    assert match
    return match.group(1)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_member_whose_profile_says_a_language_gets_pages_in_it(app, as_user, member, locale):
    member.locale = locale
    db.session.commit()
    page = as_user(member).get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    html = page.get_data(as_text=True)
    assert page.status_code == HTTPStatus.OK
    assert html_lang(html) == locale
    assert heading(html) == translation(locale, "My spaces")


@pytest.mark.parametrize(("accept", "locale"), [
    ("da-DK,da;q=0.9,en;q=0.5", "da"), ("nb-NO,nb;q=0.9", "nb"), ("nn-NO,nn;q=0.9", "nn"),
    ("no;q=0.9,en;q=0.5", "nb")])
def test_a_signed_out_visitor_gets_the_language_the_browser_asks_for(client, accept, locale):
    html = client.get("/sign-in", headers={"Accept-Language": accept}).get_data(as_text=True)
    assert html_lang(html) == locale
    assert heading(html) == translation(locale, "Sign in")


@pytest.mark.parametrize("accept", ["fr-FR,fr;q=0.9", "en-US", ""])
def test_a_browser_asking_for_no_language_we_have_gets_english(client, accept):
    headers = {"Accept-Language": accept} if accept else {}
    html = client.get("/sign-in", headers=headers).get_data(as_text=True)
    assert (html_lang(html), heading(html)) == ("en", "Sign in")


def test_the_profile_language_wins_over_the_browser(app, as_user, member):
    member.locale = "nn"
    db.session.commit()
    html = as_user(member).get("/", headers={"Accept-Language": "da"}).get_data(as_text=True)
    assert html_lang(html) == "nn"


@pytest.mark.parametrize("locale", LOCALES)
def test_form_validation_messages_are_in_the_visitor_language(client, locale):
    page = client.post("/sign-in", data={"email": "", "password": ""},
                       headers={"Accept-Language": locale})
    assert page.status_code == HTTPStatus.BAD_REQUEST
    assert translation(locale, "This field is required.") in page.get_data(as_text=True)


@pytest.mark.parametrize("locale", LOCALES)
def test_api_errors_are_in_the_caller_language(client, locale):
    response = client.get("/api/v1/spaces", headers={"Accept-Language": locale})
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.get_json()["error"]["message"] == translation(locale, "Please sign in.")
    assert response.get_json()["error"]["code"] == "unauthorized"  # codes stay codes


# --- (d) dates --------------------------------------------------------------------------------

MOMENT = datetime(2026, 11, 22, 15, 8, 5, tzinfo=UTC)


@pytest.mark.parametrize(("locale", "date_time", "time_of_day", "day"), [
    ("en", "Nov 22, 2026, 3:08\u202fPM UTC", "3:08\u202fPM UTC", "Nov 22, 2026"),
    ("da", "22. nov. 2026 15.08 UTC", "15.08 UTC", "22. nov. 2026"),
    ("nb", "22. nov. 2026, 15:08 UTC", "15:08 UTC", "22. nov. 2026"),
    ("nn", "22. nov. 2026, 15:08 UTC", "15:08 UTC", "22. nov. 2026")])
def test_dates_and_times_are_written_the_way_the_locale_writes_them(
        app, locale, date_time, time_of_day, day):
    template = ("{{ t|date_time }}|{{ t|time_of_day }}|{{ t|day }}|{{ d|day }}|"
                "{{ naive|date_time }}|{{ iso|date_time }}|{{ t|date_time(zone=False) }}")
    with app.test_request_context(), force_locale(locale):
        shown = render_template_string(template, t=MOMENT, d=date(2026, 11, 22),
                                       naive=MOMENT.replace(tzinfo=None),
                                       iso=MOMENT.isoformat())
    without_zone = date_time.removesuffix(" UTC")
    assert shown.split("|") == [date_time, time_of_day, day, day, date_time, date_time,
                                without_zone]


def test_a_danish_member_sees_dates_written_the_danish_way(app, as_user, member):
    agreement = factories.site_agreement(accepted_by=[member])
    agreement.published_at = MOMENT
    member.locale = "da"
    db.session.commit()
    html = as_user(member).get("/agreements/site").get_data(as_text=True)
    assert "22. nov. 2026" in html
    assert "Nov 22, 2026" not in html


def test_the_code_label_filter_speaks_the_page_language(app):
    with app.test_request_context(), force_locale("en"):
        shown = render_template_string("{{ s|label('post_state') }}/{{ 'odd'|label('role') }}",
                                       s=PostState.PENDING)
    assert shown == "waiting for review/odd"

