"""A filter by stakeholder type or country is counted in the backend's one statement like any other (PostgreSQL:
reading.counted_page_statement), the rounds the small-cell rule protects for the reader left out there; its
totals, facets and pages are exactly those of the service's own count over matching() (the generic path, which
finds the protected rounds among its candidates' rounds), for every viewer — a round's facilitators included, a
reader who may not read a hidden round but may read its synthesis too. On Whoosh both runs are the generic path;
the expectations written out below hold on every backend."""
from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from tests.dialogue_helpers import make_post, make_round, make_thread, viewer
from tests.search_helpers import indexer_on  # noqa: F401  (autouse)
from webapp import db as dbmod
from webapp import policy
from webapp.models import Tier, User
from webapp.search import service
from webapp.search.postgres import reading
from webapp.search.postgres.backend import PostgresSnapshot
from webapp.search.query import Filters, SearchRequest
from webapp.services.outcome_synthesis import publish_outcome_synthesis

TODAY = date.today()
FILTERS = [
    Filters(),  # unfiltered: the counted path already; the facets' rule as before
    Filters(stakeholder="civil_society"),
    Filters(stakeholder="private_sector"),
    Filters(stakeholder="state"),
    Filters(country="KE"),
    Filters(country="US"),
    Filters(country="DE"),
    Filters(stakeholder="private_sector", country="US"),
    Filters(stakeholder="civil_society", country="US"),  # no one: an empty page, empty facets
    Filters(stakeholder="private_sector", kinds=("post",)),
    Filters(country="KE", paragraph=16),
    Filters(stakeholder="civil_society", date_from=TODAY, date_to=TODAY),
    Filters(kinds=("thread", "post")),
]
ROUND_SCOPED = ("hidden", "open", "restricted_hidden")  # SCOPED_FILTERS again within each of these rounds
SCOPED_FILTERS = [Filters(), Filters(stakeholder="private_sector"), Filters(country="KE"),
                  Filters(stakeholder="private_sector", country="US", kinds=("post",))]
PAGES = [("relevance", 1), ("newest", 2), ("oldest", 1)]
PER_PAGE = 2  # so the figures of the whole set and the page's rows are told apart


@pytest.fixture
def world(app, make_user, make_org):
    """An open, a hidden-roster, a Chatham House round, a restricted hidden-roster round whose public synthesis a
    community reader may read (but not the round), and a standalone thread, each with "heron" documents by
    people of several stakeholder types and countries."""
    state = make_org("state", "KR")
    ngo_org = make_org("civil_society", "KE")
    company_org = make_org("private_sector", "US")
    industry = make_org("private_sector", "DE")
    people = SimpleNamespace(
        facilitator=make_user("confidential", roles=("facilitator",), org=state),
        other_facilitator=make_user("restricted", roles=("facilitator",), org=industry),
        ngo=make_user("restricted", org=ngo_org),
        company=make_user("restricted", org=company_org),
        reader=make_user("community", org=make_org("academia", "FR")),
    )
    facilitated = (people.facilitator,)
    rounds = SimpleNamespace(
        open=make_round(app, people.facilitator, tier=Tier.PUBLIC, facilitators=facilitated, title="Open circle"),
        hidden=make_round(app, people.facilitator, tier=Tier.PUBLIC, hidden_roster=True, facilitators=facilitated,
                          title="Hidden circle"),
        chatham=make_round(app, people.facilitator, chatham_house=True, facilitators=facilitated,
                           title="Chatham circle"),
        restricted_hidden=make_round(app, people.other_facilitator, tier=Tier.RESTRICTED, hidden_roster=True,
                                     facilitators=(people.other_facilitator,), title="Restricted hidden circle"),
    )
    for name in ("open", "hidden", "chatham", "restricted_hidden"):
        round_ = getattr(rounds, name)
        for author in (people.ngo, people.company):
            thread = make_thread(app, author, round_=round_, title=f"Heron notes {name}", body="A heron was seen.")
            make_post(app, author, thread, body="Another heron report.")
    make_thread(app, people.ngo, title="Heron standalone", body="A heron outside any round.", paragraphs=(16,))
    with app.test_request_context():
        publish_outcome_synthesis(
            viewer(app, people.other_facilitator), round_id=rounds.restricted_hidden.id, title="Heron outcome",
            summary="What the heron round found.", body_source="The heron findings.", key_points={},
            paragraphs=[16], tier=Tier.PUBLIC, sharing_group_id=None, chatham_house=False)
    return SimpleNamespace(people=people, rounds=rounds)


def _viewers(world) -> dict:
    people = world.people
    return {"anonymous": None, "reader": people.reader, "participant": people.company,
            "facilitator": people.facilitator, "other_facilitator": people.other_facilitator}


def _requests(world) -> list[SearchRequest]:
    scoped = [Filters(**{**vars(filters), "round_id": getattr(world.rounds, name).id})
              for name in ROUND_SCOPED for filters in SCOPED_FILTERS]
    return [SearchRequest("heron", filters, sort, page, PER_PAGE)
            for filters in FILTERS + scoped for sort, page in PAGES]


