"""Search facets follow the small-cell rule (issue 11 §5, DESIGN.md rule 11): the documents of a round whose
figures by stakeholder type the rule protects for the reader (a hidden-roster or Chatham House round, the reader
no facilitator of it) are counted in no stakeholder-type or country facet; its facilitators see the exact counts,
as on the round page. (Chatham House documents carry no type or country at all: test_search_leaks.py.)"""
from __future__ import annotations

from tests.dialogue_helpers import make_post, make_round, make_thread
from tests.search_helpers import indexer_on, search_json  # noqa: F401  (the fixture applies the outbox)


def _facet(body: dict, name: str) -> dict[str, int]:
    return {value["value"]: value["count"] for value in body["facets"][name]}


def test_a_hidden_roster_round_adds_nothing_to_type_and_country_facets(app, make_user, make_org, client_for):
    facilitator = make_user("community", roles=("facilitator",), org=make_org(stakeholder_type="state", country="KR"))
    ngo = make_user("community", org=make_org(stakeholder_type="civil_society", country="KE"))
    reader = make_user("community", org=make_org(stakeholder_type="academia", country="FR"))
    hidden = make_round(app, facilitator, hidden_roster=True, facilitators=(facilitator,), title="Hidden circle")
    thread = make_thread(app, ngo, round_=hidden, title="Ocelot concerns", body="The ocelot sensor drifted.")
    make_post(app, ngo, thread, body="Ocelot follow-up.")
    open_round = make_round(app, facilitator, facilitators=(facilitator,), title="Open circle")
    make_thread(app, ngo, round_=open_round, title="Ocelot in the open", body="An ocelot in the open.")

    status, body = search_json(client_for(reader), "ocelot")
    assert status == 200 and body["total"] >= 4  # every document is found …
    assert _facet(body, "stakeholder") == {"civil_society": 2}  # … only the open round's thread and post by type
    assert _facet(body, "country") == {"KE": 2}
    within = search_json(client_for(reader), "ocelot", round=str(hidden.id))[1]
    assert within["total"] >= 2 and within["facets"]["stakeholder"] == [] and within["facets"]["country"] == []

    facilitated = search_json(client_for(facilitator), "ocelot")[1]
    assert _facet(facilitated, "stakeholder") == {"civil_society": 5}  # the facilitators see exact counts


def _filtered_answers(client, round_id: int) -> dict:
    """Every answer to a search filtered by stakeholder type or country, across the archive and within the round."""
    answers = {}
    for name, values in (("stakeholder", ("state", "civil_society", "private_sector", "academia")),
                         ("country", ("KR", "KE", "US", "FR"))):
        for value in values:
            for scope in ({}, {"round": str(round_id)}):
                status, body = search_json(client, "heron", **{name: value}, **scope)
                answers[(name, value, tuple(scope.items()))] = (
                    status, body["total"], sorted(hit["url"] for hit in body["results"]), body["facets"])
    return answers


def test_a_type_or_country_filter_never_tells_who_posted_in_a_hidden_roster(app, make_user, make_org, client_for):
    facilitator = make_user("community", roles=("facilitator",), org=make_org(stakeholder_type="state", country="KR"))
    company = make_user("community", org=make_org(stakeholder_type="private_sector", country="US"))
    reader = make_user("community", org=make_org(stakeholder_type="academia", country="FR"))
    hidden = make_round(app, facilitator, hidden_roster=True, facilitators=(facilitator,), title="Hidden circle")
    open_round = make_round(app, facilitator, facilitators=(facilitator,), title="Open circle")
    make_thread(app, company, round_=open_round, title="Heron in the open", body="A heron in the open.")
    reader_client = client_for(reader)
    before = _filtered_answers(reader_client, hidden.id)
    assert before[("stakeholder", "private_sector", ())][1] == 2  # the filter works: the open thread and its post

    thread = make_thread(app, company, round_=hidden, title="Heron concerns", body="The heron sensor drifted.")
    make_post(app, company, thread, body="Heron follow-up.")
    assert _filtered_answers(reader_client, hidden.id) == before  # neither the company's type nor its country
    status, body = search_json(reader_client, "heron", round=str(hidden.id))
    assert status == 200 and body["total"] == 3  # the thread and its posts are found, unfiltered

    # The round's facilitators, who see every name, filter exactly.
    facilitated = search_json(client_for(facilitator), "heron", stakeholder="private_sector", round=str(hidden.id))[1]
    assert facilitated["total"] == 3
    assert search_json(client_for(facilitator), "heron", country="US")[1]["total"] == 5
