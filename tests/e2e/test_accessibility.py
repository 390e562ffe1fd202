"""Keyboard-only use, focus, live announcements and zoom in headless Chromium against a
real `community serve` with the demo data (WCAG 2.2 AA: 2.4.1 bypass blocks, 2.4.7 focus
visible, 2.4.11 focus not obscured, 2.1.1 keyboard, 4.1.3 status messages, 1.4.10
reflow). The journeys (test_journeys.py) run axe-core on every page they visit; here are
the pages in reach of a member and a facilitator that the journeys do not visit."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.accessibility import check_page
from tests.e2e.conftest import Server, sign_in

pytestmark = pytest.mark.slow

ROBIN, KIT = "mathilde@example.org", "jonas@example.org"  # demo members "Robin" and "Kit"
FRIDA = "counsellor@example.org"  # the demo space's facilitator
SPACE = "Next steps after school"
THREAD = "University or a gap year first?"  # a demo thread with replies
SECONDS = 1000
LIVE = "#live[data-state=live]"
MAX_TABS = 300
_titles = itertools.count(1)

FOCUSED = """() => {
    const node = document.activeElement;
    const style = getComputedStyle(node);
    const box = node.getBoundingClientRect();
    return {
        tag: node.tagName.toLowerCase(), id: node.id, href: node.getAttribute('href'),
        text: (node.innerText || node.value || node.getAttribute('aria-label') || '')
              .trim().slice(0, 60),
        outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
        shadow: style.boxShadow !== 'none',
        onScreen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
                  && box.top < innerHeight && box.left < innerWidth,
        visible: style.visibility !== 'hidden' && style.opacity !== '0',
    };
}"""


@pytest.fixture(scope="module")
def sessions(browser: Any, server: Server) -> dict[str, Any]:
    """Each person signs in once (sign-in is rate limited); tests reuse the cookies."""
    states = {}
    for email in (ROBIN, KIT, FRIDA):
        context = browser.new_context(base_url=server.base)
        page = context.new_page()
        sign_in(page, email, server.passwords[email])
        states[email] = context.storage_state()
        context.close()
    return states


@pytest.fixture
def open_as(new_page: Callable[..., Any], sessions: dict[str, Any]) -> Callable[..., Any]:
    """`open_as(email or None, path)`: a page of that person's own (None: signed out)."""
    count = itertools.count(1)

    def open_page(email: str | None, path: str, **options: Any) -> Any:
        name = f"{next(count)}-{email.split('@')[0] if email else 'visitor'}"
        if email:
            options["storage_state"] = sessions[email]
        page = new_page(name, **options)
        page.goto(path)
        return page

    return open_page


def open_thread(page: Any, title: str = THREAD) -> str:
    page.goto("/")
    page.get_by_role("link", name=SPACE).click()
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    return re.sub(r"^https?://[^/]+", "", page.url)


def start_thread(page: Any, body: str) -> str:
    title = f"Zoom and keyboard, question {next(_titles)}"
    page.goto("/")
    page.get_by_role("link", name=SPACE).click()
    page.get_by_role("link", name="Start a thread").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Message").fill(body)
    with page.expect_navigation():
        page.get_by_role("button", name="Start thread").click()
    return re.sub(r"^https?://[^/]+", "", page.url)


def tab(page: Any) -> dict[str, Any]:
    page.keyboard.press("Tab")
    return page.evaluate(FOCUSED)


@pytest.mark.parametrize("who", [None, ROBIN], ids=["signed-out", "member"])
def test_the_first_tab_reaches_a_visible_skip_link_that_moves_focus_to_the_main_content(
        open_as, who):
    page = open_as(who, "/sign-in" if who is None else "/")
    if who:
        open_thread(page)

    first = tab(page)
    assert (first["tag"], first["href"]) == ("a", "#main"), first
    assert first["text"] == "Skip to content"
    assert first["onScreen"] and first["visible"], first
    assert first["outline"] or first["shadow"], first

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # The next Tab continues inside the main content, past the site's navigation.
    after = tab(page)
    inside = page.evaluate("() => document.querySelector('main').contains(document.activeElement)")
    assert inside, after


def test_every_control_reached_with_tab_shows_where_the_focus_is(open_as):
    """A facilitator's thread page has the most controls: posts' links, the reply form,
    the thread settings with checkboxes, the navigation and the sign-out button."""
    page = open_as(FRIDA, "/")
    open_thread(page)
    seen, hidden, first = [], [], None
    for _ in range(MAX_TABS):
        focused = tab(page)
        key = (focused["tag"], focused["id"], focused["href"], focused["text"])
        if focused["tag"] == "body" or key == first:
            break  # out of the page, or round again
        first = first or key
        seen.append(focused)
        if not (focused["outline"] or focused["shadow"]) or not focused["onScreen"]:
            hidden.append(focused)
    assert len(seen) > 20, seen  # the whole page, not one element
    assert {f["tag"] for f in seen} >= {"a", "button", "textarea", "input"}, seen
    assert not hidden, f"focus not visible on: {hidden}"


