"""Bad input to the search: a clear message with a 400, or a sensible empty result — never a 500."""
from __future__ import annotations

import pytest

from tests.search_helpers import publish, search_json, titles
from tests.search_helpers import indexer_on  # noqa: F401  (autouse)


@pytest.fixture
def indexed(app, make_user):
    author = make_user(clearance="restricted")
    reviewer = make_user(clearance="restricted", roles=("facilitator",))
    for n in range(3):
        publish(app, author, reviewer, title=f"Human oversight lesson {n}",
                summary="Operators kept human judgement over autonomous targeting support.")
    return author


REFUSED = {
    "": "Enter one or more words",
    "   ": "Enter one or more words",
    '"human oversight': "quotation mark",
    'human "oversight" "': "quotation mark",
    "(human oversight": "parenthesis",
    "human) oversight": "parenthesis",
    "((((((((((human))))))))))": "nested",
    "x" * 10_000: "limited to 500",
    "a" * 501: "limited to 500",
    " ".join(f"w{n}" for n in range(60)): "Too many words",
    " ".join(["oversight"] * 3000): "limited to 500",
    " ".join(["a"] * 250): "Too many words",  # thousands of terms cannot fit; as many as fit are refused
    " OR ".join(f"w{n}" for n in range(41)): "Too many words",
    "*": "alone",
    "***": "alone",
    "*tion": "end a word",
    "over*sight": "end a word",
    "ov*": "three letters",
    "overs?ght": "not supported",
    '"human oversi*"': "inside a phrase",
    "AND OR NOT": "Enter one or more words",
    "( )": "Enter one or more words",
    "the": "very common words",
}


@pytest.mark.parametrize("q", list(REFUSED), ids=[f"q{n}" for n in range(len(REFUSED))])
def test_malformed_queries_get_400_with_a_clear_message(indexed, client, q):
    status, body = search_json(client, q)
    assert status == 400, body
    assert REFUSED[q] in body["message"]
    page = client.get("/search", query_string={"q": q})
    assert page.status_code == 400
    assert REFUSED[q] in page.get_data(as_text=True).replace("&#34;", '"').replace("&#39;", "'")


def test_refused_input_never_reaches_the_index(indexed, client, monkeypatch):
    """Refusals are decided from the text alone, before any engine work: nothing bad input sends can keep a
    worker busy. (The one refusal that needs the analyzer, "only very common words", parses but never searches.)"""
    from webapp.search import service

    def never(*_args, **_kwargs):
        raise AssertionError("a refused search reached the engine")

    monkeypatch.setattr(service, "search", never)
    refused_args = [{"q": q} for q in REFUSED if q != "the"] + [
        {"q": "oversight", "page": "0"}, {"q": "oversight", "page": str(10**9)}, {"q": "oversight", "kind": "bogus"},
        {"q": "oversight", "country": "XX"}, {"q": "oversight", "from": "yesterday"},
    ]
    for args in refused_args:
        assert client.get("/api/search", query_string=args).status_code == 400, args
        assert client.get("/search", query_string=args).status_code == 400, args
    assert client.get("/api/search?q=%FF%FE").status_code == 400


@pytest.mark.parametrize("q", [
    '"' + " ".join(f"w{n}" for n in range(100)) + '"',  # one phrase of 100 words
    " OR ".join(f"ove{chr(97 + n % 26)}{n}*" for n in range(40)),  # 40 prefix expansions
    "(" * 8 + "human" + ")" * 8,
    "over* AND NOT (human OR judgement*) " * 4,
])
def test_heavy_but_valid_queries_are_answered(indexed, client, q):
    status, body = search_json(client, q)
    assert status == 200 and isinstance(body["total"], int)


def test_missing_q_shows_the_form_and_the_api_asks_for_words(indexed, client):
    page = client.get("/search")
    assert page.status_code == 200 and 'name="q"' in page.get_data(as_text=True)
    response = client.get("/api/search")
    assert response.status_code == 400 and "Enter one or more words" in response.get_json()["message"]


@pytest.mark.parametrize("q", ["tier:confidential", "nosuchfield:oversight", "title:oversight", "tier:3 OR group:1"])
def test_field_names_are_plain_words_not_errors(indexed, client, q):
    status, body = search_json(client, q)
    assert status == 200 and body["total"] == 0  # "tier", "nosuchfield", "title", "group" are in no document


def test_a_field_like_query_matches_its_words_anywhere(indexed, client):
    assert search_json(client, "oversight:human")[1]["total"] == 3
    assert search_json(client, "judgement:operators")[1]["total"] == 3


