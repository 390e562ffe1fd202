"""Hostile input: the stored HTML is safe and the text survives."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from community.text import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    LINK_REL,
    excerpt,
    normalize,
    normalize_line,
    plain_text,
    render,
    render_markdown,
)


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.found.append((tag, attrs))


def safe(html: str) -> bool:
    """Every element and attribute is on the allow-list and every link is http(s)/mailto or
    relative: what a browser would actually parse, not what the escaped text says."""
    parser = _Elements()
    parser.feed(html)
    for tag, attrs in parser.found:
        if tag not in ALLOWED_TAGS:
            return False
        for name, value in attrs:
            if name == "class" and tag == "a" and value == "mention":
                continue
            if name not in ALLOWED_ATTRIBUTES.get(tag, ()):
                return False
            if name == "href":
                scheme = urlsplit((value or "").strip()).scheme.lower()
                if scheme not in ("", "http", "https", "mailto"):
                    return False
    return True


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD4=)",
    "[click](vbscript:msgbox)",
    "<iframe src=//evil></iframe>",
    "<form action=//evil><input name=a></form>",
    "<style>body{display:none}</style>",
    "<svg onload=alert(1)>",
    "<div style=\"background:url(javascript:x)\">x</div>",
    "<<script>script>alert(1)<</script>/script>",
    "<b><i>unclosed <u>nested <p>markup",
    "<!-- comment --><scr<!-- -->ipt>alert(1)</script>",
    "![tracker](https://evil.example/pixel.png)",
    "<audio src=https://evil.example/a.mp3></audio><video src=x>",
    "[x](https://ok.example \"title\" onclick=alert(1))",
    "`<script>` and ```\n<script>alert(1)</script>\n```",
    "> " * 500 + "deep",
    "- " * 2000 + "deep list",
])
def test_hostile_markup_is_rendered_harmless(source):
    html = render_markdown(normalize(source))
    assert safe(html), html


def test_the_safety_check_itself_catches_live_markup():
    assert not safe('<p><img src="x"></p>')
    assert not safe('<a href="javascript:alert(1)">x</a>')
    assert not safe('<a href="https://x" onclick="y">x</a>')
    assert safe('<p>&lt;script&gt; onerror=1 javascript:x</p>')


def test_markup_typed_by_a_user_is_shown_as_text():
    html = render_markdown(normalize("I <3 <b>bold</b> & <script>x</script>"))
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;script&gt;" in html
    assert plain_text(html).strip() == "I <3 <b>bold</b> & <script>x</script>"


def test_links_get_rel_and_no_target():
    html = render_markdown("[site](https://example.org) and https://example.com/x")
    assert html.count(f'rel="{LINK_REL}"') == 2
    assert "target=" not in html


def test_images_from_other_sites_are_never_embedded():
    html = render_markdown("![me](https://tracker.example/p.gif)")
    assert "<img" not in html


def test_control_characters_are_removed_and_new_lines_kept():
    assert normalize("a\x00b\x07c\x1b[31md\r\ne\rf\u2028g") == "abc[31md\ne\nf\ng"


def test_bidi_overrides_are_removed_but_right_to_left_text_survives():
    arabic, hebrew = "مرحبا بالعالم", "שלום עולם"
    text = normalize(f"{arabic} \u202egnp.exe\u202c {hebrew} \u2067x\u2069 \u200f")
    assert "\u202e" not in text and "\u202c" not in text and "\u2067" not in text
    assert arabic in text and hebrew in text and "\u200f" in text
    assert arabic in render_markdown(text)


def test_emoji_and_joined_sequences_survive():
    source = "Family 👨‍👩‍👧‍👦, flag 🇩🇰🇳🇴, skin 👍🏽, keycap 1️⃣, ZWNJ می‌خواهم"
    assert normalize(source) == source
    assert plain_text(render_markdown(source)).strip() == source


def test_combining_characters_survive_but_zalgo_stacks_are_capped():
    assert normalize("Ålesund, Tiếng Việt, e\u0301") == "Ålesund, Tiếng Việt, \u00e9"
    zalgo = "Z" + "\u0336\u0335\u0334\u0337" * 50
    cleaned = normalize(zalgo)
    assert cleaned.startswith("Z") and len(cleaned) <= 5


def test_lone_surrogates_and_non_characters_cannot_reach_the_database():
    assert normalize("a\ud800b\udfffc\ufffe\uffff") == "abc"
    normalize("x\ud83d").encode("utf-8")


def test_huge_input_renders_without_losing_text():
    source = normalize("word " * 4000)
    html = render_markdown(source)
    assert plain_text(html).count("word") == 4000


def test_titles_become_one_line():
    assert normalize_line("  A\n\ttitle \u202e here\x00 ") == "A title here"


def test_mentions_link_only_known_names_outside_code_and_links():
    html, mentioned = render(
        "Hi @robin, @Kit Kat and @nobody; mail a@robin.org; `@robin`; [@robin](https://x.org)",
        mentions={"Robin": "/m/1", "Kit Kat": "/m/2"})
    assert html.count('class="mention"') == 2
    assert '<a href="/m/1" class="mention"' in html
    assert mentioned == {"robin", "kit kat"}
    assert "@nobody" in html and "<code>@robin</code>" in html


def test_excerpt_is_plain_and_short():
    assert excerpt("<p>a &amp; <strong>b</strong></p>") == "a & b"
    assert len(excerpt("<p>" + "x" * 500 + "</p>", 50)) == 50


def test_bare_urls_become_links_with_rel_but_not_in_code_nor_other_schemes():
    html = render_markdown("go to https://example.org/a). `https://code.example` "
                           "javascript:alert(1) data:text/html,x vbscript:x")
    assert html.count("<a ") == 1
    assert f'<a href="https://example.org/a" rel="{LINK_REL}">' in html
    assert "<code>https://code.example</code>" in html
    assert safe(html)


def test_every_link_gets_rel_even_autolinks_and_mentions():
    html, _ = render("<https://a.example> [b](http://b.example \"t\") @robin",
                     mentions={"Robin": "/m/1"})
    assert html.count("<a ") == 3
    assert html.count(f'rel="{LINK_REL}"') == 3
