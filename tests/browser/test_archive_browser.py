"""The archive in a real browser: a member writes a lesson learnt and submits it, a facilitator publishes it, and a
reader finds it through the browse filters; the browse, form and submission pages pass axe."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, pass_second_factor, sign_out
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, live_server, user) -> None:
    sign_out(page)
    page.goto(live_server + "/sign-in")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    pass_second_factor(page, user)


def test_lesson_from_draft_to_published_and_found(page, live_server, make_user, make_org):
    ministry = make_org(stakeholder_type="state", country="KE", name="Kenya Defence Forces")
    member = make_user(clearance="restricted", org=ministry, name="Mia Member")
    facilitator = make_user(clearance="restricted", roles=("facilitator",), name="Fred Facilitator")

    sign_in(page, live_server, member)
    # each click waits for its page: a link of the same name on the page being left would be clicked instead
    page.get_by_role("link", name="My submissions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My submissions")
    page.get_by_role("link", name="Contribute").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contribute to the archive")
    page.get_by_role("link", name="Lesson learnt").click()
    page.get_by_label("Title", exact=True).fill("Fallback procedures when the decision aid fails")
    page.get_by_label("Summary", exact=True).fill("Crews lacked a practised fallback when the aid went offline.")
    page.get_by_label("14. Exchange of good practices").check()
    page.get_by_label("16. A continuing").check()
    page.get_by_label("Keywords", exact=True).fill("fallback, resilience")
    page.get_by_label("Observation", exact=True).fill("The aid went **offline** for 40 minutes.")
    page.get_by_label("Discussion", exact=True).fill("Operators hesitated.")
    page.get_by_label("Conclusion", exact=True).fill("No drill covered the outage.")
    page.get_by_label("Recommendation", exact=True).fill("Drill manual fallback every quarter.")
    page.get_by_label("Lifecycle stage").select_option("use")
    page.get_by_label("Access tier").select_option("public")
    assert_accessible(page)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fallback procedures when the decision aid fails")
    expect(page.locator("strong", has_text="offline")).to_have_count(1)
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review.")).to_be_visible()

    sign_in(page, live_server, facilitator)
    # the entry carries a count of what waits ("Review 1 waiting")
    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(r"^Review\b")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    page.get_by_role("link", name="Fallback procedures when the decision aid fails", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fallback procedures when the decision aid fails")
    page.get_by_role("link", name="Publish…").click()  # the question page says what happens next
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published.")).to_be_visible()

    sign_out(page)
    page.goto(live_server + "/")
    page.get_by_role("link", name="Archive", exact=True).click()
    # filters are checkbox lists with counts (several values each)
    page.get_by_role("checkbox", name=re.compile(r"^State \(")).check()
    page.get_by_role("checkbox", name=re.compile(r"^Use \(")).check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("heading", name="1 item")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Fallback procedures when the decision aid fails", exact=True).click()
    # the list's entry names the organisation and the label too: first wait for the item's own page
    expect(page.get_by_role("heading", level=1)).to_have_text("Fallback procedures when the decision aid fails")
    expect(page.get_by_text("Kenya Defence Forces").first).to_be_visible()
    expect(page.get_by_text("TLP:CLEAR").first).to_be_visible()
    assert_accessible(page)

    page.goto(live_server + "/paragraphs/14")
    expect(page.get_by_role("heading", name="State (1)")).to_be_visible()
    assert_accessible(page)
    page.go_back()
    page.get_by_role("button", name="Show differences").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Changes from revision 1 to revision 3")
    assert_accessible(page)


def test_outcome_synthesis_page_is_accessible(app, page, live_server, make_user):
    from tests.archive_helpers import concluded_synthesis

    facilitator = make_user(clearance="restricted", roles=("facilitator",), name="Fay Facilitator")
    synthesis = concluded_synthesis(
        app, facilitator, title="Oversight in practice", body="## Findings\n\nTrain **operators**.",
        key_points={"state": "States want *norms*.", "academia": "- access to data\n- test ranges"},
        chatham_house=True,
    )
    page.goto(f"{live_server}/archive/{synthesis.id}")
    expect(page.get_by_role("heading", name="Key points per stakeholder type")).to_be_visible()
    # Chatham House, and no type reached 3 participants: no key point is attributed to a type (small-cell rule)
    expect(page.get_by_text("Some key points are not shown")).to_be_visible()
    expect(page.locator("dd em", has_text="norms")).to_have_count(0)
    expect(page.get_by_text("Facilitators of the dialogue round").first).to_be_visible()
    expect(page.get_by_text("Fay Facilitator")).to_have_count(0)
    assert_accessible(page)
