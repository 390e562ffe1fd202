"""The journeys of issue 7 in headless Chromium against a real `community serve`, through
the pages only: an admin sets the rules and opens a space, its facilitator invites, two
new people join and talk live, one flags, the facilitator handles the queue, a new
agreement makes the member accept again, and the member downloads their data.

Every page on the way passes axe-core (WCAG 2.2 AA) and reflows at 200% and 400% zoom
(tests/e2e/accessibility.py). One test, because each step needs the one before and
pytest-xdist may run separate tests of a module in separate processes (servers)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.accessibility import check_page
from tests.e2e.conftest import Server, sign_in

pytestmark = pytest.mark.slow

ADMIN, FACILITATOR = "admin@example.org", "counsellor@example.org"
SPACE = "Choosing an apprenticeship"
SECONDS = 1000  # Playwright counts milliseconds
LIVE = "#live[data-state=live]"
PASSWORD = "correct horse battery staple"


def accept_agreement(page: Any, label: str) -> None:
    """On an agreement page: read it (axe), select "I agree", land where it sends us."""
    expect(page.get_by_role("button", name="I agree")).to_be_visible()
    check_page(page, label)
    with page.expect_navigation():
        page.get_by_role("button", name="I agree").click()


def publish_agreement(page: Any, text: str, *, version: int, title: str | None = None) -> None:
    """On a publish form (site or space): write the new version and publish it."""
    check_page(page, f"publishing agreement version {version}")
    if title is not None:
        page.get_by_label("Title").fill(title)
    page.get_by_label("Agreement text").fill(text)
    page.get_by_role("button", name="Publish new version").click()
    expect(page.locator(".flash")).to_contain_text(f"Version {version} is published")
    check_page(page, f"agreement version {version} published")


def open_in_space(page: Any, space_url: str, link: str) -> None:
    """Follow one of the space's own navigation links from the space page."""
    page.goto(space_url)
    page.get_by_role("navigation", name="This space").get_by_role("link", name=link).click()
    check_page(page, f"space: {link}")


def join_through_link(page: Any, link: str, *, name: str, email: str, pseudonym: str) -> None:
    """A newcomer with nothing but the link: create an account, accept the site agreement,
    choose a pseudonym, accept the space's agreement."""
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"You are invited to {SPACE}")
    check_page(page, "invitation, signed out")
    page.get_by_role("link", name="Create an account").click()
    check_page(page, "sign-up")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Create account").click()
    if "/agreements/site" in page.url:
        accept_agreement(page, "site agreement for a newcomer")
    expect(page.get_by_label("Pseudonym")).to_be_visible()
    check_page(page, "invitation, choosing a pseudonym")
    page.get_by_label("Pseudonym").fill(pseudonym)
    with page.expect_navigation():
        page.get_by_role("button", name=f"Join {SPACE}").click()
    while "/agreements/" in page.url:  # the site's, then the space's
        accept_agreement(page, f"agreement before reading ({page.url})")
    expect(page.get_by_role("heading", level=1)).to_have_text(SPACE)
    expect(page.get_by_text(f"You appear here as {pseudonym}.")).to_be_visible()


