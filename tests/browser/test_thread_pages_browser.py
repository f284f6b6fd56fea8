"""Thread pages in a real browser at phone width: a permalink opens the page that holds the post, the pager walks
the thread (with JavaScript and without), axe finds nothing and nothing scrolls sideways."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import WAIT_MS, assert_accessible, pass_second_factor, sign_out
from tests.conftest import DEFAULT_PASSWORD
from tests.dialogue_helpers import make_post, make_thread
from webapp.models import Tier

pytestmark = pytest.mark.browser

SIZE = 5


@pytest.fixture
def long_thread(app, make_org, make_user):
    app.config["THREAD_PAGE_SIZE"] = SIZE
    author = make_user("community", org=make_org("academia", "KE"), name="Rita Researcher")
    thread = make_thread(app, author, tier=Tier.PUBLIC, title="Operator training in the field", body="Post number 0")
    posts = [make_post(app, author, thread, body=f"Post number {i}") for i in range(1, 3 * SIZE)]
    return thread, posts


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_permalink_and_pager_at_phone_width(page, live_server, long_thread, make_user):
    thread, posts = long_thread
    reader = make_user("community", name="Maria Member")
    sign_out(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server + "/sign-in")
    page.get_by_label("E-mail").fill(reader.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    pass_second_factor(page, reader)

    page.goto(f"{live_server}/dialogue/threads/{thread.id}")
    expect(page.get_by_text("Post number 0", exact=True)).to_be_visible()
    # Reading page 1 leaves page 2 unread: the link goes to its first post.
    page.get_by_role("link", name="Go to your first unread post").click()
    page.wait_for_url(lambda url: url.endswith(f"/dialogue/threads/{thread.id}?page=2#post-{posts[4].id}"))
    expect(page.locator(f"#post-{posts[4].id}")).to_be_in_viewport()
    _no_sideways_scroll(page)
    assert_accessible(page)

    target = posts[11]  # the 13th post: page 3 of 3
    page.goto(f"{live_server}/dialogue/posts/{target.id}")
    page.wait_for_url(lambda url: url.endswith(f"/dialogue/threads/{thread.id}?page=3#post-{target.id}"))
    expect(page.locator(f"#post-{target.id}")).to_be_in_viewport()
    pager = page.get_by_role("navigation", name="Thread pages", exact=True)
    expect(pager.locator('[aria-current="page"]')).to_have_text("Page 3")
    _no_sideways_scroll(page)
    assert_accessible(page)

    pager.get_by_role("link", name="Previous page").click()
    page.wait_for_url(lambda url: url.endswith(f"/dialogue/threads/{thread.id}?page=2"))
    expect(page.get_by_text("Post number 5", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="Thread pages", exact=True).get_by_role("link", name="First page").click()
    page.wait_for_url(lambda url: url.endswith(f"/dialogue/threads/{thread.id}"))
    expect(page.get_by_text("Post number 0", exact=True)).to_be_visible()
    _no_sideways_scroll(page)


def test_the_pager_works_without_javascript(browser, live_server, long_thread):
    thread, _posts = long_thread
    context = browser.new_context(java_script_enabled=False, locale="en-GB", timezone_id="UTC",
                                  viewport={"width": 390, "height": 844})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/dialogue/threads/{thread.id}")
        pager = page.get_by_role("navigation", name="Thread pages, after the posts")
        pager.get_by_role("link", name="Next page").click()
        page.wait_for_url(lambda url: url.endswith(f"/dialogue/threads/{thread.id}?page=2"))
        expect(page.get_by_text("Post number 5", exact=True)).to_be_visible()
        page.get_by_role("navigation", name="Thread pages", exact=True).get_by_role("link", name="Last page").click()
        page.wait_for_url(lambda url: url.endswith(f"/dialogue/threads/{thread.id}?page=3"))
        expect(page.get_by_text("Post number 14", exact=True)).to_be_visible()
        _no_sideways_scroll(page)
    finally:
        context.close()
