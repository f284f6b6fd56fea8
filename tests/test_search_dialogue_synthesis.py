"""A concluded round's outcome synthesis is found by search like any submission: by its readers only, with no
names under the Chatham House rule, and inside the round's scoped search."""
from __future__ import annotations

from tests.dialogue_helpers import make_round, viewer
from tests.search_helpers import indexer_on  # noqa: F401  (autouse)
from tests.search_helpers import search_json
from webapp.models import Tier
from webapp.services import dialogue_rounds


def _conclude(app, facilitator, round_, synthesis: str, key_points: dict | None = None) -> None:
    with app.test_request_context():
        dialogue_rounds.close_round(viewer(app, facilitator), round_.id)
        dialogue_rounds.conclude_round(viewer(app, facilitator), round_.id, synthesis_source=synthesis,
                                       key_points=key_points or {}, paragraphs=[16])


def test_a_concluded_rounds_synthesis_is_found_by_search(app, make_org, make_user, client_for):
    facilitator = make_user("restricted", roles=("facilitator",), org=make_org("state", name="Wombat Ministry"))
    reader = make_user("community")
    round_ = make_round(app, facilitator, facilitators=(facilitator,), title="Numbat round")
    _conclude(app, facilitator, round_, "Participants agreed on shared **bandicoot** test ranges.",
              {"academia": "Quokka datasets should be shared."})
    status, body = search_json(client_for(reader), "bandicoot")
    assert status == 200
    [hit] = [h for h in body["results"] if h["kind"] == "outcome_synthesis"]
    assert "Numbat round" in hit["title"] and hit["url"].startswith("/archive/")
    assert any(h["kind"] == "outcome_synthesis" for h in search_json(client_for(reader), "quokka")[1]["results"])
    scoped = search_json(client_for(reader), "bandicoot", round=str(round_.id))[1]
    assert any(h["kind"] == "outcome_synthesis" for h in scoped["results"])
    page = client_for(reader).get("/search", query_string={"q": "bandicoot"}).get_data(as_text=True)
    assert hit["url"] in page


def test_a_restricted_rounds_synthesis_is_not_found_below_its_tier(app, make_user, client_for):
    facilitator = make_user("restricted", roles=("facilitator",))
    round_ = make_round(app, facilitator, tier=Tier.RESTRICTED, facilitators=(facilitator,), title="Dingo round")
    _conclude(app, facilitator, round_, "The dingo sensor failed in dust storms.")
    assert search_json(client_for(make_user("community")), "dingo")[1]["total"] == 0
    assert search_json(client_for(None), "dingo")[1]["total"] == 0
    found = search_json(client_for(make_user("restricted")), "dingo")[1]
    assert "outcome_synthesis" in {h["kind"] for h in found["results"]}


def test_a_chatham_house_synthesis_in_search_names_no_one(app, make_org, make_user, client_for):
    facilitator = make_user("community", roles=("facilitator",), name="Felicity Convenor",
                            org=make_org("state", name="Cassowary Ministry"))
    round_ = make_round(app, facilitator, chatham_house=True, facilitators=(facilitator,), title="Emu round")
    _conclude(app, facilitator, round_, "Frank talk about emu escalation ladders.")
    reader = client_for(make_user("community"))
    body = search_json(reader, "emu")[1]
    synthesis = [h for h in body["results"] if h["kind"] == "outcome_synthesis"]
    assert synthesis and all(h["byline"] is None for h in synthesis)
    page = reader.get("/search", query_string={"q": "emu escalation"}).get_data(as_text=True)
    assert "Cassowary" not in page and "Felicity" not in page
    assert search_json(reader, "Cassowary")[1]["total"] == 0
