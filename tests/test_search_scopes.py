"""Outcome syntheses are found like any submission (Chatham House ones name no one), and the scoped searches —
within a round (its page's box) and within a Call paragraph (its page's box) — find exactly what is in scope."""
from __future__ import annotations

import re

import pytest

from tests.dialogue_helpers import make_post, make_round, make_thread
from tests.search_helpers import indexer_on  # noqa: F401  (autouse)
from tests.search_helpers import publish, search_json, titles, viewer_of
from webapp.models import Tier
from webapp.services import dialogue_rounds


@pytest.fixture
def people(make_org, make_user):
    ministry = make_org(name="Ministry of Kingfishers", stakeholder_type="state", country="NL")
    return {
        "facilitator": make_user(clearance="restricted", roles=("facilitator",), org=ministry,
                                 name="Fenella Facilitator"),
        "author": make_user(clearance="restricted", org=ministry),
        "reader": make_user(clearance="community"),
    }


def _conclude(app, people, *, tier=Tier.COMMUNITY, chatham_house=False, title="Kingfisher round",
              synthesis="Kingfisher outcome: human oversight needs **training**."):
    facilitator = people["facilitator"]
    round_ = make_round(app, facilitator, tier=tier, chatham_house=chatham_house, facilitators=(facilitator,),
                        title=title)
    with app.test_request_context():
        dialogue_rounds.close_round(viewer_of(app, facilitator), round_.id)
        dialogue_rounds.conclude_round(viewer_of(app, facilitator), round_.id, synthesis_source=synthesis,
                                       key_points={"state": "Train operators."}, paragraphs=[16])
    return round_


def _syntheses(body: dict) -> list[dict]:
    return [hit for hit in body["results"] if hit["kind"] == "outcome_synthesis"]


def test_an_outcome_synthesis_is_found_like_any_submission(app, people, client_for):
    _conclude(app, people)
    reader = client_for(people["reader"])
    status, body = search_json(reader, "kingfisher outcome")
    [hit] = _syntheses(body)
    assert status == 200 and "Kingfisher round" in hit["title"] and re.fullmatch(r"/archive/\d+", hit["url"])
    assert "<mark>" in hit["snippet_html"] and hit["byline"] == "Ministry of Kingfishers"
    assert {v["value"]: v["count"] for v in body["facets"]["kind"]}["outcome_synthesis"] == 1
    filtered = search_json(reader, "training", kind="outcome_synthesis")[1]
    assert [h["kind"] for h in filtered["results"]] == ["outcome_synthesis"]
    assert search_json(reader, "training", paragraph="16", kind="outcome_synthesis")[1]["total"] == 1
    assert search_json(reader, "operators", kind="outcome_synthesis")[1]["total"] == 1  # key points are indexed


def test_a_synthesis_of_a_higher_tier_round_is_not_found_below_it(app, people, client_for):
    _conclude(app, people, tier=Tier.RESTRICTED, title="Vault round")
    body = search_json(client_for(people["reader"]), "kingfisher")[1]
    assert body["total"] == 0 and body["suggestion"] is None and body["facets"]["kind"] == []
    assert len(_syntheses(search_json(client_for(people["author"]), "kingfisher")[1])) == 1


def test_a_chatham_house_synthesis_names_no_one_in_results_snippets_or_json(app, people, client_for):
    round_ = _conclude(app, people, chatham_house=True)
    for user in (people["reader"], people["author"], people["facilitator"]):
        client = client_for(user)
        client.get("/")  # consume the "Signed in as …" message
        response = client.get("/api/search", query_string={"q": "kingfisher"})
        body = response.get_json()
        [hit] = _syntheses(body)
        assert hit["byline"] is None
        raw = response.get_data(as_text=True)
        assert "Fenella" not in raw and "Ministry of Kingfishers" not in raw
        assert body["facets"]["stakeholder"] == [] and body["facets"]["country"] == []
        page = client.get("/search", query_string={"q": "kingfisher"}).get_data(as_text=True)
        page = page[page.index("<main"):page.index("</main>")]  # the header names the signed-in person
        assert "Kingfisher round" in page and "Fenella" not in page and "Ministry of Kingfishers" not in page
        assert search_json(client, "Fenella")[1]["total"] == 0  # the author's name is not searchable
        assert search_json(client, "kingfisher", stakeholder="state")[1]["total"] == 0
    assert round_.chatham_house


