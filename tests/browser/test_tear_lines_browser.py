"""Tear lines in a real browser: an author gives one section of a lesson a tier above the item's on the form; a
reader below that tier reads a complete lesson without it (no heading, no marker, no label), and a cleared reader
reads it labelled TLP:AMBER. The pages pass axe."""
import os

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_archive_browser import sign_in

pytestmark = pytest.mark.browser

TITLE = "Decoy discrimination in the recognition aid"
SECRET = "Kestrelgate decoys fooled the aid in four of five trials."


def test_an_author_tears_off_a_section_and_a_lower_reader_sees_a_complete_item(app, page, live_server, make_user,
                                                                                 make_org):
    app.config["SEARCH_APPLY_AFTER_COMMIT"] = True  # index as in production, so the search checks mean something
    ministry = make_org(stakeholder_type="state", country="KR", name="Republic of Korea MND")
    author = make_user(clearance="restricted", org=ministry, name="Ara Author")
    reviewer = make_user(clearance="restricted", roles=("facilitator",), name="Rui Reviewer")
    member = make_user(clearance="community", name="Cam Community")
    cleared = make_user(clearance="restricted", name="Rhea Restricted")

    sign_in(page, live_server, author)
    page.goto(live_server + "/archive/new/lesson_learnt")
    page.get_by_label("Title", exact=True).fill(TITLE)
    page.get_by_label("Summary", exact=True).fill("Decoys were mistaken for targets during trials.")
    page.get_by_label("14. Exchange of good practices").check()
    page.get_by_label("Observation", exact=True).fill("Operators relied on the aid's first proposal.")
    page.get_by_label("Discussion", exact=True).fill("The aid had not been trained on decoys.")
    page.get_by_label("Conclusion", exact=True).fill("Decoy data must be part of evaluation.")
    page.get_by_label("Recommendation", exact=True).fill("Add decoys to every acceptance test.")
    page.get_by_label("Remedial action and plan", exact=True).fill(SECRET)
    section_tier = page.get_by_label("Who may read the section Remedial action and plan")
    # Only tiers up to the author's clearance are offered (no JavaScript involved: a plain select).
    assert "confidential" not in section_tier.locator("option").evaluate_all("els => els.map(e => e.value)")
    section_tier.select_option("restricted")
    page.get_by_label("Lifecycle stage").select_option("test_evaluation")
    page.get_by_label("Access tier").select_option("community")
    assert_accessible(page)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_role("heading", name="Remedial action and plan TLP:AMBER")).to_be_visible()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review.")).to_be_visible()
    item_url = page.url

    sign_in(page, live_server, reviewer)
    page.goto(item_url)
    page.get_by_role("link", name="Publish…").click()  # the question page says what happens next
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published.")).to_be_visible()

    sign_in(page, live_server, member)
    page.goto(item_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_role("heading", name="Recommendation", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Remedial action")).to_have_count(0)
    expect(page.get_by_text("Kestrelgate")).to_have_count(0)
    expect(page.get_by_text("TLP:AMBER")).to_have_count(0)
    assert_accessible(page)
    page.screenshot(path=os.environ.get("TEAR_SCREENSHOT", "/tmp/tear-lines-community-reader.png"), full_page=True)
    page.goto(live_server + "/search?q=kestrelgate")
    expect(page.get_by_role("link", name=TITLE)).to_have_count(0)

    sign_in(page, live_server, cleared)
    page.goto(item_url)
    expect(page.get_by_role("heading", name="Remedial action and plan TLP:AMBER")).to_be_visible()
    expect(page.get_by_text(SECRET)).to_be_visible()
    expect(page.get_by_role("heading", name="Recommendation TLP:GREEN")).to_be_visible()
    assert_accessible(page)
    page.goto(live_server + "/search?q=kestrelgate")
    expect(page.get_by_role("link", name=TITLE)).to_have_count(1)
