"""Arabic in a real browser: the page is right-to-left and mirrored, fits a phone, passes axe, and the language
switch works with JavaScript off (a visitor's GET form, a signed-in person's POST form)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import WAIT_MS, assert_accessible
from tests.browser.test_archive_browser import sign_in

pytestmark = pytest.mark.browser


def _artefacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("BROWSER_ARTEFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _context(browser, width: int, locale: str = "ar", javascript: bool = True):
    context = browser.new_context(locale=locale, timezone_id="UTC", viewport={"width": width, "height": 900},
                                  java_script_enabled=javascript)
    context.set_default_timeout(WAIT_MS)
    return context


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("width", [320, 390, 1366])
def test_arabic_pages_are_right_to_left_mirrored_and_fit(browser, live_server, tmp_path, width):
    context = _context(browser, width)
    page = context.new_page()
    for path, name in (("/", "home"), ("/paragraphs/14", "paragraph-14"), ("/archive/", "archive"),
                       ("/sign-in", "sign-in")):
        page.goto(live_server + path)
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("html")).to_have_attribute("lang", "ar")
        page.screenshot(path=str(_artefacts(tmp_path) / f"ar-{name}-{width}.png"), full_page=True)
        assert _overflow(page) <= 0, (path, width)
        # Mirrored: the brand starts the header on the right, and the main text is right-aligned.
        brand = page.locator(".brand").bounding_box()
        assert brand["x"] + brand["width"] > width * 0.6, (path, brand)
        assert page.evaluate("getComputedStyle(document.querySelector('main')).direction") == "rtl"
        assert_accessible(page)
    # The Call's text keeps its own direction: English, left to right.
    page.goto(live_server + "/paragraphs/14")
    expect(page.locator("blockquote.call-text")).to_have_attribute("dir", "ltr")
    context.close()


def test_a_visitor_switches_language_without_javascript(browser, live_server):
    context = _context(browser, 390, locale="en-GB", javascript=False)
    page = context.new_page()
    page.goto(live_server + "/paragraphs/14")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Language").select_option("ar")
    page.get_by_role("button", name="Change language").click()
    # the address is the same before and after: first wait for the Arabic page, then check where it is
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page).to_have_url(live_server + "/paragraphs/14")
    expect(page.get_by_role("button", name="تغيير اللغة")).to_be_visible()
    # And back, from the Arabic page.
    page.get_by_label("اللغة").select_option("fr")
    page.get_by_role("button", name="تغيير اللغة").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    context.close()


def test_a_signed_in_person_switches_without_javascript_and_it_is_saved(browser, live_server, make_user, app):
    person = make_user()
    context = _context(browser, 1366, locale="en-GB", javascript=False)
    page = context.new_page()
    sign_in(page, live_server, person)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto(live_server + "/about")
    page.get_by_label("Language", exact=True).select_option("ar")
    page.get_by_role("button", name="Change language").click()
    expect(page.locator("html")).to_have_attribute("lang", "ar")  # first the new page (the address is the same)
    expect(page).to_have_url(live_server + "/about")
    with app.app_context():
        from webapp.db import session
        from webapp.models import User

        assert session().get(User, person.id).locale == "ar"
    context.close()
