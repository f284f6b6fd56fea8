"""Translations in a real browser (issue 13): a colleague of the author translates a published lesson into Arabic
on the form, a reviewer publishes it, and a reader whose browser asks for Arabic reads it right-to-left with a link
to the original; axe passes and nothing overflows a 390 px phone on the way."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_out
from tests.browser.test_archive_browser import sign_in
from tests.search_helpers import publish

pytestmark = pytest.mark.browser

ARABIC_TITLE = "المشغلون أفرطوا في الثقة بأداة التعرف"


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _fits(page, name: str, tmp_path: Path) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_load_state("load")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    page.screenshot(path=str(_shots(tmp_path) / f"translation_{name}_390.png"), full_page=True)
    assert overflow <= 0, f"{name}: {overflow} px wider than a 390 px phone"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_colleague_translates_a_lesson_a_reviewer_publishes_it_and_a_reader_reads_it(
        app, page, browser, live_server, make_user, make_org, tmp_path):
    ministry = make_org(stakeholder_type="state", country="JO", name="Jordan Armed Forces")
    author = make_user(clearance="restricted", org=ministry, name="Amal Author")
    colleague = make_user(clearance="restricted", org=ministry, name="Karim Colleague")
    reviewer = make_user(clearance="restricted", roles=("facilitator",), name="Fred Facilitator")
    item = publish(app, author, reviewer)
    page.set_viewport_size({"width": 1280, "height": 900})

    sign_in(page, live_server, colleague)
    page.goto(f"{live_server}/archive/{item.id}")
    page.get_by_role("link", name="Add a translation").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Translate:")
    page.get_by_label("Translated into").select_option("ar")
    page.get_by_label("Title", exact=True).fill(ARABIC_TITLE)
    page.get_by_label("Summary", exact=True).fill("قبل المشغلون معظم اقتراحات الأداة خلال التمرين.")
    for label, text in (("Observation", "قبل المشغلون 97٪ من الاقتراحات."), ("Discussion", "تحيز الأتمتة."),
                        ("Conclusion", "لم يغط التدريب أنماط الإخفاق."),
                        ("Recommendation", "إضافة تدريبات على أنماط الإخفاق.")):
        page.get_by_label(label, exact=True).fill(text)
    assert_accessible(page)
    _fits(page, "form", tmp_path)
    page.get_by_role("button", name="Send for review").last.click()
    expect(page.get_by_role("heading", name="A translation into العربية is waiting for review")).to_be_visible()
    sign_out(page)

    sign_in(page, live_server, reviewer)
    page.goto(f"{live_server}/archive/{item.id}")
    page.get_by_role("link", name="Into العربية: waiting for review").click()
    expect(page.locator("article h1")).to_have_text(ARABIC_TITLE)
    expect(page.locator("article h1")).to_have_attribute("dir", "rtl")
    assert_accessible(page)
    page.get_by_role("button", name="Publish this translation").click()
    expect(page.get_by_text("The translation is published")).to_be_visible()
    sign_out(page)

    context = browser.new_context(locale="ar", timezone_id="UTC", extra_http_headers={"Accept-Language": "ar"})
    reader = context.new_page()
    try:
        reader.set_viewport_size({"width": 1280, "height": 900})
        reader.goto(f"{live_server}/archive/{item.id}")
        expect(reader.locator("html")).to_have_attribute("dir", "rtl")
        expect(reader.locator("article h1")).to_have_text(ARABIC_TITLE)
        original = reader.locator("p.translation-note a[hreflang='en']")
        expect(original).to_be_visible()
        reader.screenshot(path=str(_shots(tmp_path) / "translation_reader_ar_1280.png"), full_page=True)
        assert_accessible(reader)
        _fits(reader, "reader_ar", tmp_path)
        original.click()
        expect(reader.locator("article h1")).to_have_text(item.title)
        expect(reader.locator("article h1")).to_have_attribute("lang", "en")
    finally:
        context.close()
