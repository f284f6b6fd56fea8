"""SQL query counts of the archive's pages are bounded and do not grow with the number of items shown."""
from __future__ import annotations

import pytest

from tests.archive_helpers import lesson_data, viewer
from webapp.services.submission_workflow import publish_submission, submit_submission
from webapp.services.submissions import create_submission, update_submission

BROWSE_MAX_QUERIES = 16
# The Viewer's groups and focal-point role come in one query; the item's translations (published ones and open
# proposals) in one more (issue 13).
PAGE_MAX_QUERIES = 13


@pytest.fixture
def add_items(app, make_user, make_org):
    """add_items(n) publishes n lessons from different organisations, each with several paragraphs."""
    facilitator = make_user(clearance="restricted", roles=("facilitator",))
    authors = [make_user(clearance="restricted", org=make_org(stakeholder_type=t, country=c))
               for t, c in (("state", "NL"), ("academia", "KE"), ("private_sector", "US"))]

    def factory(n: int, revisions: int = 0):
        made = []
        with app.test_request_context():
            for i in range(n):
                author = authors[i % len(authors)]
                data = lesson_data(title=f"Lesson {i}", paragraphs=[14, 16, 23], tier="community" if i % 2 else "public")
                item = create_submission(viewer(author), "lesson_learnt", data)
                for r in range(revisions):
                    update_submission(viewer(author), item.id, {**data, "observation": f"Revision {r}"})
                submit_submission(viewer(author), item.id)
                made.append(publish_submission(viewer(facilitator), item.id))
        return made

    return factory


def _count(query_counter, client, path: str) -> int:
    query_counter.reset()
    response = client.get(path)
    assert response.status_code == 200, path
    return query_counter.value


def test_browse_query_count_is_bounded(add_items, client_for, make_user, query_counter):
    reader = client_for(make_user(clearance="restricted"))
    add_items(3)
    few = _count(query_counter, reader, "/archive/?kind=lesson_learnt&paragraph=16")
    add_items(22)
    many = _count(query_counter, reader, "/archive/?kind=lesson_learnt&paragraph=16")
    assert many == few <= BROWSE_MAX_QUERIES, (few, many)


def test_submission_page_query_count_is_bounded(add_items, client_for, make_user, query_counter):
    reader = client_for(make_user(clearance="restricted"))
    small, = add_items(1)
    large, = add_items(1, revisions=12)
    few = _count(query_counter, reader, f"/archive/{small.id}")
    many = _count(query_counter, reader, f"/archive/{large.id}")
    assert many == few <= PAGE_MAX_QUERIES, (few, many)


def test_paragraph_page_and_feed_query_counts_are_bounded(add_items, client_for, make_user, query_counter):
    reader = client_for(make_user(clearance="restricted"))
    add_items(3)
    few = (_count(query_counter, reader, "/paragraphs/16"), _count(query_counter, reader, "/archive/feed.atom"))
    add_items(20)
    many = (_count(query_counter, reader, "/paragraphs/16"), _count(query_counter, reader, "/archive/feed.atom"))
    assert many == few, (few, many)
    assert few[0] <= PAGE_MAX_QUERIES and few[1] <= 6


def test_synthesis_page_query_count_is_bounded(app, client_for, make_user, query_counter):
    """A synthesis page adds the stakeholder labels of its key points and its round link: still a fixed number."""
    from tests.archive_helpers import concluded_synthesis

    facilitator = make_user(clearance="restricted", roles=("facilitator",))
    few = concluded_synthesis(app, facilitator, title="One", key_points={"state": "A."})
    many = concluded_synthesis(app, facilitator, title="Five", paragraphs=(14, 16, 23, 24),
                               key_points={code: f"Point of {code}." for code in
                                           ("state", "international_organisation", "private_sector", "academia",
                                            "civil_society")})
    reader = client_for(make_user(clearance="restricted"))
    counts = (_count(query_counter, reader, f"/archive/{few.id}"), _count(query_counter, reader, f"/archive/{many.id}"))
    assert counts[0] == counts[1] <= PAGE_MAX_QUERIES, counts
