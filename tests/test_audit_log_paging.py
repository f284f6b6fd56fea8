"""Keyset paging of the admin audit log (queries_audit.audit_page): Older and Newer links carry an event id
(?before=, ?after=); walking them shows every listed row exactly once, in order, in pages of 50; rows the policy
leaves out (tear lines, Chatham House actors asked for by person) change neither a page, nor its size, nor its
links; a cursor is a position, so one at a hidden or missing row tells nothing; a deep page costs what the first
does."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from tests.conftest import without_csrf
from tests.search_helpers import publish
from tests.test_audit_log_leaks import _plant, cast  # noqa: F401  (cast is a fixture)
from webapp.db import session, unit_of_work
from webapp.ids import MAX_ID
from webapp.models import AuditEvent
from webapp.queries_audit import MIN_SCAN
from webapp.services.audit import record

PER_PAGE = 50


def _hidden(n: int) -> bool:
    """Which filler rows a community admin may not see: a run longer than two scanning batches, and scattered ones."""
    return 40 <= n < 40 + 3 * MIN_SCAN or n % 7 == 3


@pytest.fixture
def log(app, make_org, make_user):
    """A community lesson read 280 times, at community (listed to a community admin) or at restricted (not listed to
    her: a read above her level of an item she reads); rows are (seq, id, hidden), oldest first."""
    org = make_org(name="Home Ministry")
    people = {
        "author": make_user("confidential", org=org, name="Aurelio Author"),
        "reviewer": make_user("confidential", roles=("facilitator",), org=org, name="Renata Reviewer"),
        "reader": make_user("restricted", org=org, name="Rupert Reader"),
        "low_admin": make_user("community", roles=("admin",), org=org, name="Lowena Admin"),
        "cleared_admin": make_user("restricted", roles=("admin",), org=org, name="Clement Admin"),
    }
    item = publish(app, people["author"], people["reviewer"], tier="community", title="Oversight drills")
    _reads(app, people["reader"], item.id, range(280), _hidden)
    return {**people, "item": item}


def _reads(app, reader, item_id: int, seqs, hidden) -> None:
    with app.test_request_context(), unit_of_work() as db:
        for n in seqs:
            record(db, reader.id, "submission.read", "submission", item_id, seq=n,
                   tier="restricted" if hidden(n) else "community")


def _rows_of(app, item_id: int) -> list[tuple[int, int, bool]]:
    with app.app_context():
        events = session().scalars(select(AuditEvent).where(
            AuditEvent.action == "submission.read", AuditEvent.object_id == item_id).order_by(AuditEvent.id))
        return [(e.details["seq"], e.id, e.details["tier"] == "restricted") for e in events]


def _table(page: str) -> str:
    return page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def _seqs(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'"seq": (\d+)', _table(page))]


def _link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', page)
    return html.unescape(found.group(1)) if found else None


def _reader(client_for, user):
    """A client signed in as `user` that has shown its "signed in" message (so that two looks at a page compare)."""
    client = client_for(user)
    client.get("/admin/audit")
    return client


def _get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    # Without the page's own address (the language switch returns to it): pages compare by what they show.
    return re.sub(r'name="next" value="[^"]*"', 'name="next" value=""', without_csrf(response.get_data(as_text=True)))


def _walk(client, url: str, rel: str = "next") -> tuple[list[str], list[str]]:
    """Follow the Older (rel=next) or Newer (rel=prev) links from `url`: the URLs and pages seen."""
    urls, pages = [], []
    while url is not None:
        assert url not in urls and len(urls) < 100, url  # the links go somewhere new every time
        urls.append(url)
        pages.append(_get(client, url))
        url = _link(pages[-1], rel)
    return urls, pages


def test_walking_older_shows_every_listed_row_once_in_order_in_full_pages(app, log, client_for):
    low = _reader(client_for, log["low_admin"])
    _urls, pages = _walk(low, "/admin/audit?kind=reads")
    listed = [seq for seq, _id, hidden in reversed(_rows_of(app, log["item"].id)) if not hidden]
    assert [seq for page in pages for seq in _seqs(page)] == listed
    assert [len(_seqs(page)) for page in pages] == [PER_PAGE] * (len(listed) // PER_PAGE) + [len(listed) % PER_PAGE]
    assert "Newest" not in pages[0] and all(_link(page, "prev") and ">Newest</a>" in page for page in pages[1:])
    # Not vacuous: the admin cleared for restricted sees every row, in the same kind of walk.
    _urls, cleared = _walk(_reader(client_for, log["cleared_admin"]), "/admin/audit?kind=reads")
    assert [seq for page in cleared for seq in _seqs(page)] == list(range(279, -1, -1))
    assert len(cleared) == 6 and len(pages) == 3


def test_walking_newer_from_the_oldest_page_gives_the_same_pages_back(app, log, client_for):
    low = _reader(client_for, log["low_admin"])
    older_urls, older_pages = _walk(low, "/admin/audit?kind=reads&action=submission.read")
    newer_urls, newer_pages = _walk(low, older_urls[-1], rel="prev")
    assert [_seqs(page) for page in newer_pages] == [_seqs(page) for page in reversed(older_pages)]
    assert [(_link(p, "prev"), _link(p, "next")) for p in newer_pages] == [
        (_link(p, "prev"), _link(p, "next")) for p in reversed(older_pages)]
    assert newer_pages[-1] == older_pages[0]  # back at the newest page, without a cursor
    assert all("action=submission.read" in url and "kind=reads" in url for url in older_urls + newer_urls)


def test_rows_left_out_change_no_page_and_no_link(app, log, client_for):
    low = _reader(client_for, log["low_admin"])
    before = _walk(low, "/admin/audit?kind=reads")
    # More restricted reads, on top of the log (rows left out between listed ones: the walks above, in full pages).
    _reads(app, log["reader"], log["item"].id, range(1000, 1000 + 3 * MIN_SCAN), lambda n: True)
    after = _walk(low, "/admin/audit?kind=reads")
    assert after == before
    assert _walk(low, before[0][-1], rel="prev")[1][::-1] == before[1]


def test_a_cursor_at_a_hidden_or_missing_row_is_the_cursor_at_the_listed_row_next_to_it(app, log, client_for):
    low = _reader(client_for, log["low_admin"])
    rows = _rows_of(app, log["item"].id)
    listed = [ident for _seq, ident, hidden in rows if not hidden]
    hidden = [ident for _seq, ident, is_hidden in rows if is_hidden]
    assert len(hidden) > 3 * MIN_SCAN

    def page(**cursor) -> str:
        return _get(low, "/admin/audit?kind=reads&" + "&".join(f"{k}={v}" for k, v in cursor.items()))

    for ident in (hidden[0], hidden[len(hidden) // 2], hidden[-1], rows[45][1]):
        next_listed = min(i for i in listed if i > ident)
        assert page(before=ident) == page(before=next_listed), ident
        previous_listed = max((i for i in listed if i < ident), default=0)
        assert page(after=ident) == page(after=previous_listed), ident
    newest = _get(low, "/admin/audit?kind=reads")
    beyond = max(ident for _seq, ident, _hidden in rows) + 1
    for cursor in (beyond, beyond + 10_000, MAX_ID):
        assert page(before=cursor) == newest  # no row newer: the newest page, with no Newer link
        assert page(after=cursor) == newest  # less than a page newer: the newest page
    oldest = page(after=0)
    assert _seqs(oldest) == [seq for seq, _id, hidden in reversed(rows) if not hidden][-PER_PAGE:]
    empty = page(before=1)
    assert "No events." in empty and _link(empty, "next") is None and _link(empty, "prev").endswith("after=0")
    assert page(before=0) == empty


@pytest.mark.parametrize("query", ["before=abc", "before=-1", "before=1.5", "before=%2B5", "before=1_0",
                                   "before=%D9%A1", f"before={2**31}", f"after={2**63}", "after=99999999999999999999",
                                   "after=0x10"])
def test_a_bad_cursor_is_400_with_a_message(log, client_for, query):
    response = _reader(client_for, log["low_admin"]).get(f"/admin/audit?{query}")
    assert response.status_code == 400
    assert "this position is not an event number" in response.get_data(as_text=True)


def test_older_and_newer_at_once_is_400(log, client_for):
    response = _reader(client_for, log["low_admin"]).get("/admin/audit?before=10&after=5")
    assert response.status_code == 400 and "not both" in response.get_data(as_text=True)


def test_an_empty_cursor_or_a_stale_page_argument_is_the_newest_page(log, client_for):
    low = _reader(client_for, log["low_admin"])
    newest = _get(low, "/admin/audit?kind=reads")
    for query in ("before=", "after=&before=", "page=3"):
        assert _get(low, f"/admin/audit?kind=reads&{query}") == newest


def test_a_deep_page_costs_what_the_second_does(app, log, client_for, query_counter):
    _reads(app, log["reader"], log["item"].id, range(2000, 2600), lambda n: False)  # 12 more pages, all listed
    ids = [ident for seq, ident, _hidden in _rows_of(app, log["item"].id) if seq >= 2000]
    low = _reader(client_for, log["low_admin"])
    count = {"rows": 0}

    def on_load(_target, _context):
        count["rows"] += 1

    sa_event.listen(AuditEvent, "load", on_load)
    try:
        costs = []
        for cursor in (ids[-PER_PAGE], ids[PER_PAGE]):  # the second page; the 12th
            low.get(f"/admin/audit?kind=reads&before={cursor}")  # warm up
            count["rows"] = 0
            query_counter.reset()
            assert len(_seqs(_get(low, f"/admin/audit?kind=reads&before={cursor}"))) == PER_PAGE
            costs.append((query_counter.value, count["rows"]))
    finally:
        sa_event.remove(AuditEvent, "load", on_load)
    assert costs[0] == costs[1]
    # The page and the question "an older one?" (51 rows), and a batch to find one newer row: not 12 pages' rows.
    assert costs[1][1] <= PER_PAGE + 1 + MIN_SCAN


def test_asked_for_a_person_her_chatham_house_acts_leave_no_trace_in_the_pages(app, cast, client_for):  # noqa: F811
    planted = _plant(app, cast)
    speaker = cast["speaker"]
    with app.test_request_context(), unit_of_work() as db:
        for n in range(130):
            if n % 3 == 0 or 50 <= n < 110:  # her acts in the Chatham House round: she may not be named to Ada
                record(db, speaker.id, "post.flagged", "dialogue_post", planted["ch_post"].id, seq=n)
            else:
                record(db, speaker.id, "user.profile_changed", "user", speaker.id, seq=n)
    shown = [n for n in range(129, -1, -1) if not (n % 3 == 0 or 50 <= n < 110)]
    _urls, pages = _walk(_reader(client_for, cast["admin"]), "/admin/audit?person=Wilhelmina&kind=all")
    assert [seq for page in pages for seq in _seqs(page)] == shown
    assert len(pages) == 1 and _link(pages[0], "next") is None  # 46 rows: one page, no Older link
    # Her round's facilitator sees every act of hers, over three pages.
    _urls, pages = _walk(_reader(client_for, cast["facilitator"]), "/admin/audit?person=Wilhelmina&kind=all")
    assert [seq for page in pages for seq in _seqs(page)] == list(range(129, -1, -1))


def test_a_long_run_of_rows_left_out_costs_few_statements(app, log, client_for, query_counter):
    _reads(app, log["reader"], log["item"].id, range(3000, 4500), lambda n: True)  # 1,500 restricted reads
    _reads(app, log["reader"], log["item"].id, range(4500, 4510), lambda n: False)
    low = _reader(client_for, log["low_admin"])
    query_counter.reset()
    page = _get(low, "/admin/audit?kind=reads")
    assert _seqs(page)[:11] == [*range(4509, 4499, -1), 279]  # the ten on top, then the older ones beyond the run
    # Batches of 51, 102, 204, ... rows (a few statements each), not 30 batches of 50.
    assert query_counter.value < 30