def test_a_space_from_its_first_rules_to_a_member_downloading_their_data(
        new_page: Any, server: Server) -> None:
    # 1. The admin publishes a new site agreement and creates a space with a facilitator.
    admin = new_page("admin")
    admin.goto("/sign-in")
    check_page(admin, "sign-in")
    sign_in(admin, ADMIN, server.passwords[ADMIN])
    check_page(admin, "my spaces (admin)")
    admin.get_by_role("link", name="Admin").click()
    check_page(admin, "admin overview")
    admin.get_by_role("navigation", name="Admin").get_by_role("link",
                                                              name="Site agreement").click()
    publish_agreement(admin, "What others share here stays here.\n\n- Use your pseudonym.\n"
                      "- Be kind.", title="Site agreement", version=2)

    admin.get_by_role("link", name="My spaces").click()
    admin.get_by_role("link", name="Create a space").click()
    check_page(admin, "create a space")
    admin.get_by_label("Name", exact=True).fill(SPACE)
    admin.get_by_label("Purpose").fill("For pupils weighing up apprenticeships.")
    admin.get_by_label("Names and pseudonyms").select_option("pseudonyms_required")
    admin.get_by_role("button", name="Create space").click()
    expect(admin.locator(".flash")).to_contain_text("The space is created")
    check_page(admin, "appoint facilitators")
    admin.get_by_label("E-mail of the person to appoint").fill(FACILITATOR)
    admin.get_by_role("button", name="Appoint").click()
    expect(admin.locator(".flash")).to_contain_text("is now a facilitator of this space")
    check_page(admin, "facilitator appointed")

    # 2. The facilitator accepts the new site agreement, writes the space's own agreement
    #    and creates an invitation link for two people.
    facilitator = new_page("facilitator")
    sign_in(facilitator, FACILITATOR, server.passwords[FACILITATOR])
    facilitator.get_by_role("link", name=SPACE).click()
    if "/agreements/site" in facilitator.url:
        accept_agreement(facilitator, "new site agreement for the facilitator")
    expect(facilitator.get_by_role("heading", level=1)).to_have_text(SPACE)
    check_page(facilitator, "space page, facilitator")
    space_url = facilitator.url
    open_in_space(facilitator, space_url, "Agreement")
    expect(facilitator.get_by_text("No agreement has been published yet.")).to_be_visible()
    facilitator.get_by_role("link", name="Publish a new version").click()
    publish_agreement(facilitator, "1. Stories stay in the group.\n2. Ask before advising.",
                      title="How we work", version=1)

    open_in_space(facilitator, space_url, "Invitations")
    facilitator.get_by_label("How many people can use the link").fill("2")
    facilitator.get_by_role("button", name="Create link").click()
    link = facilitator.locator(".token").inner_text().strip()
    assert re.fullmatch(rf"{re.escape(server.base)}/invitations/\S+", link), link
    check_page(facilitator, "invitation link created")

    # 3. A newcomer joins through the link and starts a thread.
    lea = new_page("lea")
    join_through_link(lea, link, name="Lea Sørensen", email="lea@example.org",
                      pseudonym="Fern")
    check_page(lea, "space page, new member")
    lea.get_by_role("link", name="Start a thread").click()
    check_page(lea, "start a thread")
    lea.get_by_label("Title").fill("Carpenter or electrician?")
    lea.get_by_label("Message").fill("I like wood **and** wires. How did you choose?")
    with lea.expect_navigation():
        lea.get_by_role("button", name="Start thread").click()
    expect(lea.get_by_role("heading", level=1)).to_have_text("Carpenter or electrician?")
    thread_url = lea.url
    lea.wait_for_selector(LIVE)
    check_page(lea, "thread, author")

    # 4. A second newcomer joins through the same link and reads the thread; Lea's reply
    #    appears for them without a reload and is announced politely.
    noor = new_page("noor")
    join_through_link(noor, link, name="Noor Haddad", email="noor@example.org",
                      pseudonym="Birch")
    noor.get_by_role("link", name="Carpenter or electrician?").click()
    noor.wait_for_selector(LIVE)
    check_page(noor, "thread, second member")
    noor.evaluate("window.stillTheSamePage = true")

    lea.get_by_label("Your reply").fill("Honestly, electricians earn more. Anyone who did both?")
    with lea.expect_navigation():
        lea.get_by_role("button", name="Post reply").click()
    reply = noor.locator("article.post", has_text="electricians earn more")
    expect(reply).to_be_visible(timeout=10 * SECONDS)
    expect(reply.locator("header")).to_contain_text("Fern")
    expect(noor.locator("#live [aria-live=polite]")).to_have_text("1 new post",
                                                                  timeout=5 * SECONDS)
    assert noor.evaluate("window.stillTheSamePage") is True
    check_page(noor, "thread with a live post")

    # 5. Noor flags Lea's reply, from the post as it arrived live.
    reply.get_by_role("link", name="Flag").click()
    check_page(noor, "flag a post")
    noor.get_by_label("What is wrong?").select_option("off_topic")
    noor.get_by_label("Anything the facilitators should know").fill("This is about pay.")
    with noor.expect_navigation():
        noor.get_by_role("button", name="Send flag").click()
    expect(noor.locator(".flash")).to_contain_text("The facilitators will look at it")
    check_page(noor, "thread after flagging")

    # 6. The facilitator finds it in the review queue, claims it and removes the post.
    facilitator.goto("/")
    queue_link = facilitator.get_by_role("link", name=re.compile("Review queue"))
    expect(queue_link).to_contain_text("1")
    queue_link.click()
    check_page(facilitator, "review queue")
    facilitator.get_by_role("link", name=re.compile(r"#\d+")).first.click()
    expect(facilitator.locator(".under-review")).to_contain_text("electricians earn more")
    check_page(facilitator, "queue item")
    facilitator.get_by_role("button", name="Claim").click()
    expect(facilitator.get_by_text("claimed by")).to_be_visible()
    check_page(facilitator, "queue item, claimed")
    removal = facilitator.get_by_role("region", name="Remove the post")
    removal.get_by_label("Reason").fill("Let us keep this thread about choosing; pay "
                                        "can have its own thread.")
    removal.get_by_role("button", name="Remove").click()
    expect(facilitator.locator(".flash")).to_contain_text("Done.")
    check_page(facilitator, "queue item, removed")
    for member in (noor, lea):
        expect(member.locator("article.post", has_text="Removed by a facilitator.")
               ).to_be_visible(timeout=10 * SECONDS)

    # 7. A new version of the space's agreement: Lea must accept it before reading on.
    open_in_space(facilitator, space_url, "Agreement")
    facilitator.get_by_role("link", name="Publish a new version").click()
    publish_agreement(facilitator, "1. Stories stay in the group.\n2. Ask before advising.\n"
                      "3. Pay talk in its own thread.", version=2)

    # Lea's open thread stops at once and tells her why.
    status = lea.locator("#live .live-status")
    expect(status).to_contain_text("Please accept the space's current agreement to read on.",
                                   timeout=10 * SECONDS)
    assert status.get_attribute("role") == "alert"
    check_page(lea, "thread, live updates stopped for the new agreement")
    lea.goto(thread_url)
    assert "/agreements/spaces/" in lea.url, lea.url
    # The removal's reason reached Lea privately, on the next page she opened.
    expect(lea.get_by_role("status").filter(has_text="Message from the facilitators")
           ).to_contain_text("A post of yours was removed: Let us keep this thread")
    expect(lea.get_by_text("Pay talk in its own thread.")).to_be_visible()
    accept_agreement(lea, "new space agreement version")
    assert lea.url == thread_url
    expect(lea.get_by_role("heading", level=1)).to_have_text("Carpenter or electrician?")

    # 8. Lea downloads her data: a zip with data.json holding what she wrote.
    lea.get_by_role("link", name="Profile").click()
    lea.get_by_role("link", name="Your data").click()
    check_page(lea, "your data")
    with lea.expect_download() as download_info:
        lea.get_by_role("button", name="Download my data").click()
    download = download_info.value
    archive = zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes()))
    assert "data.json" in archive.namelist()
    data = json.loads(archive.read("data.json"))
    text = json.dumps(data, ensure_ascii=False)
    assert "I like wood" in text and "electricians earn more" in text
    assert "Fern" in text and "lea@example.org" in text
