"""Way-finding: the main navigation and the links that lead each kind of user to where they start."""
from __future__ import annotations

import re


def test_home_page_marks_no_navigation_entry_as_current(client):
    body = client.get("/").get_data(as_text=True)
    nav = re.search(r'<nav class="wrap main-nav".*?</nav>', body, re.S).group(0)
    assert "aria-current" not in nav


def test_about_page_is_marked_current(client):
    body = client.get("/about").get_data(as_text=True)
    assert re.search(r'href="/about" aria-current="page"', body)
