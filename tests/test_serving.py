"""`make run`-style serving: migrate, seed, gunicorn on a free loopback port; the first admin can sign in."""
from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request

import pytest

from tests.serving import served

pytestmark = pytest.mark.slow


def test_gunicorn_serves_the_seeded_site(tmp_path):
    with served(tmp_path / "instance") as (base, email, password):
        home = urllib.request.urlopen(base + "/", timeout=10)
        assert home.status == 200 and "Featured commitments of the Call" in home.read().decode()
        sign_in = urllib.request.urlopen(base + "/sign-in", timeout=10)
        page = sign_in.read().decode()
        assert sign_in.status == 200 and 'name="csrf_token"' in page

        # a plain cookie-keeping client (like a browser over http://127.0.0.1) signs in and stays signed in,
        # whichever of the two workers answers
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        form = opener.open(base + "/sign-in", timeout=10).read().decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        body = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token}).encode()
        response = opener.open(base + "/sign-in", data=body, timeout=10)
        assert response.url == base + "/"
        cookie = next(c for c in jar if c.name == "reaim_session")
        assert not cookie.secure and cookie.has_nonstandard_attr("HttpOnly")
        for _ in range(4):
            account = opener.open(base + "/account", timeout=10)
            assert account.url == base + "/account" and "Platform administrator" in account.read().decode()
    assert (tmp_path / "instance" / "secret_key").exists()
    assert (tmp_path / "instance" / "reaim.sqlite3").exists()
