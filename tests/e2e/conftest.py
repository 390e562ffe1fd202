"""A real server process and headless Chromium (Debian's, see scripts/ensure-browser)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.test_serve import community_command, embedded_env, free_port, wait_until_serving

CHROMIUM = os.environ.get("COMMUNITY_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass
class Server:
    base: str
    log: Path
    passwords: dict[str, str] = field(default_factory=dict)  # e-mail -> password


@contextlib.contextmanager
def demo_server(folder: Path, **settings: str) -> Iterator[Server]:
    """`community demo` then `community serve` on a fresh instance, as a person would;
    `settings` become COMMUNITY_* variables (POST_RATE_LIMIT="1000 per minute", ...)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = embedded_env(folder / "instance")
    env["COMMUNITY_BASE_URL"] = base  # the socket's Origin check compares with this
    env.update({f"COMMUNITY_{name}": value for name, value in settings.items()})
    demo = subprocess.run([*community_command(), "demo"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    passwords = dict(re.findall(r"^\s+\w+\s+(\S+@example\.org)\s+(\S+)", demo.stdout, re.M))
    log = folder / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen([*community_command(), "serve", "--port", str(port)],
                                   env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(f"{base}/sign-in", process, log)
        bundle = requests.get(f"{base}/static/vendor/socket.io.min.js", timeout=10)
        assert bundle.status_code == HTTPStatus.OK, \
            "socket.io-client is not installed: run `npm ci` in the checkout"
        yield Server(base, log, passwords)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with demo_server(tmp_path_factory.mktemp("e2e")) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


def save_screenshots(request: pytest.FixtureRequest, pages: dict[str, Any]) -> None:
    """After a failed test, each named page to test-artifacts/<test>-<name>.png."""
    if not request.node.stash.get(FAILED, False):
        return
    ARTIFACTS.mkdir(exist_ok=True)
    test = _artifact_name(request)
    for name, page in pages.items():
        try:
            page.screenshot(path=str(ARTIFACTS / f"{test}-{name}.png"), full_page=True)
        except Exception as error:  # a failed screenshot must not hide the failure
            print(f"no screenshot of {name}: {error}")


@pytest.fixture
def new_page(browser: Any, server: Server,
             request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """`new_page(name, **context_options)`: a page in a browser context of its own (its own
    cookies: one person). When the test fails, every page is saved to
    test-artifacts/<test>-<name>.png and the server's log beside them."""
    contexts, pages = [], {}

    def open_page(name: str, **options: Any) -> Any:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = browser.new_context(base_url=server.base, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        pages[name] = page
        return page

    yield open_page
    save_screenshots(request, pages)
    if request.node.stash.get(FAILED, False):
        shutil.copyfile(server.log, ARTIFACTS / f"{_artifact_name(request)}-server.log")
    for context in contexts:
        context.close()


def _artifact_name(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^\w.-]+", "_", request.node.name)


def sign_in(page: Any, email: str, password: str) -> None:
    """Through the sign-in page, as a person would (rate limited: sign in once per test)."""
    page.goto("/sign-in")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"^(?!.*/sign-in)"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep each browser module on one xdist worker (with `--dist loadgroup`, as `make
    test` runs): its module-scoped server then starts once, not once per worker."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.xdist_group(f"e2e-{item.path.stem}"))
