"""Ids beyond what the database holds (and other non-ids) answer 404 or 400, never 500 (issue 8, defect 5)."""
from __future__ import annotations

import pytest

from tests.archive_helpers import concluded_synthesis
from tests.dialogue_helpers import make_post, make_round, make_thread, make_world, send

HUGE = 2**63  # one past SQLite's INTEGER and PostgreSQL's bigint
PG_INTEGER_OVERFLOW = 2**31  # one past PostgreSQL's integer, the type of every id column


@pytest.fixture
def world(make_org, make_user):
    return make_world(make_org, make_user)


@pytest.mark.parametrize("number", [HUGE, PG_INTEGER_OVERFLOW])
def test_compare_with_a_huge_id_is_404(app, client, world, number):
    item = concluded_synthesis(app, world.facilitator)
    assert client.get(f"/archive/{item.id}/compare?with={number}").status_code == 404


@pytest.mark.parametrize("number", [HUGE, PG_INTEGER_OVERFLOW])
def test_anonymous_diff_to_a_huge_revision_is_404(app, client, world, number):
    item = concluded_synthesis(app, world.facilitator)
    assert client.get(f"/archive/{item.id}/diff?from=1&to={number}").status_code == 404
    assert client.get(f"/archive/{item.id}/diff?from={number}&to=1").status_code == 404


@pytest.mark.parametrize("name", ["to", "quote"])
@pytest.mark.parametrize("number", [HUGE, PG_INTEGER_OVERFLOW])
def test_reply_form_for_a_huge_post_is_404(app, client_for, world, name, number):
    thread = make_thread(app, world.member)
    response = client_for(world.member).get(f"/dialogue/threads/{thread.id}/reply?{name}={number}")
    assert response.status_code == 404


@pytest.mark.parametrize("field", ["parent_id", "quote_id"])
@pytest.mark.parametrize("number", [HUGE, PG_INTEGER_OVERFLOW])
def test_posting_with_a_huge_parent_or_quote_is_400_and_keeps_the_text(app, client_for, world, row_counts, field,
                                                                       number):
    thread = make_thread(app, world.member)
    client = client_for(world.member)
    before = row_counts()
    response = send(client, f"/dialogue/threads/{thread.id}/posts", {"body": "My careful reply", field: str(number)})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "My careful reply" in page and "There is no such post." in page
    assert row_counts() == before


@pytest.mark.parametrize("number", [HUGE, PG_INTEGER_OVERFLOW])
def test_moving_a_thread_to_a_huge_round_is_400(app, client_for, world, row_counts, number):
    round_ = make_round(app, world.facilitator)
    thread = make_thread(app, world.member, round_=round_)
    client = client_for(world.facilitator)
    before = row_counts()
    response = send(client, f"/moderation/threads/{thread.id}/move", {"target": str(number), "reason": "elsewhere"})
    assert response.status_code == 400
    assert "There is no round you facilitate with this number" in response.get_data(as_text=True), response.get_data(as_text=True)[-2500:]
    assert row_counts() == before


NOT_IDS = ["-1", "0", "+1", " 1", "1 ", "١٢", "1.0", "1e3", "0x1", str(HUGE), str(PG_INTEGER_OVERFLOW), "9" * 5000]


@pytest.mark.parametrize("raw", NOT_IDS)
def test_parse_id_refuses_everything_the_database_cannot_hold(raw):
    from webapp.ids import parse_id

    assert parse_id(raw) is None


@pytest.mark.parametrize("raw, expected", [("1", 1), ("42", 42), (str(2**31 - 1), 2**31 - 1)])
def test_parse_id_reads_plain_ascii_numbers(raw, expected):
    from webapp.ids import parse_id

    assert parse_id(raw) == expected


@pytest.mark.parametrize("raw", NOT_IDS + ["%20", "1%0A"])
def test_path_ids_that_are_not_ids_are_404_like_a_missing_item(app, client, world, raw):
    item = concluded_synthesis(app, world.facilitator)
    missing = client.get("/archive/999999")
    assert client.get(f"/archive/{item.id}").status_code == 200
    response = client.get(f"/archive/{raw}")
    assert response.status_code == 404, raw
    assert response.get_data() == missing.get_data()


@pytest.mark.parametrize("raw", ["-1", "+1", "١٢", "1.5", "abc"])
def test_query_ids_that_are_not_numbers_are_400_with_a_message(app, client_for, world, raw):
    thread = make_thread(app, world.member)
    response = client_for(world.member).get(f"/dialogue/threads/{thread.id}/reply", query_string={"to": raw})
    assert response.status_code == 400
    assert "A post is given by its number." in response.get_data(as_text=True)


