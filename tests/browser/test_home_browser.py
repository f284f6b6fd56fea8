"""The home page in a real browser: renders, navigates by keyboard, passes axe."""
import pytest

from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def test_home_page_renders_and_is_accessible(page, live_server):
    page.goto(live_server + "/")
    assert page.title().startswith("Home")
    page.get_by_role("link", name="Call to Action", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "The REAIM Call to Action"
    assert_accessible(page)
