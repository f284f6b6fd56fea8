"""The Call's paragraphs: index, one page each, featured ones on the home page, listing through providers."""
from __future__ import annotations

import re

import pytest

from webapp import paragraph_listing
from webapp.paragraph_listing import ParagraphSection
from webapp.policy import ANONYMOUS


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_index_lists_all_25_with_featured_marked(client):
    page = _text(client.get("/paragraphs/"))
    numbers = [int(n) for n in re.findall(r'<li value="(\d+)"', page)]
    assert numbers == list(range(1, 26))
    featured = [int(n) for n in re.findall(r'<li value="(\d+)" class="featured"', page)]
    assert featured == [14, 16, 23, 24]
    assert page.count('<span class="badge">Featured</span>') == 4


def test_home_page_shows_the_featured_paragraphs(client):
    page = _text(client.get("/"))
    for number in (14, 16, 23, 24):
        assert f'href="/paragraphs/{number}"' in page
    assert 'href="/paragraphs/15"' not in page


@pytest.mark.parametrize("number", [1, 14, 25])
def test_paragraph_page(client, number):
    response = client.get(f"/paragraphs/{number}")
    assert response.status_code == 200
    page = _text(response)
    assert f"Paragraph {number}" in page
    assert "Nothing you can read has been shared under this paragraph yet." in page
    assert (f'href="/paragraphs/{number - 1}"' in page) == (number > 1)
    assert (f'href="/paragraphs/{number + 1}"' in page) == (number < 25)


@pytest.mark.parametrize("path", ["/paragraphs/0", "/paragraphs/26", "/paragraphs/abc", "/paragraphs/-1",
                                  "/paragraphs/14.0", "/paragraphs/999999999999999999999"])
def test_paragraphs_out_of_range_are_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "There is nothing at this address." in _text(response)


def test_sections_come_from_providers_with_the_viewer(app, make_user, client_for, monkeypatch):
    seen = []

    def provider(db, viewer, number):
        seen.append((viewer, number))
        return ParagraphSection(key="probe", title="Probe", template="macros/ui.html", items=[], total=0)

    monkeypatch.setitem(paragraph_listing._PROVIDERS, "probe", provider)
    app.test_client().get("/paragraphs/16")
    user = make_user()
    client_for(user).get("/paragraphs/23")
    assert seen[0] == (ANONYMOUS, 16)
    assert seen[1][0].user_id == user.id and seen[1][0].is_verified and seen[1][1] == 23
