"""Dialogue in a real browser: a facilitator opens a round, a member starts a thread and replies, the facilitator
hides a post; the round and thread pages pass axe."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, pass_second_factor, sign_out
from tests.conftest import DEFAULT_PASSWORD
from tests.dialogue_helpers import make_round

pytestmark = pytest.mark.browser


def _sign_in(page, base: str, user) -> None:
    sign_out(page)
    page.goto(base + "/sign-in")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    pass_second_factor(page, user)


def test_round_thread_reply_and_hide(page, live_server, app, make_org, make_user, tmp_path):
    state = make_org("state", "NL", name="Ministry of Defence NL")
    company = make_org("private_sector", "DE", name="Sensor Systems GmbH")
    facilitator = make_user("restricted", roles=("facilitator",), org=state, name="Fatima Facilitator")
    member = make_user("community", org=company, name="Carl Company")
    round_ = make_round(app, facilitator, title="Human control in targeting", opens_in=timedelta(days=1))

    _sign_in(page, live_server, facilitator)
    page.goto(f"{live_server}/dialogue/rounds/{round_.id}")
    expect(page.get_by_text("Scheduled").first).to_be_visible()
    page.get_by_role("button", name="Open the round now").click()
    expect(page.get_by_text("The round is open.")).to_be_visible()
    assert_accessible(page)
    sign_out(page)

    _sign_in(page, live_server, member)
    page.goto(f"{live_server}/dialogue/")
    page.get_by_role("link", name="Human control in targeting").click()
    page.get_by_role("link", name="Start a thread in this round").click()
    page.get_by_label("Title").fill("Operator training")
    page.get_by_label("First post").fill("How long should operators **train**?")
    page.get_by_role("button", name="Start the thread").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Operator training")
    page.get_by_label("Your post").fill("At least two weeks, in my experience.")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_text("Your post is added.")).to_be_visible()
    page.get_by_role("link", name="Reply to post").first.click()
    # the thread page has a "Your post" field and a Post button too: fill the reply page's
    expect(page.get_by_role("heading", level=1)).to_have_text("Reply")
    page.get_by_label("Your post").fill("Replying to myself with a nested thought.")
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.locator("ol.post-tree ol.post-tree").get_by_text("nested thought")).to_be_visible()
    assert_accessible(page)
    thread_url = page.url.split("#")[0]
    sign_out(page)

    _sign_in(page, live_server, facilitator)
    page.goto(thread_url)
    page.get_by_role("link", name="Hide…").last.click()  # a page of its own says what happens next
    expect(page.get_by_role("heading", name="Hide this post?")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=str(tmp_path / "hide-post-confirm.png"), full_page=True)
    page.get_by_label("Reason for hiding (the author sees it)").fill("Off topic for this round")
    page.get_by_role("button", name="Hide the post").click()
    expect(page.get_by_text("The post is hidden.")).to_be_visible()
    expect(page.get_by_text("This post was hidden by a facilitator.")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{live_server}/moderation/rounds/{round_.id}/log")
    expect(page.get_by_text("Off topic for this round")).to_be_visible()
    sign_out(page)

    _sign_in(page, live_server, member)
    page.goto(thread_url)
    expect(page.get_by_text("Off topic for this round")).to_be_visible()  # the author sees the reason
    page.get_by_role("link", name="Notifications", exact=True).click()
    expect(page.get_by_text("Your post was hidden by a facilitator")).to_be_visible()
