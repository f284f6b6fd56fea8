"""Tear lines never tell a reader that more exists (DESIGN.md rule 10): for every reader, every answer — item
pages, the archive and paragraph listings, search results, totals, facets, snippets and "did you mean", exports,
feeds, revision lists and diffs, notifications and e-mails — is exactly what it was before sections above the
reader's tier were added to the items they read. A reader cleared for the sections reads them, each labelled."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.conftest import without_csrf
from tests.search_helpers import indexer_on  # noqa: F401  (autouse)
from tests.search_helpers import publish, search_json, viewer_of
from webapp.db import session
from webapp.models import Notification, OutgoingMail, Submission
from webapp.services import notifications
from webapp.services.submission_fields import fields_from_snapshot, snapshot
from webapp.services.submission_workflow import publish_revision
from webapp.services.submissions import update_submission

# The endpoints whose answers this matrix compares for every reader (tests/test_route_coverage.py).
COVERED_ENDPOINTS = frozenset({
    "archive.browse", "archive.show", "archive.export_markdown", "archive.export_json", "archive.citation",
    "archive.diff", "archive.feed", "archive.paragraph_feed", "archive.review", "paragraphs.show", "search.search",
    "search.api", "notifications.index",
})

RESTRICTED_WORD = "zanzibarite"
CONFIDENTIAL_WORD = "quokkarium"

QUERIES = [
    {"q": "oversight"},
    {"q": "drills", "sort": "newest"},
    {"q": "failure"},
    {"q": RESTRICTED_WORD},
    {"q": CONFIDENTIAL_WORD},
    {"q": "zanzobarite"},  # one edit from a word only the restricted sections contain: no "did you mean"
    {"q": "quokkariun"},
    {"q": "oversight", "kind": "good_practice"},
    {"q": "oversight", "paragraph": "14"},
    {"q": "recognition OR fielding"},
]


@pytest.fixture
def world(app, make_org, make_user, make_group):
    home = make_org(stakeholder_type="state", country="NL")
    other = make_org(stakeholder_type="academia", country="KE")
    author = make_user(clearance="confidential", org=home)
    reviewer = make_user(clearance="confidential", roles=("facilitator",), org=home)
    readers = {
        "anonymous": None,
        "pending": make_user(clearance="confidential", status="pending", org=other),
        "community": make_user(clearance="community", org=other),
        "community_facilitator": make_user(clearance="community", roles=("facilitator",), org=other),
        "restricted_no_2fa": make_user(clearance="restricted", org=other, second_factor=False),
        "restricted": make_user(clearance="restricted", org=other),
        "confidential_other": make_user(clearance="confidential", org=other),
        "colleague_confidential": make_user(clearance="confidential", org=home),
    }
    items = []
    for index, (kind, tier) in enumerate((("lesson_learnt", "public"), ("good_practice", "public"),
                                          ("lesson_learnt", "community"), ("good_practice", "community"),
                                          ("lesson_learnt", "restricted"))):
        items.append(publish(app, author, reviewer, kind=kind, tier=tier,
                             title=f"Oversight item {index} ({tier})",
                             summary=f"Human oversight drills and failure modes, item {index}."))
    for user in readers.values():
        if user is not None and user.status.value == "active":
            with app.test_request_context():
                for number in (14, 23):
                    notifications.watch(viewer_of(app, user), "paragraph", number)
    return {"author": author, "reviewer": reviewer, "readers": readers, "items": items}


# The optional sections of a lesson learnt (the others must be filled in to publish): each phase adds one.
SECTION_OF = {"restricted": "remedial_action", "confidential": "evidence"}
RANK = {"public": 0, "community": 1, "restricted": 2, "confidential": 3}


def _add_sections(app, world, tier: str, word: str) -> None:
    """The author adds, on every lesson below `tier`, a section at `tier` holding `word`; a reviewer publishes the
    revision (the published path: a pending revision, then its publication)."""
    author, reviewer = world["author"], world["reviewer"]
    for item in world["items"]:
        with app.test_request_context():
            stored = session().get(Submission, item.id)
            if stored.kind.value != "lesson_learnt" or stored.tier.value >= RANK[tier]:
                continue
            data = fields_from_snapshot(stored, snapshot(stored))
            name = SECTION_OF[tier]
            data[name] = f"{word.capitalize()} detail: the {word} sensor failed twice during oversight drills."
            data["section_tiers"] = {**data["section_tiers"], name: tier}
            update_submission(viewer_of(app, author), item.id, data, note=f"{word} details")
        with app.test_request_context():
            number = max(r.number for r in session().get(Submission, item.id).revisions)
            publish_revision(viewer_of(app, reviewer), item.id, number)


def _answers(app, client_for, world, names) -> dict:
    found: dict = {}
    for name in names:
        user = world["readers"][name]
        client = client_for(user)

        def get(path, **args):
            response = client.get(path, query_string=args)
            body = response.get_data(as_text=True)
            # Drop what differs between any two requests: the CSRF token, and the per-request time of an empty feed.
            found[(name, path, tuple(sorted(args.items())))] = (response.status_code, without_csrf(body))
            return body

        get("/archive/")
        get("/archive/", kind="lesson_learnt")
        get("/paragraphs/14")
        get("/paragraphs/23")
        get("/archive/review")
        get("/search", q="oversight drills")
        get("/search", q="zanzobarite")
        get("/archive/feed.atom")
        get("/archive/paragraphs/14/feed.atom")
        for item in world["items"]:
            page = get(f"/archive/{item.id}")
            for suffix in (".md", ".json", "/citation"):
                get(f"/archive/{item.id}{suffix}")
            numbers = sorted({int(n) for n in re.findall(r"Revision (\d+)", page)}) or [1]
            for old in range(1, max(numbers) + 3):
                get(f"/archive/{item.id}/diff", **{"from": str(old), "to": str(old + 1)})
                get(f"/archive/{item.id}/diff", **{"from": "1", "to": str(old)})
        for args in QUERIES:
            status, body = search_json(client, **args)
            found[(name, "search", tuple(sorted(args.items())))] = (status, body)
        if user is not None:
            get("/notifications/")
            with app.app_context():
                found[(name, "notifications")] = sorted(
                    (n.event, n.object_kind, n.object_id) for n in
                    session().scalars(select(Notification).where(Notification.user_id == user.id)))
                found[(name, "mail")] = sorted(
                    (m.subject, m.body) for m in
                    session().scalars(select(OutgoingMail).where(OutgoingMail.recipient_id == user.id)))
    return found


def _words_shown(value) -> str:
    """An answer without the echo of the reader's own query."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], dict):
        return str({key: item for key, item in value[1].items() if key != "query"}).lower()
    return str(value).lower()


