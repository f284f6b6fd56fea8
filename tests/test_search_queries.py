"""Search's SQL stays bounded (no N+1), and scoped searches are offered on paragraph pages and the header."""
from __future__ import annotations

from tests.dialogue_helpers import make_post, make_round, make_thread
from tests.search_helpers import indexer_on  # noqa: F401  (autouse)
from tests.search_helpers import publish, search_json


def _statements(client, query_counter, path: str, **args) -> int:
    query_counter.reset()
    response = client.get(path, query_string=args)
    assert response.status_code == 200
    return query_counter.value


def test_sql_statements_do_not_grow_with_the_number_of_hits(app, make_user, client_for, query_counter):
    author = make_user(clearance="restricted")
    reviewer = make_user(clearance="restricted", roles=("facilitator",))
    reader = client_for(author)
    round_ = make_round(app, reviewer, facilitators=(reviewer,), title="Quagga round")
    thread = make_thread(app, author, round_=round_, title="Quagga thread", body="quagga first")
    for n in range(2):
        publish(app, author, reviewer, title=f"Quagga lesson {n}", summary="quagga")
        make_post(app, author, thread, body=f"quagga reply {n}")
    few = _statements(reader, query_counter, "/search", q="quagga")
    few_api = _statements(reader, query_counter, "/api/search", q="quagga")
    for n in range(12):
        publish(app, author, reviewer, title=f"More quagga {n}", summary="quagga")
        make_post(app, author, thread, body=f"quagga more {n}")
    assert search_json(reader, "quagga")[1]["total"] > 20
    assert _statements(reader, query_counter, "/search", q="quagga") <= few
    assert _statements(reader, query_counter, "/api/search", q="quagga") <= few_api


def test_paragraph_pages_offer_a_search_within_the_paragraph(app, client):
    html = client.get("/paragraphs/14").get_data(as_text=True)
    assert 'action="/search"' in html and 'name="paragraph" value="14"' in html


def test_every_page_has_the_header_search_box_and_a_nav_entry(client):
    html = client.get("/").get_data(as_text=True)
    assert 'role="search"' in html and 'id="site-search-q"' in html
    assert '<a href="/search"' in html
