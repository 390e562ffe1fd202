"""The only module that turns user text into HTML: Markdown, then bleach with an allow-list."""

from __future__ import annotations

import re
import unicodedata
from functools import partial

import bleach
from bleach.linkifier import LinkifyFilter
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
})
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"], "ol": ["start"], "th": ["align"],
                      "td": ["align"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer ugc"

# C0/C1 controls other than tab and newline: invisible, and a way to smuggle text past filters.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Raw HTML off: everything a user types is text. Images off: an image from
# another site would tell that site who is reading a confidential space.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable(["table", "strikethrough"])
_markdown.disable(["image", "html_inline", "html_block"])


def _set_rel(attrs: dict, new: bool = False) -> dict:  # type: ignore[type-arg]
    href_key = (None, "href")
    if href_key in attrs:
        attrs[(None, "rel")] = LINK_REL
        attrs.pop((None, "target"), None)
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_set_rel], skip_tags={"pre", "code"})],
)


def normalize(text: str) -> str:
    """NFC, Unix newlines, no control characters, no surrounding white space."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROL.sub("", text).strip()


def render_markdown(source: str) -> str:
    """Markdown source (already normalized) to HTML that is safe to mark safe."""
    return _cleaner.clean(_markdown.render(source))


def plain_text(html: str) -> str:
    """Text content of stored HTML, for search indexes and notifications."""
    return bleach.clean(html, tags=set(), strip=True)
