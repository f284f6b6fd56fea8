"""Accounts in headless Chromium: the whole registration → verification → password change flow, keyboard use, axe."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, pass_second_factor, sign_out
from tests.conftest import DEFAULT_PASSWORD
from tests.smtp_server import body_text
from tests.totp_clock import phone_code

pytestmark = pytest.mark.browser

NEW_PASSWORD = "granite tulip ferry whistle"
FIRST_PASSWORD = "copper meadow violin sketch"


def _sign_in(page, base: str, email: str, password: str) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def _link(smtp_server, address: str, count: int) -> str:
    """The newest link mailed to `address`, once `count` messages have arrived for it."""
    import time

    deadline = time.monotonic() + 10
    while len(smtp_server.to(address)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    messages = smtp_server.to(address)
    assert len(messages) >= count, [m["Subject"] for m in messages]
    return re.search(r"(http://\S+)", body_text(messages[-1])).group(1)


def test_register_verify_enrol_second_factor_reset_and_end_a_session(
    browser, smtp_app, smtp_server, live_server, make_user, make_org
):
    """Issue 10's journey: register → confirm the address → the organisation's focal point verifies (and proposes a
    clearance an admin grants) → enrol TOTP (this test computes the code, as the phone would) → sign in with the
    second factor → reset a forgotten password → end another session."""
    admin = make_user(roles=("admin",), name="Ada Admin")
    centre = make_org(stakeholder_type="academia", country="KE", name="Nairobi Centre for Responsible AI")
    focal_point = make_user(roles=("focal_point",), org=centre, name="Faith Focal")
    visitor = browser.new_context(locale="en-GB", timezone_id="UTC")
    page = visitor.new_page()
    address = "w.kamau@example.org"

    # 1. register for her (verified) organisation: "check your mailbox"
    page.goto(live_server + "/register")
    page.get_by_label("Your full name").fill("Wanjiru Kamau")
    page.get_by_label("Work e-mail address").fill(address)
    page.get_by_label("Organisation", exact=True).select_option(label="Nairobi Centre for Responsible AI")
    page.get_by_label("Password", exact=True).fill(FIRST_PASSWORD)
    page.get_by_label("Repeat the password").fill(FIRST_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your mailbox")).to_be_visible()
    assert_accessible(page)

    # 2. confirm the address with the mailed link (the page asks for a click)
    page.goto(_link(smtp_server, address, 1).replace("http://127.0.0.1:8000", live_server))
    page.get_by_role("button", name="Confirm my address").click()
    expect(page.get_by_text(f"Thank you: {address} is confirmed.")).to_be_visible()

    # 3. her organisation's focal point verifies her and proposes restricted clearance; an admin grants it
    focal_context = browser.new_context(locale="en-GB", timezone_id="UTC")
    focal_page = focal_context.new_page()
    _sign_in(focal_page, live_server, focal_point.email, DEFAULT_PASSWORD)
    pass_second_factor(focal_page, focal_point)
    focal_page.goto(live_server + f"/organisations/{centre.id}")
    focal_page.get_by_role("link", name="Manage this organisation").click()
    focal_page.get_by_role("button", name="Verify Wanjiru Kamau").click()
    expect(focal_page.get_by_text("Wanjiru Kamau is verified.")).to_be_visible()
    row = focal_page.get_by_role("row").filter(has_text="Wanjiru Kamau")
    row.get_by_label("Propose a clearance").select_option("restricted")
    row.get_by_label("Why (for the administrators)").fill("Works on our restricted evaluation reports")
    row.get_by_role("button", name="Propose").click()
    expect(focal_page.get_by_text("Proposal sent to the administrators.")).to_be_visible()
    assert_accessible(focal_page)
    focal_context.close()
    admin_context = browser.new_context(locale="en-GB", timezone_id="UTC")
    admin_page = admin_context.new_page()
    _sign_in(admin_page, live_server, admin.email, DEFAULT_PASSWORD)
    pass_second_factor(admin_page, admin)
    admin_page.goto(live_server + "/admin/clearance-proposals")
    admin_page.get_by_role("button", name="Grant").click()
    expect(admin_page.get_by_text("Clearance granted.")).to_be_visible()
    admin_context.close()

    # 4. she signs in: restricted clearance, no second factor yet — the banner says why and links to the set-up
    _sign_in(page, live_server, address, FIRST_PASSWORD)
    page.wait_for_url(live_server + "/")
    banner = page.get_by_text("Your clearance or role needs two-factor sign-in.")
    expect(banner).to_be_visible()
    page.get_by_role("link", name="Set up two-factor sign-in").click()
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    assert_accessible(page)
    secret = page.locator("code.totp-key").inner_text().strip()
    page.get_by_label("Current password").fill(FIRST_PASSWORD)
    page.get_by_label("6-digit code from the app").fill(phone_code(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator("ul.recovery-codes li")).to_have_count(10)  # count() would not wait for the whole list
    page.goto(live_server + "/")
    expect(page.get_by_text("Your clearance or role needs two-factor sign-in.")).to_have_count(0)
    sign_out(page)  # waits for the signed-out page: the next goto would cancel a sign-out still in flight

    # 5. sign in with the second factor (a code of a later step: the enrolment spent its step)
    _sign_in(page, live_server, address, FIRST_PASSWORD)
    page.wait_for_url(re.compile(r".*/sign-in/second-factor.*"))
    page.get_by_label("Code").fill(phone_code(secret))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(live_server + "/")
    expect(page.get_by_text("Signed in as Wanjiru Kamau.")).to_be_visible()

    # a second browser (her laptop) signs in too
    laptop = browser.new_context(locale="en-GB", timezone_id="UTC", user_agent="LaptopBrowser/1.0")
    laptop_page = laptop.new_page()
    _sign_in(laptop_page, live_server, address, FIRST_PASSWORD)
    laptop_page.get_by_label("Code").fill(phone_code(secret))
    laptop_page.get_by_role("button", name="Continue").click()
    laptop_page.wait_for_url(live_server + "/")

    # 6. from the sessions page she ends the laptop's session
    page.goto(live_server + "/account")
    page.get_by_role("link", name="Your sessions").click()
    expect(page.get_by_text("LaptopBrowser/1.0")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("Sign out session started")).click()
    expect(page.get_by_text("That session has been signed out.")).to_be_visible()
    laptop_page.goto(live_server + "/account")
    laptop_page.wait_for_url(re.compile(r".*/sign-in\?next=.*"))
    laptop.close()
    sign_out(page)

    # 7. she forgets her password: the reset link arrives by mail, the new one works (with the code)
    page.goto(live_server + "/sign-in")
    mails_before = len(smtp_server.to(address))
    page.get_by_role("link", name="Forgotten your password?").click()
    # the sign-in page has an "E-mail address" field too: fill the one of the page the link leads to
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgotten password")
    page.get_by_label("E-mail address").fill(address)
    page.get_by_role("button", name="Mail me a link").click()
    expect(page.get_by_role("heading", name="Check your mailbox")).to_be_visible()
    reset = _link(smtp_server, address, mails_before + 1)
    assert "/password/reset/" in reset
    page.goto(reset.replace("http://127.0.0.1:8000", live_server))
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_text("Your password has been changed and every session signed out.")).to_be_visible()
    _sign_in(page, live_server, address, FIRST_PASSWORD)
    expect(page.get_by_role("alert")).to_have_text(
        "That e-mail address and password do not match an active account.")
    _sign_in(page, live_server, address, NEW_PASSWORD)
    page.get_by_label("Code").fill(phone_code(secret))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(live_server + "/")
    page.goto(live_server + "/account/security")
    expect(page.get_by_role("cell", name="Password reset through a mailed link")).to_be_visible()
    assert_accessible(page)
    visitor.close()


def test_sign_in_form_by_keyboard_only(page, live_server, make_user):
    user = make_user(name="Keyboard User", second_factor=False)
    page.goto(live_server + "/sign-in")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "email":
            break
    else:
        pytest.fail("Tab never reached the e-mail field")
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(DEFAULT_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server + "/")
    expect(page.get_by_text("Signed in as Keyboard User.")).to_be_visible()


def test_skip_link_is_first_and_moves_focus_to_content(page, live_server):
    page.goto(live_server + "/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    # following the in-page link is asynchronous: wait for the navigation instead of reading the URL at once
    expect(page).to_have_url(re.compile(r"#main$"))
    expect(page.locator("main#main")).to_be_focused()


def test_pages_are_accessible(page, live_server, make_user, make_group, make_org):
    admin = make_user(roles=("admin",), name="Ada Admin")
    pending = make_user(status="pending", org=make_org(verified=False), name="Pending Person")
    group = make_group(users=[pending])
    for path in ("/", "/register", "/register/check-your-mailbox", "/password/forgot", "/sign-in", "/about", "/paragraphs/", "/paragraphs/14", "/no-such-page"):
        page.goto(live_server + path)
        assert_accessible(page)
    # form errors are announced and still accessible
    page.goto(live_server + "/register")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_have_count(1)
    assert_accessible(page)

    _sign_in(page, live_server, admin.email, DEFAULT_PASSWORD)
    pass_second_factor(page, admin)
    page.wait_for_url(live_server + "/")
    for path in ("/", "/account", "/account/two-factor", "/account/sessions", "/account/security", "/admin/", "/admin/organisations", "/admin/users", f"/admin/users/{pending.id}",
                 "/admin/groups", f"/admin/groups/{group.id}", "/admin/audit"):
        page.goto(live_server + path)
        expect(page.locator("h1")).not_to_have_count(0)
        assert_accessible(page)
