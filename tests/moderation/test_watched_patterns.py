"""Watched-word patterns: what is accepted, how it matches, and that it cannot blow up."""

from __future__ import annotations

import re
import time

import pytest

from community.errors import Invalid
from community.moderation.models import WatchedAction
from community.moderation.watched import (
    CENSOR_MARK,
    Matcher,
    Rule,
    censor_html,
    clean_pattern,
    to_regex,
)
from community.text import render_markdown


def matcher(*patterns: str, action: WatchedAction = WatchedAction.HOLD) -> Matcher:
    return Matcher(Rule(i, clean_pattern(p), action, True) for i, p in enumerate(patterns))


def test_words_match_whole_words_in_any_case(app):
    m = matcher("idiot")
    assert [h.text for h in m.hits("You IDIOT!")] == ["IDIOT"]
    assert m.hits("idiotic") == []


def test_a_star_at_a_word_edge_matches_more_letters_and_a_phrase_any_space(app):
    assert matcher("idiot*").hits("idiots all")[0].text == "idiots"
    assert matcher("*hole").hits("what a pothole")[0].text == "pothole"
    assert matcher("kill yourself").hits("kill\n  yourself")[0].text == "kill\n  yourself"
    assert matcher("c?t").hits("cut it")[0].text == "cut"


@pytest.mark.parametrize("pattern", ["a", "(a+)+", "a*b", "x" * 101, "**", "foo|bar",
                                     "[abc]", "a\\1", "one two three four five six seven "
                                     "eight nine", "???"])
def test_unsafe_or_meaningless_patterns_are_refused(app, pattern):
    with pytest.raises(Invalid) as caught:
        clean_pattern(pattern)
    assert "pattern" in caught.value.fields


def test_compiled_patterns_have_no_unbounded_repetition(app):
    source = to_regex(clean_pattern("*ab* c?d *ef*"))
    assert "*" not in source.replace(r"\*", "") and "+" not in source.replace(r"\s+", "")
    re.compile(source)


def test_two_hundred_rules_on_a_hostile_text_match_in_linear_time(app):
    m = matcher(*[f"*{chr(97 + i % 26)}{chr(97 + i // 26)}x*" for i in range(200)])
    hostile = ("a" * 39 + " ") * 500  # 20,000 characters of near misses
    start = time.perf_counter()
    m.hits(hostile)
    assert time.perf_counter() - start < 1.0


def test_censoring_replaces_text_but_never_touches_tags_or_entities(app):
    html = render_markdown('Say **darn** & [darn](https://darn.example/darn "darn") <b>darn</b>')
    out = censor_html(html, matcher("darn", action=WatchedAction.CENSOR))
    assert "darn" not in out.replace("https://darn.example/darn", "").replace('"darn"', "")
    assert CENSOR_MARK in out
    assert 'href="https://darn.example/darn"' in out
    assert "&amp;" in out and "<strong>" in out and "&lt;b&gt;" in out


def test_censoring_a_word_that_looks_like_an_entity_keeps_the_html_valid(app):
    html = render_markdown("fish &amp; chips & lt")
    out = censor_html(html, matcher("amp", "lt", action=WatchedAction.CENSOR))
    assert "&amp;" in out and "<" not in out.replace("<p>", "").replace("</p>", "")
