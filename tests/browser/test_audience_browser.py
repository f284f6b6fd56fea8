"""Audiences the author can see (issue 11 §3) in a real browser: Korea's author chooses restricted and a sharing group
on the lesson form, presses "Preview audience" and sees who will read it before saving anything."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_archive_browser import sign_in
from tests.test_audience_preview import world  # noqa: F401  (the prepared world: 3 organisations, 7 people)

pytestmark = pytest.mark.browser


def test_author_previews_the_audience_of_a_restricted_group_lesson(page, live_server, world, tmp_path):  # noqa: F811
    sign_in(page, live_server, world["people"]["author"])
    page.goto(live_server + "/archive/new/lesson_learnt")
    page.get_by_label("Title", exact=True).fill("Sensor fusion drift under jamming")
    page.get_by_label("Access tier").select_option("restricted")
    page.get_by_label("Sharing group").select_option(label="Korea-NL exchange")
    page.get_by_role("button", name="Preview audience").click()

    preview = page.get_by_role("region", name="Who will be able to read it")
    expect(preview.locator(".audience-totals")).to_have_text("3 organisations, 7 people, 1 reviewer")
    expect(preview.get_by_text("Netherlands MoD: 3 people, 1 reviewer")).to_be_visible()
    expect(preview.get_by_role("alert")).to_have_count(0)
    # Nothing was saved, and the form keeps what the author wrote and chose.
    expect(page).to_have_url(live_server + "/archive/new/lesson_learnt")
    expect(page.get_by_label("Title", exact=True)).to_have_value("Sensor fusion drift under jamming")
    expect(page.get_by_label("Sharing group")).to_have_value(str(world["group"].id))
    page.screenshot(path=str(tmp_path / "audience-preview.png"), full_page=True)
    page.locator("fieldset", has=preview).screenshot(path=str(tmp_path / "audience-fieldset.png"))
    assert_accessible(page)

    page.get_by_label("Sharing group").select_option(label="Korea-Seoul only")
    page.get_by_role("button", name="Preview audience").click()
    expect(preview.locator(".audience-totals")).to_have_text("2 organisations, 4 people, 0 reviewers")
    expect(preview.get_by_role("alert")).to_contain_text("nobody could publish it")


def test_enter_in_a_text_field_saves_the_draft_rather_than_previewing(page, live_server, world):  # noqa: F811
    sign_in(page, live_server, world["people"]["author"])
    page.goto(live_server + "/archive/new/lesson_learnt")
    page.get_by_label("14. Exchange of good practices").check()
    page.get_by_label("Summary").fill("Enter in a field is the form's main action.")
    page.get_by_label("Access tier").select_option("community")
    page.get_by_label("Title", exact=True).fill("Saved with the Enter key")
    page.get_by_label("Title", exact=True).press("Enter")
    expect(page).to_have_url(re.compile(r"/archive/\d+$"))  # saved and redirected to the new draft (PRG)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Saved with the Enter key")
