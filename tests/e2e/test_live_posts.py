"""Two members in headless Chromium against a real `community serve`: what one posts, the
other sees appear without a reload (static/js/live.js over Socket.IO)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Server, save_screenshots

pytestmark = pytest.mark.slow

ROBIN, KIT = "mathilde@example.org", "jonas@example.org"  # demo members "Robin" and "Kit"
SKY = "nora@example.org"  # demo member "Sky", who signs out in one test
SPACE = "Next steps after school"
SECONDS = 1000  # Playwright counts milliseconds
LIVE = "#live[data-state=live]"
_titles = itertools.count(1)


@pytest.fixture(scope="module")
def sessions(browser: Any, server: Server) -> dict[str, Any]:
    """Sign each member in once through the sign-in page; tests reuse the cookies
    (sign-in is rate limited per address)."""
    states = {}
    for email in (ROBIN, KIT, SKY):
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{server.base}/sign-in")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", server.passwords[email])
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(f"{server.base}/")
        states[email] = context.storage_state()
        context.close()
    return states


@pytest.fixture
def open_as(browser: Any, server: Server, sessions: dict[str, Any],
            request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """`open_as(email, path)`: a page in a browser context of that member's own.
    Screenshots of every page go to test-artifacts/ when the test fails."""
    contexts, pages = [], {}

    def open_page(email: str, path: str, **options: Any) -> Any:
        options.setdefault("viewport", {"width": 1000, "height": 700})
        context = browser.new_context(storage_state=sessions[email], base_url=server.base,
                                      **options)
        contexts.append(context)
        page = context.new_page()
        pages[f"{len(contexts)}-{email.split('@')[0]}"] = page
        page.goto(path)
        return page

    yield open_page
    save_screenshots(request, pages)
    for context in contexts:
        context.close()


def start_thread(page: Any, body: str = "What would you ask on an open day?") -> str:
    """Start a thread through the pages, as a member would; returns its path."""
    title = f"Open days, question {next(_titles)}"
    page.goto("/")
    page.get_by_role("link", name=SPACE).click()
    page.get_by_role("link", name="Start a thread").click()
    page.fill("input[name=title]", title)
    page.fill("textarea[name=body]", body)
    page.get_by_role("button", name="Start thread").click()
    page.wait_for_url(re.compile(r"/threads/\d+"))
    return re.sub(r"^https?://[^/]+|#.*$", "", page.url)


def reply(page: Any, text: str) -> None:
    page.fill("#reply textarea", text)
    page.get_by_role("button", name="Post reply").click()
    page.wait_for_load_state()


def posts_with(page: Any, text: str) -> Any:
    return page.locator("article.post", has_text=text)


def test_a_reply_appears_for_the_other_member_without_reload_and_is_announced(open_as):
    robin = open_as(ROBIN, "/")
    thread = start_thread(robin)
    kit = open_as(KIT, thread)
    kit.wait_for_selector(LIVE)
    kit.evaluate("window.stillTheSamePage = true")

    reply(robin, "I would ask how many students finish the programme.")

    post = posts_with(kit, "how many students finish the programme")
    post.wait_for(timeout=10 * SECONDS)
    assert post.count() == 1
    assert kit.evaluate("window.stillTheSamePage") is True  # no reload happened
    assert post.locator("header").inner_text().startswith("Robin")
    announcer = kit.locator("#live [aria-live=polite]")
    expect(announcer).to_have_text("1 new post", timeout=5 * SECONDS)
    assert announcer.get_attribute("role") == "status"

    # And the other way round: Kit answers, Robin sees it.
    robin.wait_for_selector(LIVE)
    reply(kit, "Good one. And whether there are internships.")
    posts_with(robin, "whether there are internships").wait_for(timeout=10 * SECONDS)


def test_post_text_is_inserted_only_as_the_sanitized_html(open_as):
    robin = open_as(ROBIN, "/")
    thread = start_thread(robin)
    kit = open_as(KIT, thread)
    kit.wait_for_selector(LIVE)

    reply(robin, "**Bold** plan <script>window.pwned = 1</script> <img src=x onerror=alert(1)>")

    post = posts_with(kit, "plan")
    post.wait_for(timeout=10 * SECONDS)
    assert post.locator(".post-body strong").inner_text() == "Bold"
    assert post.locator("script, img[onerror]").count() == 0
    assert kit.evaluate("window.pwned") is None


def test_the_other_member_sees_who_is_typing_and_who_is_here(open_as):
    robin = open_as(ROBIN, "/")
    thread = start_thread(robin)
    robin.wait_for_selector(LIVE)
    kit = open_as(KIT, thread)
    kit.wait_for_selector(LIVE)

    expect(kit.locator(".live-presence")).to_have_text("Here now: Kit, Robin",
                                                       timeout=10 * SECONDS)

    robin.locator("#reply textarea").press_sequentially("I think", delay=50)
    typing = kit.locator(".live-typing")
    typing.wait_for(state="visible", timeout=10 * SECONDS)
    assert typing.inner_text() == "Robin is typing…"
    assert robin.locator(".live-typing").is_hidden()  # nobody is told about themselves


def test_a_member_scrolled_up_gets_a_new_posts_marker_that_jumps_to_them(open_as):
    robin = open_as(ROBIN, "/")
    thread = start_thread(robin, body="A long opening post.\n\n" + "\n\n".join(
        f"Point {n}: something worth reading about open days." for n in range(1, 30)))
    kit = open_as(KIT, thread, viewport={"width": 900, "height": 500})
    kit.wait_for_selector(LIVE)
    kit.evaluate("window.scrollTo(0, 0)")

    reply(robin, "First reply while Kit reads the top.")
    reply(robin, "Second reply while Kit reads the top.")

    marker = kit.locator(".live-new-posts")
    marker.wait_for(state="visible", timeout=10 * SECONDS)
    expect(marker).to_have_text("2 new posts", timeout=10 * SECONDS)
    assert kit.evaluate("window.scrollY") == 0  # nobody moved the reader

    marker.click()
    marker.wait_for(state="hidden", timeout=5 * SECONDS)
    first = posts_with(kit, "First reply while Kit reads the top")
    assert first.evaluate("node => node === document.activeElement")
    assert first.evaluate("node => node.getBoundingClientRect().top < window.innerHeight")


def test_a_dropped_connection_catches_up_with_the_missed_post_exactly_once(open_as):
    robin = open_as(ROBIN, "/")
    thread = start_thread(robin)
    kit = open_as(KIT, thread)
    kit.wait_for_selector(LIVE)

    kit.context.set_offline(True)
    kit.wait_for_selector("#live[data-state=reconnecting]", timeout=30 * SECONDS)
    assert kit.locator(".live-status").is_visible()
    reply(robin, "Posted while Kit was offline.")
    kit.wait_for_timeout(500)
    assert posts_with(kit, "Posted while Kit was offline").count() == 0

    kit.context.set_offline(False)
    posts_with(kit, "Posted while Kit was offline").wait_for(timeout=40 * SECONDS)
    kit.wait_for_selector(LIVE, timeout=10 * SECONDS)
    reply(robin, "And one more after Kit came back.")
    posts_with(kit, "after Kit came back").wait_for(timeout=10 * SECONDS)
    kit.wait_for_timeout(1000)  # time for any duplicate to arrive
    assert posts_with(kit, "Posted while Kit was offline").count() == 1
    assert posts_with(kit, "after Kit came back").count() == 1
    assert kit.locator(".live-status").is_hidden()


def test_a_new_thread_and_a_reply_show_on_the_space_page_without_reload(open_as):
    kit = open_as(KIT, "/")
    kit.get_by_role("link", name=SPACE).click()
    kit.wait_for_selector(LIVE)
    robin = open_as(ROBIN, "/")

    thread = start_thread(robin)
    row = kit.locator("ul.thread-list li", has=kit.locator(f"a[href='{thread}']"))
    row.wait_for(timeout=10 * SECONDS)
    assert row.locator(".badge.new").count() == 1
    expect(kit.locator("#live [aria-live=polite]")).to_contain_text("New thread: Open days")

    reply(robin, "Adding a first reply to my own thread.")
    expect(kit.locator("#live [aria-live=polite]")).to_contain_text("New reply in Open days",
                                                                     timeout=10 * SECONDS)


def test_pages_work_without_javascript(open_as):
    robin = open_as(ROBIN, "/")
    thread = start_thread(robin)
    kit = open_as(KIT, thread, java_script_enabled=False)
    assert kit.locator(".live-status").is_hidden()
    assert kit.locator(".live-new-posts").is_hidden()
    reply(kit, "Replying with scripts turned off.")
    assert posts_with(kit, "Replying with scripts turned off").count() == 1


def test_an_edit_and_a_removal_change_the_post_in_place(open_as):
    robin = open_as(ROBIN, "/")
    thread = start_thread(robin)
    reply(robin, "I might visit three universities.")
    post_id = robin.locator("article.post", has_text="three universities").get_attribute("id")
    kit = open_as(KIT, thread)
    kit.wait_for_selector(LIVE)
    kit.evaluate("window.stillTheSamePage = true")
    post = kit.locator(f"#{post_id}")

    robin.goto(f"/posts/{post_id.removeprefix('post-')}/edit")
    robin.fill("textarea[name=body]", "I might visit *four* universities.")
    robin.get_by_role("button", name="Save").click()
    robin.wait_for_load_state()
    expect(post.locator(".post-body")).to_have_text("I might visit four universities.",
                                                    timeout=10 * SECONDS)
    assert post.locator(".post-body em").inner_text() == "four"
    expect(post.locator("header")).to_contain_text("edited")

    robin.goto(f"/posts/{post_id.removeprefix('post-')}/remove")
    robin.get_by_role("button", name="Remove post").click()
    robin.wait_for_load_state()
    expect(post.locator(".tombstone")).to_have_text("Removed by the author.",
                                                    timeout=10 * SECONDS)
    assert post.locator(".post-body").count() == 0
    assert kit.evaluate("window.stillTheSamePage") is True


def test_signing_out_elsewhere_stops_live_updates_with_a_message(open_as):
    robin = open_as(ROBIN, "/")
    thread = start_thread(robin)
    sky = open_as(SKY, thread)
    sky.wait_for_selector(LIVE)

    other_tab = open_as(SKY, "/")  # the same browser session, e.g. another tab
    other_tab.get_by_role("button", name="Sign out").click()
    other_tab.wait_for_load_state()

    sky.wait_for_selector("#live[data-state=stopped]", timeout=10 * SECONDS)
    status = sky.locator(".live-status")
    assert status.get_attribute("role") == "alert"
    expect(status).to_contain_text("You no longer receive new activity from this space.")
    link = status.get_by_role("link", name="Go to the space").get_attribute("href")
    assert re.fullmatch(r"/spaces/\d+", link or "")
    reply(robin, "Sky should not get this one live.")
    sky.wait_for_timeout(2000)
    assert posts_with(sky, "Sky should not get this one live").count() == 0


def test_an_event_overtaken_on_its_way_is_not_lost_when_the_connection_drops(open_as):
    """Two writers of a space commit in id order but publish on their own, so a later
    event can reach a member a moment before an earlier one. If the connection drops
    in between, the earlier one must still come: here the socket holds it back, lets the
    next one pass, and then drops. Kit posts (Robin posts most in this module, and
    posting is rate limited); Robin's socket goes through `relay`."""
    kit = open_as(KIT, "/")
    thread = start_thread(kit)
    robin = open_as(ROBIN, thread)
    sockets: list[Any] = []
    held: list[str] = []

    def relay(socket: Any) -> None:
        server = socket.connect_to_server()
        sockets.append(socket)

        def to_page(message: str | bytes) -> None:
            if not held and isinstance(message, str) and "Held back on its way" in message:
                held.append(message)  # lost with the connection
                return
            socket.send(message)

        server.on_message(to_page)
        socket.on_message(server.send)

    robin.route_web_socket(re.compile(r"/socket\.io/"), relay)
    robin.reload()  # the page's socket now goes through `relay`
    robin.wait_for_selector(LIVE)
    for _ in range(100):  # until Socket.IO has moved from polling to the web socket
        if sockets:
            break
        robin.wait_for_timeout(100)
    robin.wait_for_timeout(1000)

    reply(kit, "Held back on its way.")
    for _ in range(100):
        if held:
            break
        robin.wait_for_timeout(100)
    assert held, "the first reply never came over the web socket"
    reply(kit, "Overtook the one held back.")
    posts_with(robin, "Overtook the one held back").wait_for(timeout=10 * SECONDS)
    assert posts_with(robin, "Held back on its way").count() == 0

    sockets[-1].close()  # the connection drops with the first reply still on its way
    posts_with(robin, "Held back on its way").wait_for(timeout=30 * SECONDS)
    robin.wait_for_selector(LIVE, timeout=10 * SECONDS)
    robin.wait_for_timeout(1000)  # time for any duplicate to arrive
    assert posts_with(robin, "Held back on its way").count() == 1
    assert posts_with(robin, "Overtook the one held back").count() == 1