def test_trailing_wildcards_phrases_and_operators_work(indexed, client):
    assert search_json(client, "autonom*")[1]["total"] == 3
    assert search_json(client, '"human judgement"')[1]["total"] == 3
    assert search_json(client, '"judgement human"')[1]["total"] == 0
    assert search_json(client, "oversight AND NOT judgement")[1]["total"] == 0
    assert search_json(client, "(zebra OR oversight) AND lesson")[1]["total"] == 3
    assert search_json(client, "overseeing")[1]["total"] == 0  # stems differ; no false friends
    assert search_json(client, "judgements")[1]["total"] == 3  # stemming


@pytest.mark.parametrize(
    "args, message",
    [
        ({"kind": "bogus"}, "Unknown kind"),
        ({"kind": "lesson_learnt,bogus"}, "Unknown kind"),
        ({"paragraph": "0"}, "paragraph"),
        ({"paragraph": "26"}, "paragraph"),
        ({"paragraph": "x"}, "paragraph"),
        ({"stakeholder": "aliens"}, "stakeholder"),
        ({"stage": "teleportation"}, "lifecycle stage"),
        ({"country": "ZZ"}, "country"),
        ({"country": "Netherlands"}, "country"),
        ({"from": "yesterday"}, "start date"),
        ({"to": "2025-13-45"}, "end date"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "start date is after"),
        ({"sort": "random"}, "Sort by"),
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": str(10**9)}, "page"),
        ({"page": "1e3"}, "page"),
        ({"round": "abc"}, "round"),
    ],
)
def test_unknown_filter_values_get_400(indexed, client, args, message):
    status, body = search_json(client, "oversight", **args)
    assert status == 400, body
    assert message.lower() in body["message"].lower()


def test_page_past_the_end_is_a_sensible_empty_page(indexed, client):
    status, body = search_json(client, "oversight", page="50")
    assert status == 200 and body["results"] == [] and body["total"] == 3
    page = client.get("/search", query_string={"q": "oversight", "page": "50"})
    assert page.status_code == 200 and "Go to the first page" in page.get_data(as_text=True)


def test_non_utf8_bytes_get_400(indexed, client):
    for raw in (b"/api/search?q=%FF%FEover", b"/api/search?q=oversight&country=%C0%AF"):
        response = client.get(raw.decode("ascii"))
        assert response.status_code == 400
        assert "UTF-8" in response.get_json()["message"]
    assert client.get("/search?q=%FF").status_code == 400


def test_control_characters_are_cleaned(indexed, client):
    status, body = search_json(client, "over\x00sight\x07 human")
    assert status == 200


def test_filters_and_facets_work_together(app, indexed, make_user, make_org, client):
    reviewer = make_user(clearance="restricted", roles=("facilitator",))
    company = make_user(clearance="restricted", org=make_org(stakeholder_type="private_sector", country="DE"))
    publish(app, company, reviewer, kind="good_practice", title="Oversight in procurement", paragraphs=[23],
            summary="human oversight clauses")
    body = search_json(client, "oversight")[1]
    facets = {name: {v["value"]: v["count"] for v in values} for name, values in body["facets"].items()}
    assert facets["kind"] == {"lesson_learnt": 3, "good_practice": 1}
    assert facets["stakeholder"] == {"state": 3, "private_sector": 1}
    assert facets["country"] == {"NL": 3, "DE": 1}
    assert facets["paragraph"]["23"] == 1 and facets["paragraph"]["14"] == 3
    assert titles(search_json(client, "oversight", country="de")[1]) == ["Oversight in procurement"]
    assert search_json(client, "oversight", stakeholder="state", stage="test_evaluation")[1]["total"] == 3
    assert search_json(client, "oversight", paragraph="23", kind="good_practice")[1]["total"] == 1
    assert search_json(client, "oversight", **{"from": "2000-01-01", "to": "2000-12-31"})[1]["total"] == 0
    newest = titles(search_json(client, "oversight", sort="newest")[1])
    assert newest[0] == "Oversight in procurement" and titles(search_json(client, "oversight", sort="oldest")[1])[-1] == newest[0]


@pytest.mark.parametrize("q", ["o'brien", "human\\ oversight", "human:* oversight", "human & !oversight",
                               "human | oversight", "human <-> oversight", "'human'", "human:A", "huma\\n*"])
def test_engine_syntax_in_a_query_is_plain_text(indexed, client, q):
    """Neither Whoosh's nor PostgreSQL's tsquery syntax can be written into a query: it is read as words."""
    status, body = search_json(client, q)
    assert status == 200 and body["total"] in (0, 3), body
