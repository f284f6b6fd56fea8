"""The pages people judge first, in a real browser: archive filters collapsed on a phone (the first result on the
first screen) and open beside the results on a desktop; home and the confirmation pages pass axe; no sideways scroll."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.search_helpers import publish

pytestmark = pytest.mark.browser


def _shots(tmp_path) -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _no_sideways_scroll(page) -> None:
    page.wait_for_load_state()  # measured with the stylesheet, which makes the page fit
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _items(app, make_org, make_user):
    lab = make_org(stakeholder_type="academia", country="KE", name="Nairobi AI Lab")
    author = make_user("restricted", org=lab)
    reviewer = make_user("restricted", roles=("facilitator",))
    for n in range(3):
        publish(app, author, reviewer, title=f"Operators over-trusted the model {n}")


@pytest.mark.parametrize("width", [320, 390])
def test_phone_browse_shows_the_first_result_on_the_first_screen(page, live_server, app, make_org, make_user,
                                                                  width, tmp_path):
    _items(app, make_org, make_user)
    page.set_viewport_size({"width": width, "height": 740})
    page.goto(live_server + "/archive/")
    first = page.locator(".submission-item").first
    box = first.bounding_box()
    assert box is not None and box["y"] < 740, box
    expect(page.get_by_role("checkbox").first).to_be_hidden()  # collapsed until asked
    page.get_by_text("Filters", exact=True).first.click()
    expect(page.get_by_role("checkbox", name="Kenya (3)")).to_be_visible()
    _no_sideways_scroll(page)
    assert_accessible(page)
    page.screenshot(path=str(_shots(tmp_path) / f"browse-{width}.png"), full_page=True)


def test_desktop_browse_shows_the_filters_beside_the_results(page, live_server, app, make_org, make_user, tmp_path):
    _items(app, make_org, make_user)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(live_server + "/archive/")
    kenya = page.get_by_role("checkbox", name="Kenya (3)")
    expect(kenya).to_be_visible()
    kenya.check()
    page.get_by_role("button", name="Apply filters").click()
    # the unfiltered page says "3 items" too: wait for the filtered address, not for the heading alone
    expect(page).to_have_url(re.compile(r"[?&]country=KE(&|$)"))
    expect(page.get_by_role("heading", name="3 items")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=str(_shots(tmp_path) / "browse-1366.png"), full_page=True)


@pytest.mark.parametrize("width", [390, 1366])
def test_home_lists_the_latest_items(page, live_server, app, make_org, make_user, width, tmp_path):
    _items(app, make_org, make_user)
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(live_server + "/")
    expect(page.get_by_role("heading", name="Latest in the archive")).to_be_visible()
    expect(page.get_by_role("link", name="Operators over-trusted the model 2")).to_be_visible()
    _no_sideways_scroll(page)
    assert_accessible(page)
    page.screenshot(path=str(_shots(tmp_path) / f"home-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [320, 1366])
def test_the_publish_question_page(page, live_server, app, make_org, make_user, width, tmp_path):
    from tests.browser.conftest import pass_second_factor
    from tests.conftest import DEFAULT_PASSWORD
    from tests.archive_helpers import practice_data, viewer
    from webapp.services.submission_workflow import submit_submission
    from webapp.services.submissions import create_submission

    author = make_user("restricted", name="Anna de Vries")
    reviewer = make_user("restricted", roles=("facilitator",), name="Rafael Reviewer")
    with app.test_request_context():
        item = create_submission(viewer(author), "good_practice", practice_data(title="Operators over-trusted"))
        submit_submission(viewer(author), item.id)
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(live_server + "/sign-in")
    page.get_by_label("E-mail").fill(reviewer.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    pass_second_factor(page, reviewer)
    page.goto(live_server + "/archive/review")
    page.get_by_role("link", name="Publish… Operators over-trusted").click()
    expect(page.get_by_role("heading", name="Publish this item?")).to_be_visible()
    expect(page.get_by_role("heading", name="What happens next")).to_be_visible()
    _no_sideways_scroll(page)
    assert_accessible(page)
    page.screenshot(path=str(_shots(tmp_path) / f"publish-confirm-{width}.png"), full_page=True)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published.")).to_be_visible()
