"""The only module that turns user text into HTML: Markdown, then bleach with an allow-list.

Everything a user types goes through `normalize` (or `normalize_line`) before it is
stored, and through `render_markdown` before it is shown. Raw HTML in the source is
text, never markup; the cleaner is the second wall should the renderer ever let a tag
through, and the Content-Security-Policy is the third.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

import bleach
from bleach.html5lib_shim import Filter
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
})
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"], "ol": ["start"], "th": ["align"],
                      "td": ["align"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer ugc"
MENTION_CLASS = "mention"

# Removed outright:
# - C0/C1 controls other than tab and newline: invisible, and a way past filters;
# - bidirectional embeddings, overrides and isolates (U+202A-202E, U+2066-2069), which
#   make text read differently from what it is ("Trojan source"); the plain marks
#   LRM/RLM that right-to-left writers need stay;
# - the byte order mark, interlinear annotation marks, non-characters, and lone
#   surrogates (which JSON can carry but no database can store).
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb"
    "\ufffe\uffff\ud800-\udfff]")
_LINE_SEPARATORS = re.compile("[\u2028\u2029]")
# "Zalgo" stacks of combining marks spill over the lines around them; real writing needs
# a few at most, so a run is cut to MAX_COMBINING.
MAX_COMBINING = 4
_MARKS = "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
_COMBINING_RUN = re.compile(f"({_MARKS}{{{MAX_COMBINING}}}){_MARKS}+")
_WORD = re.compile(r"\w", re.UNICODE)

# Raw HTML off: everything a user types is text. Images off: an image from another
# site would tell that site who is reading a confidential space. The commonmark preset
# caps nesting (maxNesting), so deeply nested quotes or lists cannot exhaust the stack.
# Bare URLs (with a scheme: https://..., mailto:...) become links here (linkify-it-py,
# never inside code, and through the same link validation as written links, which
# refuses javascript:, vbscript:, data: ...) rather than in a second html5lib pass of
# bleach's LinkifyFilter. linkify-it's matching is a large regular expression, so it
# runs only on sources that contain a URL at all (`_linkify_urls`).
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
_markdown.enable(["table", "strikethrough", "linkify"])
_markdown.disable(["image", "html_inline", "html_block"])
_markdown.linkify.set({"fuzzy_email": False, "fuzzy_link": False})
_URLISH = re.compile(r"://|mailto:", re.IGNORECASE)
_linkify_rule = _markdown.core.ruler.__rules__[
    _markdown.core.ruler.__find__("linkify")].fn


def _linkify_urls(state: StateCore) -> None:
    if _URLISH.search(state.src):
        _linkify_rule(state)


_markdown.core.ruler.at("linkify", _linkify_urls)


def _link_mentions(state: StateCore) -> None:
    """Turn `@name` in plain text (not in code, not inside a link) into a link."""
    names: Mapping[str, str] | None = state.env.get("mentions")
    if not names:
        return
    ordered = sorted(names.items(), key=lambda item: -len(item[0]))
    found: set[str] = state.env.setdefault("mentioned", set())
    for block in state.tokens:
        if block.type != "inline" or not block.children or "@" not in block.content:
            continue
        children: list[Token] = []
        in_link = 0
        for token in block.children:
            if token.type == "link_open":
                in_link += 1
            elif token.type == "link_close":
                in_link -= 1
            if token.type != "text" or in_link or "@" not in token.content:
                children.append(token)
                continue
            children.extend(_split_mentions(token, ordered, found))
        block.children = children


def _split_mentions(token: Token, names: list[tuple[str, str]], found: set[str]) -> list[Token]:
    text, out, start, i = token.content, [], 0, 0
    while (i := text.find("@", i)) != -1:
        if i > 0 and (_WORD.match(text[i - 1]) or text[i - 1] in "@."):
            i += 1
            continue
        match = None
        for name, href in names:
            end = i + 1 + len(name)
            if (text[i + 1:end].casefold() == name.casefold()
                    and (end == len(text) or not _WORD.match(text[end]))):
                match = (name, href, end)
                break
        if match is None:
            i += 1
            continue
        name, href, end = match
        if i > start:
            out.append(_text_token(text[start:i]))
        link = Token("link_open", "a", 1)
        link.attrs = {"href": href, "class": MENTION_CLASS}
        out.extend([link, _text_token(text[i:end]), Token("link_close", "a", -1)])
        found.add(name.casefold())
        start = i = end
    if start == 0:
        return [token]
    if start < len(text):
        out.append(_text_token(text[start:]))
    return out


def _text_token(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


_markdown.core.ruler.push("mentions", _link_mentions)


class _LinkRel(Filter):  # type: ignore[misc]
    """After the sanitizer: every link gets rel="nofollow noopener noreferrer ugc" and no
    target, whatever the renderer produced; an <a> without href keeps no rel either."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for token in Filter.__iter__(self):
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                attrs = dict(token["data"])
                attrs.pop((None, "target"), None)
                if (None, "href") in attrs:
                    attrs[(None, "rel")] = LINK_REL
                else:
                    attrs.pop((None, "rel"), None)
                token["data"] = attrs
            yield token


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if name in ALLOWED_ATTRIBUTES.get(tag, ()):
        return True
    return tag == "a" and name == "class" and value == MENTION_CLASS


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=_allowed_attribute,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[_LinkRel],
)


def normalize(text: str) -> str:
    """NFC, Unix newlines, no invisible controls, no surrounding white space."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _LINE_SEPARATORS.sub("\n", _INVISIBLE.sub("", text))
    text = unicodedata.normalize("NFC", text)
    return _COMBINING_RUN.sub(r"\1", text).strip()


def normalize_line(text: str) -> str:
    """`normalize`, and all white space (new lines too) collapsed to single spaces."""
    return " ".join(normalize(text).split())


def render_markdown(source: str, *, mentions: Mapping[str, str] | None = None) -> str:
    """Markdown source (already normalized) to HTML that is safe to mark safe.

    `mentions` maps the names that `@name` may refer to onto the link for each.
    """
    return render(source, mentions=mentions)[0]


def render(source: str, *, mentions: Mapping[str, str] | None = None) -> tuple[str, set[str]]:
    """The safe HTML and the (case-folded) names that were mentioned and linked."""
    env: dict[str, Any] = {"mentions": mentions} if mentions else {}
    dirty = _markdown.render(source, env)
    return _cleaner.clean(dirty), set(env.get("mentioned", ()))


def plain_text(html_text: str) -> str:
    """Text content of stored HTML, for quotes, excerpts and notifications."""
    return html.unescape(bleach.clean(html_text, tags=set(), strip=True))


def excerpt(html_text: str, length: int = 200) -> str:
    """The first `length` characters of the text of stored HTML, on one line."""
    text = " ".join(plain_text(html_text).split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"
