"""Chromium keeps the session cookie of a `make run` site on http://127.0.0.1 (SESSION_COOKIE_SECURE=0 there)."""
from __future__ import annotations

import pyotp
import pytest
from playwright.sync_api import expect

from tests.serving import served

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_chromium_signs_in_over_plain_http_on_loopback(page, tmp_path):
    with served(tmp_path / "instance") as (base, email, password):
        page.goto(base + "/sign-in")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(base + "/")
        expect(page.get_by_text("Signed in as Platform administrator.")).to_be_visible()
        cookies = {c["name"]: c for c in page.context.cookies()}
        assert cookies["reaim_session"]["httpOnly"] and cookies["reaim_session"]["sameSite"] == "Lax"
        # the first admin enrols a second factor before administration opens (DESIGN §3.12)
        page.get_by_role("link", name="Set up two-factor sign-in").click()
        page.get_by_role("button", name="Set up two-factor sign-in").click()
        secret = page.locator("code.totp-key").inner_text().strip()
        page.get_by_label("Current password").fill(password)
        page.get_by_label("6-digit code from the app").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Turn on two-factor sign-in").click()
        expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
        page.goto(base + "/admin/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Administration")