@pytest.mark.parametrize("raw", ["-1", "+1", " 1", "١٢", "1.5", "abc", "0"])
def test_post_form_ids_that_are_not_ids_are_400_and_keep_the_text(app, client_for, world, row_counts, raw):
    thread = make_thread(app, world.member)
    first = make_post(app, world.member, thread)
    client = client_for(world.member)
    before = row_counts()
    response = send(client, f"/dialogue/threads/{thread.id}/posts", {"body": "Kept text", "parent_id": raw,
                                                                     "quote_id": str(first.id)})
    assert response.status_code == 400, raw
    assert "Kept text" in response.get_data(as_text=True)
    assert row_counts() == before


# --- the sweep: every id a request can carry, set to what no id column holds -------------------------------------

OVERSIZED = [HUGE, PG_INTEGER_OVERFLOW]  # every id column is `integer`, so 2^31 matters on PostgreSQL everywhere


@pytest.fixture
def sweep(app, make_org, make_user, make_group):
    """A signed-in admin + facilitator with confidential clearance (so no permission check hides a crash), CSRF off
    (so POSTs reach their forms), and one row of every kind the routes name, owned or facilitated by that person."""
    from datetime import timedelta

    from tests.archive_helpers import lesson_data, viewer
    from webapp.models import Tier
    from webapp.services import dialogue_rounds, submissions

    org = make_org()
    boss = make_user("confidential", roles=("admin", "facilitator"), org=org)
    group = make_group(organisations=[org], users=[boss])
    round_ = make_round(app, boss, tier=Tier.COMMUNITY)
    closed = make_round(app, boss, title="A closed round", opens_in=timedelta(hours=-2))
    with app.test_request_context():
        dialogue_rounds.close_round(viewer(boss), closed.id)
        draft = submissions.create_submission(viewer(boss), "lesson_learnt", lesson_data(tier="restricted"))
    thread = make_thread(app, boss, round_=round_)
    post = make_post(app, boss, thread)
    synthesis = concluded_synthesis(app, boss)
    client = app.test_client()
    from tests.conftest import sign_in

    sign_in(client, boss)
    app.config["WTF_CSRF_ENABLED"] = False
    ids = {"submission_id": synthesis.id, "round_id": round_.id, "thread_id": thread.id, "post_id": post.id,
           "user_id": boss.id, "organisation_id": org.id, "group_id": group.id, "number": 14,
           "notification_id": 1, "target_id": thread.id, "kind": "thread"}
    return {"client": client, "ids": ids, "draft": draft.id, "closed_round": closed.id, "synthesis": synthesis.id,
            "round": round_.id, "thread": thread.id, "post": post.id, "group": group.id}


@pytest.mark.parametrize("number", OVERSIZED)
def test_every_path_id_beyond_the_database_is_404(app, sweep, number):
    from tests.routes import urls_with_one_id

    client = sweep["client"]
    swept = list(urls_with_one_id(app, number, values=sweep["ids"]))
    assert len({endpoint for endpoint, *_ in swept}) >= 50  # the walker found the routes (not a vacuous pass)
    answers = {(endpoint, method, name): client.open(url, method=method, data={"body": "x", "reason": "x"}).status_code
               for endpoint, method, url, name in swept}
    assert {where: status for where, status in answers.items() if status != 404} == {}  # like a missing id


def test_every_id_route_uses_the_id_converter(app):
    from werkzeug.routing.converters import NumberConverter

    from tests.routes import id_arguments
    from webapp.ids import IdConverter

    for rule in app.url_map.iter_rules():
        for name in id_arguments(rule):
            converter = rule._converters[name]
            assert isinstance(converter, IdConverter) and not isinstance(converter, NumberConverter), rule.rule


REFUSED = {400, 404, 409}
IGNORED = {200}  # a preselection hint (?paragraph= on a blank form): a wrong one is dropped, the form still shown


