"""Searching from the header box in a real browser: results with highlighted snippets, facets, and axe."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.search_helpers import publish
from tests.search_helpers import indexer_on  # noqa: F401  (autouse)

pytestmark = pytest.mark.browser


def test_search_from_the_header_box(page, live_server, app, make_user):
    author = make_user(clearance="restricted")
    reviewer = make_user(clearance="restricted", roles=("facilitator",))
    publish(app, author, reviewer, title="Human oversight of targeting support",
            summary="Operators kept human judgement over every proposed target.")
    publish(app, author, reviewer, tier="restricted", title="Restricted oversight note", summary="oversight")

    page.goto(live_server + "/")
    box = page.get_by_role("searchbox", name="Search the archive")
    box.fill("human judgement")
    box.press("Enter")
    page.wait_for_url("**/search?q=human+judgement")
    assert page.title().startswith("Search results")
    results = page.get_by_role("heading", level=2, name="1 result")
    expect(results).to_be_visible()
    expect(page.get_by_role("link", name="Human oversight of targeting support")).to_be_visible()
    assert page.locator(".snippet mark").first.inner_text().lower() in {"human", "judgement"}
    assert "Restricted oversight note" not in page.content()
    expect(page.get_by_role("complementary").get_by_role("heading", name="Kind")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Search for").fill('"human')
    page.get_by_role("button", name="Search", exact=True).last.click()
    expect(page.get_by_role("alert")).to_have_text(re.compile(r"^\s*A quotation mark is not closed"))
    assert_accessible(page)
