"""The site needs no JavaScript (issue 13): with JavaScript switched off a visitor searches from the header, signs
in with a second factor and saves a form."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import WAIT_MS, pass_second_factor
from tests.conftest import DEFAULT_PASSWORD
from tests.search_helpers import indexer_on  # noqa: F401  (autouse: the search index follows every commit)
from tests.search_helpers import publish

pytestmark = pytest.mark.browser


def test_search_sign_in_and_save_work_without_javascript(browser, live_server, app, make_user):
    author = make_user("community")
    reviewer = make_user("restricted", roles=("facilitator",))
    publish(app, author, reviewer, title="Fallback drills for recognition aids", tier="public")
    context = browser.new_context(java_script_enabled=False, locale="en-GB", timezone_id="UTC",
                                  viewport={"width": 390, "height": 844})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        page.goto(live_server + "/")
        page.get_by_role("search").get_by_role("searchbox").fill("fallback drills")
        page.get_by_role("search").get_by_role("button").click()
        expect(page.get_by_role("link", name="Fallback drills for recognition aids")).to_be_visible()

        page.get_by_role("link", name="Sign in", exact=True).click()
        page.get_by_label("E-mail").fill(reviewer.email)
        page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        pass_second_factor(page, reviewer)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()

        page.goto(live_server + "/account")
        page.get_by_label("Your full name").fill("Renamed Reviewer")
        page.get_by_role("button", name="Save profile").click()
        expect(page.get_by_text("Your profile has been saved.")).to_be_visible()
        expect(page.get_by_label("Your full name")).to_have_value("Renamed Reviewer")
    finally:
        context.close()