def _assert_same(before: dict, after: dict) -> None:
    import difflib

    assert set(before) <= set(after)
    for key in before:
        if after[key] != before[key]:
            old, new = (value[1] if isinstance(value, tuple) else value for value in (before[key], after[key]))
            changed = [line for line in difflib.unified_diff(str(old).split("\n"), str(new).split("\n"),
                                                             lineterm="", n=0)][:12]
            pytest.fail(f"{key} changed: " + "\n".join(changed))


def test_restricted_sections_change_nothing_for_readers_below_restricted(app, world, client_for):
    low = ("anonymous", "pending", "community", "community_facilitator", "restricted_no_2fa")
    before = _answers(app, client_for, world, low)
    assert any(body for (name, where, _args), (status, body) in before.items() if where == "search"
               and isinstance(body, dict) and body["total"])
    _add_sections(app, world, "restricted", RESTRICTED_WORD)
    after = _answers(app, client_for, world, low)
    _assert_same(before, after)
    for key, value in after.items():
        assert RESTRICTED_WORD not in _words_shown(value), key

    # Not vacuous: a restricted reader reads the sections, labelled, and finds the items by their words.
    cleared = client_for(world["readers"]["restricted"])
    page = cleared.get(f"/archive/{world['items'][0].id}").get_data(as_text=True)
    assert RESTRICTED_WORD.capitalize() in page and "TLP:AMBER" in page and "TLP:CLEAR" in page
    status, body = search_json(cleared, RESTRICTED_WORD)
    assert body["total"] == 2  # the two lessons below restricted, once each
    assert all(RESTRICTED_WORD in hit["snippet_html"].lower() for hit in body["results"])
    assert search_json(cleared, "zanzobarite")[1]["suggestion"] == RESTRICTED_WORD
    exported = cleared.get(f"/archive/{world['items'][0].id}.md").get_data(as_text=True)
    assert RESTRICTED_WORD in exported and exported.startswith("TLP:AMBER")
    data = cleared.get(f"/archive/{world['items'][0].id}.json").get_json()
    assert data["section_tiers"]["remedial_action"]["tlp"] == "TLP:AMBER" and data["tlp"] == "TLP:CLEAR"
    assert data["remedial_action"].startswith(RESTRICTED_WORD.capitalize())


def test_confidential_sections_change_nothing_for_readers_without_them(app, world, client_for):
    readers = ("anonymous", "community", "restricted", "confidential_other")
    _add_sections(app, world, "restricted", RESTRICTED_WORD)
    before = _answers(app, client_for, world, readers)
    _add_sections(app, world, "confidential", CONFIDENTIAL_WORD)
    after = _answers(app, client_for, world, readers)
    _assert_same(before, after)
    for key, value in after.items():
        assert CONFIDENTIAL_WORD not in _words_shown(value), key

    # A confidential section with no sharing group is read only in the author's organisation (the tier rule).
    colleague = client_for(world["readers"]["colleague_confidential"])
    page = colleague.get(f"/archive/{world['items'][2].id}").get_data(as_text=True)
    assert CONFIDENTIAL_WORD.capitalize() in page and "TLP:RED" in page
    status, body = search_json(colleague, CONFIDENTIAL_WORD)
    assert body["total"] == 3 and len({hit["url"] for hit in body["results"]}) == 3
    assert {v["value"]: v["count"] for v in body["facets"]["kind"]} == {"lesson_learnt": 3}
