"""The home page in a real browser: renders, navigates by keyboard, passes axe."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def test_home_page_renders_and_is_accessible(page, live_server):
    page.goto(live_server + "/")
    assert page.title().startswith("Home")
    page.get_by_role("link", name="Call to Action", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The REAIM Call to Action")
    assert_accessible(page)
