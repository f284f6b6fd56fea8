"""Each persona's main journey, end to end on the merged product, starting from the home page and using only what
the pages offer (no typed URLs except to prove that something is NOT reachable). Every page on the way passes axe.

- A state representative shares a lesson learnt under a Call paragraph at the restricted tier; it is published and
  nobody below that tier can find it.
- A company publishes its responsible-AI policy to a named group of organisations only.
- A facilitator runs a round under the Chatham House rule: creates it, opens it, closes it and concludes it; the
  synthesis enters the archive without naming anyone.
- A member finds material by Call paragraph, stakeholder type and topic — on a 390 px screen, and without JavaScript.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import WAIT_MS, assert_accessible, pass_second_factor, sign_out
from tests.conftest import DEFAULT_PASSWORD
from tests.search_helpers import indexer_on  # noqa: F401  (autouse: the search index follows every commit)
from tests.search_helpers import publish

pytestmark = pytest.mark.browser


def sign_in(page, live_server, user) -> None:
    """Sign in from the header link, as a person would."""
    sign_out(page)
    page.goto(live_server + "/")
    page.get_by_role("link", name="Sign in", exact=True).click()
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    pass_second_factor(page, user)


def not_found(page, url: str) -> bool:
    """The generic 404 page, exactly as for an id that never existed."""
    response = page.goto(url)
    return response.status == 404 and page.title().startswith("Page not found")


def review_and_publish(page, live_server, reviewer, title: str) -> None:
    sign_in(page, live_server, reviewer)
    # the entry carries a count of what waits ("Review 1 waiting")
    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(r"^Review\b")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")  # home lists the same title
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    page.get_by_role("link", name="Publish…").click()  # the question page says what happens next
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".flashes")).to_contain_text("Published.")


def test_state_representative_shares_a_restricted_lesson_under_a_paragraph(page, live_server, make_org, make_user):
    ministry = make_org("state", "KE", name="Kenya Defence Forces")
    representative = make_user("restricted", org=ministry, name="Wanjiru Kamau")
    reviewer = make_user("restricted", roles=("facilitator",), name="Rita Reviewer")
    restricted_reader = make_user("restricted", org=make_org("academia", "CL"))
    community_reader = make_user("community", org=make_org("civil_society", "BR"))
    title = "Fallback drills when the decision aid fails"

    sign_in(page, live_server, representative)
    home = page.get_by_role("main")
    expect(home.get_by_role("heading", name="Where to start")).to_be_visible()
    assert_accessible(page)
    home.get_by_role("link", name="By paragraph of the Call").click()
    # home links to paragraph 14 as well: wait for the index before choosing the paragraph on it
    expect(page.get_by_role("heading", level=1)).to_have_text("The REAIM Call to Action")
    page.get_by_role("link", name="Exchange of good practices and lessons learnt").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Paragraph 14"))
    assert_accessible(page)
    page.get_by_role("link", name="Share a lesson learnt").click()

    expect(page.get_by_label("14. Exchange of good practices")).to_be_checked()  # is_checked() does not wait
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Summary", exact=True).fill("Crews lacked a practised fallback when the aid went offline.")
    page.get_by_label("Observation", exact=True).fill("The aid went offline for 40 minutes.")
    page.get_by_role("button", name="Save draft").click()
    # Forgot the access tier: the summary says so and links to it; nothing typed is lost.
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Choose who may read it.")
    expect(page.get_by_label("Title", exact=True)).to_have_value(title)
    expect(page.get_by_label("14. Exchange of good practices")).to_be_checked()
    assert_accessible(page)
    summary.get_by_role("link", name="Access tier").click()
    # following the in-page link (and the focus move) is asynchronous: wait for it instead of reading at once
    expect(page.locator("#tier")).to_be_focused()
    expect(page.locator("#tier option[value=confidential]")).to_have_count(0)  # above her clearance: not offered
    page.get_by_label("Access tier").select_option("restricted")
    page.get_by_label("Discussion", exact=True).fill("Operators hesitated.")
    page.get_by_label("Conclusion", exact=True).fill("No drill covered the outage.")
    page.get_by_label("Recommendation", exact=True).fill("Drill manual fallback every quarter.")
    page.get_by_role("button", name="Save draft").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("TLP:AMBER").first).to_be_visible()
    item_url = page.url
    # The draft says what is still needed before review, instead of a Submit button that would fail.
    expect(page.get_by_text("Before you can submit it for review, complete: Lifecycle stage.")).to_be_visible()
    expect(page.get_by_role("button", name="Submit for review")).to_have_count(0)
    page.get_by_role("link", name="Edit the draft").click()
    page.get_by_label("Lifecycle stage").select_option("use")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review.")).to_be_visible()
    assert_accessible(page)

    review_and_publish(page, live_server, reviewer, title)

    sign_in(page, live_server, restricted_reader)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Call to Action").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The REAIM Call to Action")
    page.get_by_role("link", name="Exchange of good practices and lessons learnt").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Paragraph 14"))
    page.get_by_role("link", name=title).click()
    # the paragraph's list names the organisation and the label too: first wait for the item's own page
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("Kenya Defence Forces").first).to_be_visible()
    expect(page.get_by_text("TLP:AMBER").first).to_be_visible()
    assert_accessible(page)

    sign_in(page, live_server, community_reader)
    assert not_found(page, item_url)
    page.goto(live_server + "/paragraphs/14")
    assert title not in page.content()  # goto() returned at the load event: the whole page
    sign_out(page)
    assert not_found(page, item_url)


def test_company_publishes_its_policy_to_a_named_group_only(page, live_server, make_org, make_user, make_group):
    company = make_org("private_sector", "DE", name="Aurora Defence Systems")
    partner = make_org("state", "NL", name="Ministry of Defence NL")
    author = make_user("community", org=company, name="Jonas Weber")
    partner_reader = make_user("community", org=partner)
    outsider = make_user("confidential", org=make_org("academia", "CL"))
    reviewer = make_user("restricted", roles=("facilitator",), org=partner, name="Rita Reviewer")
    make_group("Trusted testing partners", organisations=(company, partner))
    title = "Aurora responsible-AI policy"

    sign_in(page, live_server, author)
    page.get_by_role("main").get_by_role("link", name="Publish a policy").click()
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Summary", exact=True).fill("How we develop AI for defence customers responsibly.")
    page.get_by_label("23. Private sector good practices").check()
    page.get_by_label("Issuer", exact=True).fill("Aurora Defence Systems, Board")
    page.get_by_label("Scope", exact=True).fill("All products for defence customers.")
    page.get_by_label("Principles", exact=True).fill("1. Human judgement stays with the operator.")
    page.get_by_label("Version", exact=True).fill("2.0")
    page.get_by_label("Effective date", exact=True).fill("2026-01-01")
    page.get_by_label("Access tier").select_option("public")
    page.get_by_label("Sharing group").select_option(label="Trusted testing partners")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("main")).to_contain_text("Anyone can read a public item, so a group cannot limit it.")
    assert_accessible(page)
    page.get_by_label("Access tier").select_option("community")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("TLP:GREEN").first).to_be_visible()
    expect(page.get_by_text("Trusted testing partners").first).to_be_visible()
    item_url = page.url
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review.")).to_be_visible()  # axe on the page being left saw no CSS
    assert_accessible(page)

    review_and_publish(page, live_server, reviewer, title)

    sign_in(page, live_server, partner_reader)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Archive", exact=True).click()
    page.get_by_role("checkbox", name=re.compile(r"^Responsible-AI policy \(")).check()
    page.get_by_role("button", name="Apply filters").click()
    # the unfiltered list shows the policy too: find it in the filtered one
    expect(page).to_have_url(re.compile(r"[?&]kind=responsible_ai_policy"))
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_text("Human judgement stays with the operator.")).to_be_visible()

    sign_in(page, live_server, outsider)  # confidential clearance, but not in the group
    assert not_found(page, item_url)
    page.goto(live_server + "/archive/?kind=responsible_ai_policy")
    assert title not in page.content()


def test_facilitator_runs_a_chatham_house_round_into_the_archive(page, live_server, make_org, make_user):
    facilitator = make_user("restricted", roles=("facilitator",), org=make_org("international_organisation", "CH"),
                            name="Lea Martin")
    participant = make_user("community", org=make_org("state", "KR", name="Ministry of National Defense KR"),
                            name="Min-jun Park")
    reader = make_user("community", org=make_org("civil_society", "BR"))
    round_title = "Human judgement in AI-enabled targeting"

    sign_in(page, live_server, facilitator)
    page.get_by_role("main").get_by_role("link", name="Create a round").click()
    page.get_by_label("Title", exact=True).fill(round_title)
    page.get_by_label("Guiding questions", exact=True).fill("1. Where must a human decide?")
    page.get_by_label("6. Human responsibility").check()
    page.get_by_label("Chatham House rule").check()
    assert_accessible(page)
    page.get_by_role("button", name="Create the round").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(round_title)
    # the form opens a round now unless told otherwise (count() would not wait for the page's action list)
    page.wait_for_load_state()
    expect(page.get_by_role("button", name="Open the round now")).to_have_count(0)
    expect(page.get_by_text("Chatham House rule").first).to_be_visible()
    round_url = page.url

    sign_in(page, live_server, participant)
    page.get_by_role("main").get_by_role("link", name="See the dialogue rounds").click()
    page.get_by_role("link", name=round_title).click()
    page.get_by_role("link", name="Start a thread in this round").click()
    page.get_by_label("Title", exact=True).fill("Where must a human decide?")
    page.get_by_label("First post", exact=True).fill("Target confirmation, always.")
    page.get_by_role("button", name="Start the thread").click()
    expect(page.get_by_text("Your thread is started.")).to_be_visible()

    sign_in(page, live_server, reader)
    page.goto(round_url)
    page.get_by_role("link", name="Where must a human decide?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Where must a human decide?")
    page.wait_for_load_state()  # the whole thread, or the names below could be missing only because unparsed
    assert "Min-jun Park" not in page.content() and "Ministry of National Defense KR" not in page.content()
    expect(page.get_by_text("A participant (Chatham House rule)").first).to_be_visible()

    sign_in(page, live_server, facilitator)
    page.goto(round_url)
    page.get_by_role("button", name="Close the round and lock its threads").click()
    page.get_by_role("link", name="Write the outcome synthesis and conclude").click()  # shown once closed
    expect(page.get_by_text("Who will read it: the same readers as the round")).to_be_visible()
    page.get_by_label("Outcome synthesis", exact=True).fill("Participants agreed that **target confirmation** stays human.")
    page.get_by_label("Key points: states").fill("Confirmation must stay with an operator.")
    assert_accessible(page)
    page.get_by_role("button", name="Conclude and publish the synthesis").click()
    page.get_by_role("link", name="The synthesis in the archive (citation, exports, revisions)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Outcome of the dialogue round"))
    page.wait_for_load_state()
    assert "Min-jun Park" not in page.content()
    assert_accessible(page)

    sign_in(page, live_server, reader)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Archive", exact=True).click()
    page.get_by_role("checkbox", name=re.compile(r"^Outcome synthesis \(")).check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("link", name=f"Outcome of the dialogue round: {round_title}")).to_be_visible()


def _published_material(app, make_org, make_user):
    state_author = make_user("restricted", org=make_org("state", "KE", name="Kenya Defence Forces"))
    academic = make_user("restricted", org=make_org("academia", "CL", name="Universidad de Chile"))
    reviewer = make_user("restricted", roles=("facilitator",))
    publish(app, state_author, reviewer, title="Operator trust in target recognition", paragraphs=[14])
    publish(app, academic, reviewer, kind="good_practice", title="Red-teaming recognition models",
            paragraphs=[14, 21])
    publish(app, state_author, reviewer, tier="restricted", title="Restricted lesson on recognition", paragraphs=[14])
    return make_user("community", org=make_org("civil_society", "BR"))


def _find_by_paragraph_stakeholder_and_topic(page, live_server, member, check=lambda page: None) -> None:
    sign_in(page, live_server, member)
    page.get_by_role("main").get_by_role("link", name="Browse the archive").click()
    # is_visible() does not wait: the archive page must be on the screen, with its stylesheet (which hides the
    # summary on a desktop), before asking whether the filter panel is collapsed
    page.locator(".filters-panel").wait_for(state="attached")
    page.wait_for_load_state()
    summary = page.locator(".filters-panel > summary")
    if summary.is_visible():  # on a phone the filters are collapsed so the first result is on the first screen
        summary.click()
    page.get_by_role("checkbox", name=re.compile(r"^¶14 ")).check()  # checkbox lists with counts
    page.get_by_role("checkbox", name=re.compile(r"^State \(")).check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("heading", name="1 item")).to_be_visible()
    expect(page.get_by_role("link", name="Operator trust in target recognition")).to_be_visible()
    page.wait_for_load_state()
    assert "Restricted lesson on recognition" not in page.content()
    check(page)

    page.get_by_role("searchbox", name="Search the archive").fill("red-teaming")
    page.get_by_role("searchbox", name="Search the archive").press("Enter")
    expect(page.get_by_role("link", name="Red-teaming recognition models")).to_be_visible()
    check(page)

    page.goto(live_server + "/")
    page.get_by_role("main").get_by_role("link", name="By paragraph of the Call").click()
    # home lists paragraph 14 and the latest items too: wait for each page before reading it
    expect(page.get_by_role("heading", level=1)).to_have_text("The REAIM Call to Action")
    page.get_by_role("link", name="Exchange of good practices and lessons learnt").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Paragraph 14"))
    expect(page.get_by_role("link", name="Red-teaming recognition models")).to_be_visible()
    expect(page.get_by_role("link", name="Operator trust in target recognition")).to_be_visible()
    page.wait_for_load_state()
    assert "Restricted lesson on recognition" not in page.content()
    check(page)
    page.get_by_role("link", name="Red-teaming recognition models").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Red-teaming recognition models")  # the list has ¶21
    expect(page.get_by_role("link", name="¶21")).to_be_visible()  # from the item back to its paragraphs
    check(page)


def test_member_finds_material_by_paragraph_stakeholder_and_topic_on_a_phone(page, live_server, app, make_org,
                                                                              make_user):
    member = _published_material(app, make_org, make_user)
    page.set_viewport_size({"width": 390, "height": 844})

    def fits_the_screen_and_passes_axe(page) -> None:
        page.wait_for_load_state()  # measured with the stylesheet, which makes the page fit
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing runs off the screen
        assert_accessible(page)

    _find_by_paragraph_stakeholder_and_topic(page, live_server, member, fits_the_screen_and_passes_axe)


def test_member_journey_works_without_javascript(browser, live_server, app, make_org, make_user):
    member = _published_material(app, make_org, make_user)
    context = browser.new_context(java_script_enabled=False, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(WAIT_MS)
    try:
        _find_by_paragraph_stakeholder_and_topic(context.new_page(), live_server, member)
    finally:
        context.close()
