"""Browser fixtures: the app served on a free loopback port, and Debian's Chromium driven by Playwright."""
from __future__ import annotations

import os
import shutil
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

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


@pytest.fixture
def live_server(app):
    """Serve `app` on 127.0.0.1:<free port> in a thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


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
    button = page.get_by_role("button", name="Sign out")
    if button.count():
        button.click()
        expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()


def assert_accessible(page) -> None:
    """Run axe-core on the current page and fail on any WCAG 2.x A/AA violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]}})
    violations = results.response["violations"]
    assert not violations, "\n".join(
        f"{v['id']}: {v['help']} — {[n['target'] for n in v['nodes']][:3]}" for v in violations
    )
