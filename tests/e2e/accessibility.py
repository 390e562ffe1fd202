"""Accessibility checks for the browser tests: axe-core's WCAG 2.2 AA rules and reflow at
200% and 400% zoom (WCAG 1.4.10), run on every page a journey visits."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0-2.2 A and AA, plus axe's best practices (landmarks, one h1, heading order,
# unique landmark names), which screen-reader users feel as much as the criteria.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# axe only asks a person to review these; we know the answer: a duplicated id that a
# label or aria-* attribute points to gives the second control no name (WCAG 4.1.2).
AXE_STRICT = ["duplicate-id-aria"]
# A 1280 px wide window at 200% and 400% zoom lays pages out in 640 and 320 CSS px.
ZOOMED_WIDTHS = {"200%": 640, "400%": 320}
DESKTOP = {"width": 1280, "height": 800}


@functools.cache
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` in the checkout (scripts/ensure-browser)")
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now.

    The script goes in through page.evaluate (the DevTools protocol), which the page's
    Content-Security-Policy does not govern: add_script_tag would insert an inline
    <script> that our CSP (no 'unsafe-inline') rightly blocks, and bypass_csp would test
    a page other than the one users get.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    return page.evaluate(
        """([tags, strict]) => axe.run(document, {runOnly: {type: 'tag', values: tags}})
           .then(result => result.violations.concat(
                 result.incomplete.filter(v => strict.includes(v.id))).map(v => ({
               id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes.map(n => ({target: n.target.join(' '),
                                         html: n.html.slice(0, 200),
                                         why: n.failureSummary}))})))""",
        [AXE_TAGS, AXE_STRICT])


def assert_accessible(page: Any, label: str = "") -> None:
    violations = axe_violations(page)
    assert not violations, (f"axe-core on {label or page.url} ({page.url}):\n"
                            + json.dumps(violations, indent=1, ensure_ascii=False))


def reflow_problems(page: Any) -> dict[str, Any] | None:
    """Horizontal scrolling of the whole page, or main content off screen or empty."""
    return page.evaluate("""() => {
        const root = document.documentElement;
        const main = document.querySelector('main');
        const box = main ? main.getBoundingClientRect() : null;
        const problems = {};
        if (root.scrollWidth > root.clientWidth + 1) {
            problems.scrollWidth = root.scrollWidth;
            problems.clientWidth = root.clientWidth;
            problems.widest = [...document.querySelectorAll('main *, header *')]
                .filter(n => n.getBoundingClientRect().right > root.clientWidth + 1)
                .slice(0, 5).map(n => n.outerHTML.slice(0, 120));
        }
        if (!box || box.width <= 0 || box.height <= 0 || box.left < 0
            || box.right > root.clientWidth + 1 || !main.innerText.trim()) {
            problems.main = box && {left: box.left, right: box.right, width: box.width};
        }
        return Object.keys(problems).length ? problems : null;
    }""")


def assert_reflows(page: Any, label: str = "") -> None:
    """At 200% and 400% zoom: no horizontal scrolling, main content visible; axe again at
    400%, where overlaps and scrolling regions appear that the wide layout hides."""
    original = page.viewport_size or DESKTOP
    try:
        for zoom, width in ZOOMED_WIDTHS.items():
            page.set_viewport_size({"width": width,
                                    "height": max(200, original["height"] * width // 1280)})
            problems = reflow_problems(page)
            assert problems is None, f"{label or page.url} at {zoom} zoom: {problems}"
        assert_accessible(page, f"{label or page.url} at 400% zoom")
    finally:
        page.set_viewport_size(original)


def check_page(page: Any, label: str = "") -> None:
    """What every page of a journey must pass: axe-core, then reflow at 200% and 400%."""
    page.wait_for_load_state()
    assert_accessible(page, label)
    assert_reflows(page, label)
