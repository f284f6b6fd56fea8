"""Relevance ranking, date sorting, date-range filtering and pagination, through the app."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.search_helpers import indexer_on  # noqa: F401  (autouse)
from tests.search_helpers import publish, search_json, titles


@pytest.fixture
def people(make_user):
    return {"author": make_user(clearance="restricted"),
            "reviewer": make_user(clearance="restricted", roles=("facilitator",))}


def test_relevance_puts_title_and_frequent_matches_first(app, people, client):
    publish(app, people["author"], people["reviewer"], title="Convoy planning", summary="One mention of a gannet.")
    publish(app, people["author"], people["reviewer"], title="Gannet recognition aid", summary="A sensor study.")
    publish(app, people["author"], people["reviewer"], title="Sensor drift",
            summary="A gannet, then the gannet again near the sensor mast.")
    ranked = titles(search_json(client, "gannet")[1])
    assert ranked == ["Gannet recognition aid", "Sensor drift", "Convoy planning"]  # title (counted twice) first
    assert titles(search_json(client, "gannet", sort="relevance")[1]) == ranked
    newest = titles(search_json(client, "gannet", sort="newest")[1])
    assert newest == ["Sensor drift", "Gannet recognition aid", "Convoy planning"]
    assert titles(search_json(client, "gannet", sort="oldest")[1]) == newest[::-1]


def test_pages_cover_every_hit_once(app, people, client):
    for n in range(23):
        publish(app, people["author"], people["reviewer"], title=f"Shearwater note {n:02d}", summary="shearwater")
    first = search_json(client, "shearwater")[1]
    second = search_json(client, "shearwater", page="2")[1]
    assert first["total"] == second["total"] == 23 and first["pages"] == 2
    assert len(first["results"]) == 20 and len(second["results"]) == 3
    assert len(set(titles(first)) | set(titles(second))) == 23
    html = client.get("/search", query_string={"q": "shearwater"}).get_data(as_text=True)
    assert "page=2" in html
    assert search_json(client, "shearwater", page="3")[1]["results"] == []


def test_a_date_range_keeps_the_items_published_within_it(app, people, client):
    publish(app, people["author"], people["reviewer"], title="Petrel report", summary="petrel")
    today = date.today()
    inside = {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}
    assert titles(search_json(client, "petrel", **inside)[1]) == ["Petrel report"]
    assert search_json(client, "petrel", to=(today - timedelta(days=2)).isoformat())[1]["total"] == 0
    assert search_json(client, "petrel", **{"from": (today + timedelta(days=2)).isoformat()})[1]["total"] == 0


def test_the_page_shows_facet_counts_and_the_did_you_mean_link(app, people, client):
    publish(app, people["author"], people["reviewer"], title="Cormorant drills", summary="cormorant training")
    publish(app, people["author"], people["reviewer"], kind="good_practice", title="Cormorant audits",
            summary="cormorant audits")
    html = client.get("/search", query_string={"q": "cormorant"}).get_data(as_text=True)
    facets = html[html.index('id="facets-heading"'):]
    assert "kind=lesson_learnt" in facets and "kind=good_practice" in facets and facets.count("(1)") >= 2
    html = client.get("/search", query_string={"q": "comorant"}).get_data(as_text=True)
    assert "Did you mean" in html and 'href="/search?q=cormorant"' in html


@pytest.mark.parametrize("path", ["/", "/archive/", "/dialogue/", "/paragraphs/14", "/search", "/no-such-page"])
def test_every_page_has_the_search_box(client, path):
    html = client.get(path).get_data(as_text=True)
    assert 'role="search"' in html and 'id="site-search-q"' in html and 'action="/search"' in html
