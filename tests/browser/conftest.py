"""Browser fixtures: the app served on a free loopback port, and Debian's Chromium driven by Playwright."""
from __future__ import annotations

import os
import shutil
import threading
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.totp_clock import phone_code

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# How long an action or an expect() may wait. `make test` runs the browser tests beside the gunicorn -w 4 test on
# two cores, where one navigation has taken several seconds; expect()'s own default (5 s) failed there. A longer
# wait changes nothing for a test that passes, and a wrong page still fails, only later.
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _InFlight:
    """WSGI middleware counting the requests being answered, so that a server stops only after the last one.

    A request the browser sent as a test ended (the stylesheet or favicon of the last page, a form submitted
    without waiting) would otherwise still be writing to the database while the next test empties it.
    """

    def __init__(self, app):
        self.app = app
        self.count = 0
        self.idle = threading.Condition()

    def __call__(self, environ, start_response):
        with self.idle:
            self.count += 1
        try:
            return self.app(environ, start_response)  # Flask has rendered and torn down its contexts on return
        finally:
            with self.idle:
                self.count -= 1
                self.idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is being answered; False when one still runs after `timeout` seconds."""
        with self.idle:
            return self.idle.wait_for(lambda: self.count == 0, timeout=timeout)


@contextmanager
def serving(app):
    """Serve `app` on 127.0.0.1:<free port> in threads; yields the base URL. On exit the server stops accepting,
    waits for the requests it is answering and closes its socket."""
    in_flight = _InFlight(app)
    server = make_server("127.0.0.1", 0, in_flight, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        in_flight.wait_idle(WAIT_MS / 1000)  # bounded: a hung request must not hang the suite as well
        server.server_close()


@pytest.fixture
def live_server(app):
    """Serve `app` on 127.0.0.1:<free port> in a thread; yields the base URL."""
    with serving(app) as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium per test session."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browser-deps` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies) and page; JavaScript on, as most readers have it."""
    context = browser.new_context(locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(WAIT_MS)
    new_page = context.new_page()
    yield new_page
    context.close()


def sign_out(page) -> None:
    """Sign out with the header button when signed in, and wait for the signed-out page.

    Not `context.clear_cookies()`: a response still in flight (the stylesheet of the page just left) sets again the
    session cookie that Flask refreshes on every response, and the next page opened signed in as the previous
    person. Signing out revokes the session on the server, so such a cookie is worthless.
    """
    if page.url == "about:blank":  # a fresh page: nobody is signed in yet
        return
    button = page.get_by_role("button", name="Sign out", exact=True)
    signed_out = page.get_by_role("link", name="Sign in", exact=True)
    # count() does not wait: the header (one of the two) must be on the screen before asking which it shows
    expect(button.or_(signed_out).first).to_be_visible()
    if button.count():
        button.click()
        expect(signed_out).to_be_visible()


def assert_accessible(page) -> None:
    """Run axe-core on the current page, once it has loaded, and fail on any WCAG 2.x A/AA violation.

    The caller first waits for something only the destination page shows (after a click the old page can still be
    on the screen); here axe waits for that page's stylesheet (the load event), as contrast is judged with it.
    """
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_load_state("load")
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]}})
    violations = results.response["violations"]
    assert not violations, "\n".join(
        f"{v['id']}: {v['help']} — {[n['target'] for n in v['nodes']][:3]}" for v in violations
    )


def current_code(user) -> str:
    """The TOTP code the person's phone would show now (pyotp); a step is used once, as the server demands."""
    return phone_code(user.totp_secret)


def pass_second_factor(page, user) -> None:
    """After the password step: answer the code step when the account has a second factor, and wait until signed in."""
    page.wait_for_url(lambda url: "/sign-in/second-factor" in url or "/sign-in" not in url)
    if "/sign-in/second-factor" in page.url:
        page.get_by_label("Code").fill(current_code(user))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(lambda url: "/sign-in" not in url)