# Where an element stood when the page was first laid out, before live.js connected
# (the script runs on every page the context opens; pages without the element skip it).
_REMEMBER_TOP = """document.addEventListener('DOMContentLoaded', () => {
  const el = document.querySelector(%r);
  if (el) window.firstTop = el.getBoundingClientRect().top + window.scrollY;
});"""
_TOP_NOW = "(s) => document.querySelector(s).getBoundingClientRect().top + window.scrollY"


@pytest.mark.parametrize("where, below", [("space", "ul.thread-list"), ("thread", "#reply")])
def test_the_page_does_not_jump_when_presence_and_typing_appear(open_as, where, below):
    """Someone arriving or typing must not push the list or the reply form down under a
    member's pointer (a click landing on the wrong thread)."""
    robin = open_as(ROBIN, "/")
    thread = start_thread(robin)
    kit = open_as(KIT, "about:blank")
    kit.add_init_script(_REMEMBER_TOP % below)
    if where == "thread":
        kit.goto(thread)
    else:
        kit.goto("/")
        kit.get_by_role("link", name=SPACE).click()
    kit.wait_for_selector(LIVE)
    expect(kit.locator(".live-presence")).to_contain_text("Kit", timeout=10 * SECONDS)
    if where == "thread":
        robin.locator("#reply textarea").press_sequentially("I think", delay=50)
        expect(kit.locator(".live-typing")).to_be_visible(timeout=10 * SECONDS)

    assert kit.evaluate(_TOP_NOW, below) == kit.evaluate("window.firstTop")