def test_the_round_page_offers_a_search_within_the_round(app, people, client_for):
    round_ = make_round(app, people["facilitator"], facilitators=(people["facilitator"],), title="Heron round")
    other = make_round(app, people["facilitator"], facilitators=(people["facilitator"],), title="Egret round")
    inside = make_thread(app, people["author"], round_=round_, title="Heron sightings", body="marsh sensor heron")
    make_post(app, people["author"], inside, body="another marsh sensor note")
    outside = make_thread(app, people["author"], round_=other, title="Egret sightings", body="marsh sensor egret")
    make_post(app, people["author"], outside, body="a marsh sensor elsewhere")
    publish(app, people["author"], people["facilitator"], title="Marsh sensor lesson", summary="marsh sensor")
    reader = client_for(people["reader"])

    html = reader.get(f"/dialogue/rounds/{round_.id}").get_data(as_text=True)
    form = re.search(r'<form[^>]*action="/search"[^>]*>.*?</form>', html[html.index("round-search-heading"):], re.S)
    assert form and f'name="round" value="{round_.id}"' in form.group(0) and 'name="q"' in form.group(0)
    assert 'for="round-search-q"' in form.group(0)  # the box is labelled

    everywhere = search_json(reader, "marsh sensor")[1]
    scoped = search_json(reader, "marsh sensor", round=str(round_.id))[1]
    assert everywhere["total"] == 5
    assert scoped["total"] == 2 and {hit["kind"] for hit in scoped["results"]} == {"post"}
    assert all(hit["context"] == "Heron round" for hit in scoped["results"])
    page = reader.get("/search", query_string={"q": "marsh sensor", "round": str(round_.id)})
    assert page.status_code == 200 and "Egret" not in page.get_data(as_text=True)


def test_a_round_scope_the_reader_may_not_see_is_just_empty(app, people, client_for):
    vault = make_round(app, people["facilitator"], tier=Tier.RESTRICTED, facilitators=(people["facilitator"],),
                       title="Vault")
    make_thread(app, people["author"], round_=vault, title="Bittern", body="bittern note")
    assert search_json(client_for(people["author"]), "bittern", round=str(vault.id))[1]["total"] == 2
    status, body = search_json(client_for(people["reader"]), "bittern", round=str(vault.id))
    missing = search_json(client_for(people["reader"]), "bittern", round="999999")[1]
    assert status == 200 and body == {**missing, "filters": body["filters"]}  # same as a round that does not exist


def test_the_paragraph_page_offers_a_search_within_the_paragraph(app, people, client_for):
    publish(app, people["author"], people["facilitator"], title="Procurement clauses", paragraphs=[23],
            summary="lapwing clauses")
    publish(app, people["author"], people["facilitator"], title="Training drills", paragraphs=[14],
            summary="lapwing drills")
    reader = client_for(people["reader"])
    html = reader.get("/paragraphs/23").get_data(as_text=True)
    form = re.search(r'<form[^>]*action="/search"[^>]*>.*?</form>', html[html.index("paragraph-search-heading"):], re.S)
    assert form and 'name="paragraph" value="23"' in form.group(0) and 'for="paragraph-search-q"' in form.group(0)
    assert titles(search_json(reader, "lapwing", paragraph="23")[1]) == ["Procurement clauses"]
    assert search_json(reader, "lapwing")[1]["total"] == 2
