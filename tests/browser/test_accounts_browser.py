"""Accounts in headless Chromium: the whole registration → verification → password change flow, keyboard use, axe."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser

NEW_PASSWORD = "granite tulip ferry whistle"
FIRST_PASSWORD = "copper meadow violin sketch"


def _sign_in(page, base: str, email: str, password: str) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_register_verify_sign_in_change_password_sign_out(browser, live_server, make_user):
    admin = make_user(roles=("admin",), name="Ada Admin")
    visitor = browser.new_context(locale="en-GB", timezone_id="UTC")
    page = visitor.new_page()

    # 1. register, proposing a new organisation
    page.goto(live_server + "/register")
    page.get_by_label("Your full name").fill("Wanjiru Kamau")
    page.get_by_label("Work e-mail address").fill("w.kamau@example.org")
    page.get_by_label("Organisation", exact=True).select_option("new")
    page.get_by_label("Name of the new organisation").fill("Nairobi Centre for Responsible AI")
    page.get_by_label("Stakeholder type").select_option("academia")
    page.get_by_label("Country").select_option("KE")
    page.get_by_label("Password", exact=True).fill(FIRST_PASSWORD)
    page.get_by_label("Repeat the password").fill(FIRST_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(live_server + "/sign-in")
    assert "An administrator will verify it" in page.content()

    # pending: may sign in, sees the notice, cannot reach administration
    _sign_in(page, live_server, "w.kamau@example.org", FIRST_PASSWORD)
    page.wait_for_url(live_server + "/")
    assert "Your account is waiting for verification" in page.content()
    page.get_by_role("button", name="Sign out").click()

    # 2. an admin verifies the organisation and the person
    admin_context = browser.new_context(locale="en-GB", timezone_id="UTC")
    admin_page = admin_context.new_page()
    _sign_in(admin_page, live_server, admin.email, DEFAULT_PASSWORD)
    admin_page.get_by_role("link", name="Administration").click()
    admin_page.get_by_role("button", name="Verify Nairobi Centre for Responsible AI").click()
    expect(admin_page.get_by_text("Nairobi Centre for Responsible AI is verified.")).to_be_visible()
    admin_page.get_by_role("link", name="Wanjiru Kamau").click()
    admin_page.get_by_role("button", name="Verify this account").click()
    expect(admin_page.get_by_text("Wanjiru Kamau is verified.")).to_be_visible()
    admin_context.close()

    # 3. the user signs in, verified now, and changes the password
    _sign_in(page, live_server, "w.kamau@example.org", FIRST_PASSWORD)
    page.wait_for_url(live_server + "/")
    assert "Your account is waiting for verification" not in page.content()
    page.get_by_role("link", name="Wanjiru Kamau").click()
    page.get_by_label("Current password").fill(FIRST_PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    page.wait_for_url(live_server + "/account")
    assert "Your password has been changed." in page.content()

    # 4. sign out; the old password is refused, the new one works
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    _sign_in(page, live_server, "w.kamau@example.org", FIRST_PASSWORD)
    expect(page.get_by_role("alert")).to_have_text(
        "That e-mail address and password do not match an active account.")
    _sign_in(page, live_server, "w.kamau@example.org", NEW_PASSWORD)
    page.wait_for_url(live_server + "/")
    assert "Signed in as Wanjiru Kamau." in page.content()
    visitor.close()


def test_sign_in_form_by_keyboard_only(page, live_server, make_user):
    user = make_user(name="Keyboard User")
    page.goto(live_server + "/sign-in")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "email":
            break
    else:
        pytest.fail("Tab never reached the e-mail field")
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(DEFAULT_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server + "/")
    assert "Signed in as Keyboard User." in page.content()


def test_skip_link_is_first_and_moves_focus_to_content(page, live_server):
    page.goto(live_server + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")


def test_pages_are_accessible(page, live_server, make_user, make_group, make_org):
    admin = make_user(roles=("admin",), name="Ada Admin")
    pending = make_user(status="pending", org=make_org(verified=False), name="Pending Person")
    group = make_group(users=[pending])
    for path in ("/", "/register", "/sign-in", "/about", "/paragraphs/", "/paragraphs/14", "/no-such-page"):
        page.goto(live_server + path)
        assert_accessible(page)
    # form errors are announced and still accessible
    page.goto(live_server + "/register")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_have_count(1)
    assert_accessible(page)

    _sign_in(page, live_server, admin.email, DEFAULT_PASSWORD)
    page.wait_for_url(live_server + "/")
    for path in ("/", "/account", "/admin/", "/admin/organisations", "/admin/users", f"/admin/users/{pending.id}",
                 "/admin/groups", f"/admin/groups/{group.id}", "/admin/audit"):
        page.goto(live_server + path)
        assert re.search(r"<h1", page.content()), path
        assert_accessible(page)