def _answers(app, users: dict, requests: list[SearchRequest]) -> dict:
    """Every viewer's whole answer (total, pages, facets, suggestion, hits with snippets) to every request."""
    answers = {}
    for name, user in users.items():
        with app.test_request_context():
            db = dbmod.session()
            reader = policy.viewer_for(db.get(User, user.id) if user is not None else None, db)
            for request in requests:
                answers[name, request] = service.to_json(service.search(db, reader, request))
    return answers


@pytest.fixture
def counted_here(monkeypatch) -> list:
    """The requests the service counted itself (the generic path)."""
    calls = []
    real = service._count_here

    def spy(snap, run, parsed, request, first):
        calls.append(request)
        return real(snap, run, parsed, request, first)

    monkeypatch.setattr(service, "_count_here", spy)
    return calls


def test_filtered_searches_give_what_the_generic_path_gives(app, world, search_backend, counted_here, monkeypatch):
    users, requests = _viewers(world), _requests(world)
    counted = _answers(app, users, requests)
    if search_backend == "postgres":
        assert counted_here == []  # every search, filtered by type or country or not, in the one statement
    monkeypatch.setattr(PostgresSnapshot, "counted_page", lambda self, *args, **kwargs: None)
    generic = _answers(app, users, requests)
    assert len(counted_here) == len(users) * len(requests) * (1 if search_backend == "postgres" else 2)
    mismatched = [key for key in counted if counted[key] != generic[key]]
    assert mismatched == [] and counted == generic


def _whole(app, user, filters: Filters) -> dict:
    with app.test_request_context():
        db = dbmod.session()
        reader = policy.viewer_for(db.get(User, user.id) if user is not None else None, db)
        return service.to_json(service.search(db, reader, SearchRequest("heron", filters, per_page=50)))


def _where(body: dict) -> list[str]:
    """Where each hit comes from: its round's title, "synthesis", or "standalone"."""
    return sorted(hit["context"] or ("synthesis" if hit["kind"] == "outcome_synthesis" else "standalone")
                  for hit in body["results"])


def _facet(body: dict, name: str) -> dict[str, int]:
    return {value["value"]: value["count"] for value in body["facets"][name]}


def test_a_type_filter_leaves_out_exactly_the_rounds_protected_for_the_viewer(app, world):
    people, private = world.people, Filters(stakeholder="private_sector")
    # Each round's company thread is two documents (the thread and its first post) and a reply; the Chatham House
    # round's carry no type at all.
    assert _where(_whole(app, people.reader, private)) == ["Open circle"] * 3  # not the hidden round, nor the
    # synthesis of the restricted hidden round (which the reader may read, found unfiltered below)
    assert _where(_whole(app, people.facilitator, private)) == ["Hidden circle"] * 3 + ["Open circle"] * 3
    assert _where(_whole(app, people.other_facilitator, private)) == (
        ["Open circle"] * 3 + ["Restricted hidden circle"] * 3 + ["synthesis"])
    assert _whole(app, people.reader, Filters(country="DE"))["total"] == 0  # only the synthesis is from DE

    unfiltered = _whole(app, people.reader, Filters())
    assert "synthesis" in _where(unfiltered) and "Hidden circle" in _where(unfiltered)
    assert _facet(unfiltered, "stakeholder") == {"civil_society": 5, "private_sector": 3}  # open round, standalone
    assert _facet(unfiltered, "country") == {"KE": 5, "US": 3}
    assert _facet(_whole(app, people.reader, private), "stakeholder") == {"private_sector": 3}


@pytest.mark.search_backends("postgres")
def test_a_filtered_search_on_postgres_is_the_one_counted_statement(app, world, counted_here, monkeypatch):
    statements, matched = [], []
    real_statement = reading.counted_page_statement

    def statement_spy(*args):
        statements.append(args[-1])  # the excluded rounds
        return real_statement(*args)

    real_matching = PostgresSnapshot.matching
    monkeypatch.setattr(reading, "counted_page_statement", statement_spy)
    monkeypatch.setattr(PostgresSnapshot, "matching",
                        lambda self, *args: matched.append(args) or real_matching(self, *args))
    rounds = world.rounds
    body = _whole(app, world.people.reader, Filters(stakeholder="private_sector", country="US"))
    assert body["total"] == 3
    # One statement counted, faceted and paged it, the protected rounds (the two hidden-roster ones and the
    # Chatham House one, whose facilitators the reader is not) left out in it; nothing was matched for the service.
    assert statements == [frozenset({rounds.hidden.id, rounds.chatham.id, rounds.restricted_hidden.id})]
    assert matched == [] and counted_here == []

    statements.clear()
    facilitated = _whole(app, world.people.facilitator, Filters(country="US", round_id=rounds.hidden.id))
    assert facilitated["total"] == 3 and statements == [frozenset()]  # its own round: nothing to leave out
    assert matched == [] and counted_here == []