def test_a_member_writes_and_sends_a_reply_with_the_keyboard_only(open_as):
    page = open_as(ROBIN, "/")
    thread = start_thread(page, "Can you reply without a mouse?")
    page.goto(thread)
    tab(page)
    page.keyboard.press("Enter")  # skip to the main content
    for _ in range(MAX_TABS):
        focused = tab(page)
        if focused["tag"] == "textarea":
            break
    else:
        pytest.fail("Tab never reached the reply box")
    page.keyboard.type("Yes: Tab to the box, type, Tab to the button, Enter.")
    button = tab(page)
    assert (button["tag"], button["text"]) == ("button", "Post reply"), button
    with page.expect_navigation():
        page.keyboard.press("Enter")
    post = page.locator("article.post", has_text="Tab to the box, type")
    expect(post).to_be_visible()
    expect(post.locator("header")).to_contain_text("Robin")


def test_new_posts_arriving_live_are_announced_by_a_polite_live_region(open_as):
    robin = open_as(ROBIN, "/")
    thread = start_thread(robin, "Who hears about new posts?")
    kit = open_as(KIT, thread)
    kit.wait_for_selector(LIVE)
    region = kit.locator("#live [aria-live]")
    # A live region must be in the page, empty, before anything is announced into it.
    assert region.count() == 1
    assert region.get_attribute("aria-live") == "polite"
    assert region.get_attribute("role") == "status"
    assert region.inner_text() == ""
    shown = region.evaluate("n => [getComputedStyle(n).display, getComputedStyle(n).visibility]")
    assert shown == ["block", "visible"], shown  # visually hidden, not hidden from readers

    robin.get_by_label("Your reply").fill("Kit should hear about this one.")
    with robin.expect_navigation():
        robin.get_by_role("button", name="Post reply").click()

    expect(region).to_have_text("1 new post", timeout=10 * SECONDS)
    expect(kit.locator("article.post", has_text="Kit should hear about this one")).to_be_visible()
    # Polite means no focus theft: the reader stays where they were.
    assert kit.evaluate("() => document.activeElement === document.body")


def test_form_errors_are_announced_and_each_is_tied_to_its_field(open_as):
    page = open_as(None, "/sign-up")
    page.get_by_label("E-mail").fill("someone@example.org")
    with page.expect_navigation():
        page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("alert")).to_have_text("Please correct the marked fields.")
    for label in ("Your name", "Password"):
        control = page.get_by_label(label)
        expect(control).to_have_attribute("aria-invalid", "true")
        expect(control).to_have_accessible_description(re.compile("required"))
    expect(page.get_by_label("E-mail")).not_to_have_attribute("aria-invalid", "true")
    check_page(page, "sign-up with errors")


def test_long_words_links_and_code_reflow_at_200_and_400_percent_zoom(open_as):
    robin = open_as(ROBIN, "/")
    thread = start_thread(robin, "\n\n".join([
        "Ausbildungsplatzvermittlungsgesprächsvorbereitungsunterlagen" * 3,
        "https://example.org/" + "very-long-path-segment/" * 12,
        "```\n" + "print('a line of code that goes on and on') " * 6 + "\n```",
        "> " + "A quoted sentence without many breaks " * 8,
        "- a list item `" + "inline_code_without_spaces_" * 8 + "`",
    ]))
    kit = open_as(KIT, thread)
    kit.wait_for_selector(LIVE)
    check_page(kit, "thread with long words, links and code")


MEMBER_PAGES = ["/", "{space}", "{space}/members", "/agreements/spaces/{id}", "{space}/search",
                "{space}/search?q=gap", "/notifications", "/profile", "/profile/password",
                "/profile/tokens", "/profile/email", "/profile/delete", "/agreements/site",
                "/agreements/site/versions", "/moderation/notices"]
FACILITATOR_PAGES = ["{space}", "{space}/settings", "{space}/invitations",
                     "{space}/join-requests", "{space}/queue", "{space}/moderation",
                     "{space}/moderation-log", "{space}/members", "{space}/participation",
                     "{space}/sessions", "{space}/activities", "{space}/resources",
                     "/agreements/spaces/{id}/acceptances", "/agreements/spaces/{id}/publish",
                     "/moderation/queue"]


@pytest.mark.parametrize(("who", "paths"), [(ROBIN, MEMBER_PAGES),
                                             (FRIDA, FACILITATOR_PAGES)],
                         ids=["member", "facilitator"])
def test_the_other_pages_in_reach_pass_axe_and_reflow(open_as, who, paths):
    page = open_as(who, "/")
    page.get_by_role("link", name=SPACE).click()
    space = re.sub(r"^https?://[^/]+", "", page.url)
    for template in paths:
        path = template.format(space=space, id=space.rsplit("/", 1)[1])
        response = page.goto(path)
        assert response is not None and response.ok, (path, response and response.status)
        check_page(page, f"{path} as {who}")
