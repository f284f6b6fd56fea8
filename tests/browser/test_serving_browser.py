"""Chromium keeps the session cookie of a `make run` site on http://127.0.0.1 (SESSION_COOKIE_SECURE=0 there)."""
from __future__ import annotations

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
        assert "Signed in as Platform administrator." in page.content()
        cookies = {c["name"]: c for c in page.context.cookies()}
        assert cookies["reaim_session"]["httpOnly"] and cookies["reaim_session"]["sameSite"] == "Lax"
        page.goto(base + "/admin/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Administration")