def _query_and_form_ids(s: dict, n: int) -> list[tuple[str, str, dict, set[int]]]:
    """Every integer query-string argument and form field the views read (collected from webapp/views and forms),
    with the answers that are right for it."""
    sub, draft, rnd, closed, thr, grp = s["synthesis"], s["draft"], s["round"], s["closed_round"], s["thread"], s["group"]
    lesson = {"title": "T", "summary": "S", "tier": "restricted", "observation": "o", "discussion": "d",
              "conclusion": "c", "recommendation": "r"}
    round_form = {"title": "R", "questions": "Q?", "tier": "community", "opens_at": "2026-01-01T10:00",
                  "closes_at": "2027-01-01T10:00"}
    return [
        ("GET", f"/archive/{sub}/diff?from={n}&to=1", {}),
        ("GET", f"/archive/{sub}/diff?from=1&to={n}", {}),
        ("GET", f"/archive/{sub}/compare?with={n}", {}),
        ("GET", f"/archive/?paragraph={n}", {}),
        ("GET", f"/archive/?year={n}", {}),
        ("GET", f"/archive/?page={n}", {}),
        ("GET", f"/archive/new/lesson_learnt?paragraph={n}", {}, IGNORED),
        ("POST", "/archive/new/lesson_learnt", {**lesson, "paragraphs": "14", "sharing_group_id": str(n)}),
        ("POST", "/archive/new/lesson_learnt", {**lesson, "paragraphs": str(n)}),
        ("POST", f"/archive/{draft}/edit", {**lesson, "paragraphs": "14", "sharing_group_id": str(n)}),
        ("POST", f"/archive/{draft}/edit", {**lesson, "paragraphs": str(n)}),
        ("POST", f"/archive/{draft}/tier", {"tier": "restricted", "sharing_group_id": str(n), "confirm": "y"}),
        ("GET", f"/dialogue/threads/{thr}/reply?to={n}", {}),
        ("GET", f"/dialogue/threads/{thr}/reply?quote={n}", {}),
        ("POST", f"/dialogue/threads/{thr}/posts", {"body": "x", "parent_id": str(n)}),
        ("POST", f"/dialogue/threads/{thr}/posts", {"body": "x", "quote_id": str(n)}),
        ("GET", f"/dialogue/threads/new?paragraph={n}", {}, IGNORED),
        ("POST", "/dialogue/threads/new", {"title": "T", "body": "B", "tier": "community", "paragraphs": str(n)}),
        ("POST", "/dialogue/threads/new", {"title": "T", "body": "B", "tier": "community", "sharing_group": str(n)}),
        ("POST", "/dialogue/rounds/new", {**round_form, "paragraphs": str(n)}),
        ("POST", "/dialogue/rounds/new", {**round_form, "paragraphs": "14", "sharing_group": str(n)}),
        ("POST", "/dialogue/rounds/new", {**round_form, "paragraphs": "14", "invited_organisations": str(n)}),
        ("POST", "/dialogue/rounds/new", {**round_form, "paragraphs": "14", "facilitators": str(n)}),
        ("POST", f"/dialogue/rounds/{rnd}/edit", {**round_form, "paragraphs": "14", "sharing_group": str(n)}),
        ("POST", f"/dialogue/rounds/{rnd}/edit", {**round_form, "paragraphs": "14", "facilitators": str(n)}),
        ("POST", f"/dialogue/rounds/{closed}/conclude", {"synthesis": "S", "paragraphs": str(n)}),
        ("POST", f"/moderation/threads/{thr}/move", {"target": str(n), "reason": "x"}),
        ("POST", f"/admin/groups/{grp}/users", {"user-member": str(n)}),
        ("POST", f"/admin/groups/{grp}/organisations", {"organisation-member": str(n)}),
        ("GET", f"/admin/audit?before={n}", {}),
        ("GET", f"/admin/audit?after={n}", {}),
        ("GET", f"/search?q=oversight&round={n}", {}),
        ("GET", f"/search?q=oversight&paragraph={n}&page={n}", {}),
        ("GET", f"/api/search?q=oversight&round={n}", {}),
    ]


@pytest.mark.parametrize("number", OVERSIZED)
def test_every_query_and_form_id_beyond_the_database_is_refused_not_a_crash(app, sweep, row_counts, number):
    client = sweep["client"]
    before = row_counts()
    wrong = []
    for method, url, data, *expected in _query_and_form_ids(sweep, number):
        response = client.open(url, method=method, data=data)
        if response.status_code not in (expected or [REFUSED])[0]:
            wrong.append((method, url, {k: v for k, v in data.items() if str(number) in v}, response.status_code))
    assert not wrong  # every one answered, none with a 500
    assert row_counts() == before  # nothing was written with (or instead of) an id that cannot exist


def test_registration_with_an_organisation_id_beyond_the_database_is_400(app, client, form_token):
    for number in OVERSIZED:
        response = client.post("/register", data={
            "csrf_token": form_token(client, "/register"), "name": "Ann Example", "email": "ann@example.org",
            "organisation": str(number), "password": "orbit lantern quietly harvest",
            "confirm": "orbit lantern quietly harvest"})
        assert response.status_code == 400
        assert "Unknown organisation" in response.get_data(as_text=True)
