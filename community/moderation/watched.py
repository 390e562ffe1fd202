"""Watched words: validating patterns, compiling them to safe regexes, matching, censoring.

Users never write regular expressions. A pattern is a word or phrase with two simple
wildcards, which we compile ourselves:

- `*` at the start or end of a word: any further letters (``idiot*`` matches "idiots");
- `?` anywhere in a word: exactly one letter or digit.

Words match whole words only, case-insensitively; white space in a phrase matches any
run of white space. Because `*` can only stand at a word's edge and every other piece
is a literal or a single-character class, the compiled regex has no nested or
unbounded quantifiers (`*` becomes a bounded run of letters): matching is linear in
the text, whatever the user typed (the "time bound" is by construction, and
`MAX_PATTERNS` and the post length cap the work; a test and the benchmark measure it).
Compiled rules are cached until the rules change.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _

from community.errors import Invalid
from community.moderation.models import WatchedAction
from community.text import normalize_line

PATTERN_MIN, PATTERN_MAX = 2, 100
MAX_WORDS = 8
MAX_PATTERNS = 1000  # per scope
CENSOR_MARK = "✱✱✱"
_WORD_OK = re.compile(r"^\*?[\w?'\u2019\-.]+\*?$")
_STAR = r"\w{0,40}"  # bounded even at a word's edge


@dataclass(frozen=True)
class Rule:
    id: int
    pattern: str
    action: WatchedAction
    site_wide: bool


@dataclass(frozen=True)
class Hit:
    rule: Rule
    text: str


def clean_pattern(raw: str) -> str:
    """The pattern as stored (normalized, lower-case), or Invalid naming the problem."""
    pattern = normalize_line(raw if isinstance(raw, str) else "").casefold()
    if not PATTERN_MIN <= len(pattern) <= PATTERN_MAX:
        raise Invalid(fields={"pattern": _("Use %(a)d to %(b)d characters.",
                                           a=PATTERN_MIN, b=PATTERN_MAX)})
    words = pattern.split(" ")
    if len(words) > MAX_WORDS:
        raise Invalid(fields={"pattern": _("Use at most %(n)d words.", n=MAX_WORDS)})
    for word in words:
        if not _WORD_OK.match(word) or "*" in word.strip("*"):
            raise Invalid(fields={"pattern": _(
                "Use letters, digits and spaces; * only at the start or end of a word, "
                "? for a single letter.")})
        if not re.search(r"\w", word.replace("?", "")):
            raise Invalid(fields={"pattern": _("Each word needs at least one letter or digit.")})
    return pattern


def to_regex(pattern: str) -> str:
    """The regex source for a cleaned pattern (see the module docstring)."""
    parts = []
    for word in pattern.split(" "):
        lead, trail = word.startswith("*"), word.endswith("*") and len(word) > 1
        core = word.strip("*")
        piece = "".join(r"\w" if c == "?" else re.escape(c) for c in core)
        parts.append((_STAR if lead else "") + piece + (_STAR if trail else ""))
    return r"(?<!\w)" + r"\s+".join(parts) + r"(?!\w)"


def literal_key(pattern: str) -> str:
    """The longest run of plain characters in a pattern: text without it cannot match."""
    runs = re.split(r"[*? ]", pattern)
    return max(runs, key=len)


class Matcher:
    """The rules of one scope, each compiled to its own safe regex.

    A rule's regex runs only when its literal key occurs in the case-folded text (a C-speed
    substring search), so 200 rules cost a few hundred substring searches per post, not
    200 regex scans. One big alternation was tried first: Python's engine tries every
    branch at every position, which made it a hundred times slower.
    """

    def __init__(self, rules: Iterable[Rule],
                 compiled: list[tuple[Rule, str, re.Pattern[str]]] | None = None) -> None:
        self.rules = list(rules)
        self._compiled = compiled if compiled is not None else [
            (rule, literal_key(rule.pattern), re.compile(to_regex(rule.pattern), re.IGNORECASE))
            for rule in self.rules]
        self._subsets: dict[WatchedAction, Matcher] = {}

    def only(self, action: WatchedAction) -> Matcher:
        """The rules with this action (compiled once, shared with this matcher)."""
        subset = self._subsets.get(action)
        if subset is None:
            compiled = [c for c in self._compiled if c[0].action == action]
            subset = self._subsets[action] = Matcher([c[0] for c in compiled], compiled)
        return subset

    def _candidates(self, text: str) -> list[tuple[Rule, re.Pattern[str]]]:
        folded = text.casefold()
        return [(rule, regex) for rule, key, regex in self._compiled if key in folded]

    def hits(self, text: str) -> list[Hit]:
        found = []
        for rule, regex in self._candidates(text):
            m = regex.search(text)
            if m:
                found.append(Hit(rule, m.group(0)))
        return found

    def censor_text(self, text: str) -> str:
        for _rule, regex in self._candidates(text):
            text = regex.sub(CENSOR_MARK, text)
        return text

    @property
    def empty(self) -> bool:
        return not self.rules


# Compiled matchers per scope, keyed by a stamp that changes with the rules.
_cache: dict[tuple[object, ...], Matcher] = {}
_lock = threading.Lock()


def matcher_for(key: tuple[object, ...], rules_loader) -> Matcher:  # type: ignore[no-untyped-def]
    """A cached Matcher for `key` (which must change whenever the rules change)."""
    matcher = _cache.get(key)
    if matcher is None:
        matcher = Matcher(rules_loader())
        with _lock:
            if len(_cache) > 2000:
                _cache.clear()
            _cache[key] = matcher
    return matcher


# Tags in sanitized HTML (html5lib serializes attributes in double quotes).
_TAG = re.compile(r'(<[^<>"]*(?:"[^"]*"[^<>"]*)*>)')


def censor_html(body_html: str, matcher: Matcher) -> str:
    """Replace matches in the text of stored, sanitized HTML, never inside a tag.

    Each text run is unescaped, censored and escaped again, so neither a match nor the
    mark can split an entity or open a tag: the result is as safe as the input.
    """
    if matcher.empty:
        return body_html
    pieces = _TAG.split(body_html)
    for i in range(0, len(pieces), 2):  # even indexes are text between tags
        if pieces[i]:
            plain = html.unescape(pieces[i])
            censored = matcher.censor_text(plain)
            if censored != plain:
                pieces[i] = html.escape(censored, quote=False)
    return "".join(pieces)
