"""The page test kit: Debian's Chromium driven by Playwright (never `playwright install`), the
retail demo served by a live server, the demo's people logged in once per module and reused
through Playwright storage states, a watch that fails a test on any console error or failed
request it did not expect, and the axe-core accessibility check.

Each module that uses `site` gets the demo world loaded once into the test database and served
by a live server thread; when the module ends the database is emptied and restored to what it
was (as Django's serialized rollback does), so the tests of other modules never see it. The
journeys of one module therefore share one world: each creates what it changes under keys of
its own."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import NO_BROWSER

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE_JS = Path(__file__).resolve().parent.parent / "vendor" / "axe-core" / "axe.min.js"
# Accept-Language a browser in Taiwan sends, and an English one.
LOCALES = {"zh-hant": "zh-TW", "en": "en-GB"}


def journey(module: str) -> list:
    """The marks of a journey module (`pytestmark = journey(__name__)`). django_db makes
    pytest-django create the test database (_django_db_helper below keeps it from wrapping each
    test in a transaction: the live server's writes must be committed and the module's world
    outlive a test); xdist_group keeps the module on one worker (`--dist loadgroup`), so its
    world is built once."""
    return [pytest.mark.browser, pytest.mark.django_db, pytest.mark.xdist_group(module)]


@pytest.fixture
def _django_db_helper(django_db_setup, django_db_blocker):
    """Overrides pytest-django's per-test transaction or flush for the tests in this folder:
    their database is the module's world (`site`), emptied when the module ends."""
    with django_db_blocker.unblock():
        yield


def password_of(username: str) -> str:
    return f"demo-{username}"  # demo.catalog.DemoUser.password


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium per test process (xdist worker)."""
    if not os.access(CHROMIUM, os.X_OK):
        message = (
            f"{NO_BROWSER} at {CHROMIUM}: the browser journeys need it "
            "(apt-get install -y chromium, or set CHROMIUM_PATH)"
        )
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a
    # thread with a running loop unless told that this is deliberate (the tests' own queries).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Software rendering and no /dev/shm: a renderer that draws the lineage picture's canvas
        # once crashed ("Target crashed") on a CI machine with the GPU path on.
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            # CHROMIUM_ARGS: more flags, e.g. "--enable-logging=stderr --v=0" to see a crash.
            args=[
                "--disable-gpu",
                "--disable-dev-shm-usage",
                *os.environ.get("CHROMIUM_ARGS", "").split(),
            ],
        )
        yield chromium
        chromium.close()


@dataclass
class Site:
    """The demo world behind a live server, and the people who use it."""

    url: str
    browser: object
    states: dict = field(default_factory=dict)

    def storage_state(self, username: str) -> dict:
        """`username` logged in through the login form, once per module."""
        if username not in self.states:
            context = self.browser.new_context(locale=LOCALES["en"])
            page = context.new_page()
            log_in(page, self.url, username)
            self.states[username] = context.storage_state()
            context.close()
        return self.states[username]


def log_in(page, base_url: str, username: str, password: str | None = None) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password or password_of(username))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


@pytest.fixture(scope="module")
def site(browser, django_db_setup, django_db_blocker):
    from django.core.management import call_command
    from django.db import connection
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        assert connection.creation._get_test_db_name() == connection.settings_dict["NAME"] or (
            connection.vendor == "sqlite" and connection.is_in_memory_db()
        ), "the demo world is only ever loaded into a test database"
        clean = connection.creation.serialize_db_to_string()
        call_command("load_demo", "--no-tokens", stdout=io.StringIO())
        server = LiveServer("127.0.0.1:0")
        server._live_server_modified_settings.enable()
        try:
            yield Site(server.url, browser)
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
            connection.creation.deserialize_db_from_string(clean)
            _reset_sequences(connection)


def _reset_sequences(connection) -> None:
    """After rows came back with their ids, PostgreSQL's sequences (restarted by the flush)
    must move past them, as loaddata does."""
    from django.apps import apps
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), apps.get_models())
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


@dataclass
class Watch:
    """What went wrong in a page that nobody asked for: console errors, uncaught exceptions,
    failed requests and error responses (those whose URL contains an `expect`ed fragment
    excepted, e.g. the 404 a journey provokes on purpose)."""

    problems: list = field(default_factory=list)
    expected: list = field(default_factory=list)

    def expect(self, url_fragment: str) -> None:
        self.expected.append(url_fragment)

    def _wanted(self, url: str) -> bool:
        return any(fragment in url for fragment in self.expected)

    def attach(self, page) -> None:
        def console(message):
            if message.type == "error" and not self._wanted(message.location.get("url", "")):
                self.problems.append(f"console error: {message.text} ({message.location})")

        def response(resp):
            if resp.status >= 400 and not self._wanted(resp.url):
                self.problems.append(f"HTTP {resp.status} for {resp.request.method} {resp.url}")

        page.on("console", console)
        page.on("pageerror", lambda exc: self.problems.append(f"uncaught: {exc}"))

        def failed(request):
            # ERR_ABORTED: the browser dropped a request still in flight when the page left
            # (htmx's field search as a form is submitted): nothing failed on the server.
            if "ERR_ABORTED" not in (request.failure or ""):
                self.problems.append(f"request failed: {request.url} {request.failure}")

        page.on("requestfailed", failed)
        page.on("response", response)


@pytest.fixture
def open_page(site):
    """open_page("chair", lang="zh-hant") -> a Playwright page of chair's, already logged in
    (None: nobody), its browser asking for `lang`. The test fails at its end if any page it
    opened logged a console error or had a request fail."""
    contexts, watch = [], Watch()

    def opener(username: str | None, lang: str = "en"):
        state = site.storage_state(username) if username else None
        context = site.browser.new_context(
            base_url=site.url, locale=LOCALES[lang], storage_state=state
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        watch.attach(page)
        page.watch = watch
        return page

    yield opener
    for context in contexts:
        context.close()
    assert not watch.problems, "\n".join(watch.problems)


@cache
def _axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe.from_file(AXE_JS)


def assert_accessible(page) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    found = _axe().run(page).response["violations"]
    serious = [v for v in found if v["impact"] in ("serious", "critical")]
    assert not serious, f"axe-core on {page.url}:\n" + "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}: "
        + "; ".join(node["target"][0] if node["target"] else "?" for node in v["nodes"][:5])
        for v in serious
    )
