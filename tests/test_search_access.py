"""Route matrix of the search blueprint: every role sees exactly the tiers it may read, in the page, the JSON,
the totals and the facets; the health endpoint gives figures only to admins and local monitoring."""
from __future__ import annotations

import pytest

from tests.search_helpers import publish
from tests.search_helpers import indexer_on  # noqa: F401  (autouse)

COVERED_ENDPOINTS = {"search.search", "search.api", "search.health"}

ALL = {"public", "community", "restricted", "confidential-group", "confidential-org"}
EXPECTED = {
    "anonymous": {"public"},
    "pending": {"public"},
    "community": {"public", "community"},
    "restricted": {"public", "community", "restricted"},
    "confidential-in-group": ALL - {"confidential-org"},
    "confidential-other-org": {"public", "community", "restricted"},
    "facilitator": {"public", "community"},
    "admin": {"public", "community", "restricted"},  # admins manage people, not content
}


@pytest.fixture
def matrix(app, make_org, make_user, make_group):
    author_org = make_org(country="NL")
    author = make_user(clearance="confidential", org=author_org)
    reviewer = make_user(clearance="confidential", roles=("facilitator",), org=author_org)
    member_org = make_org(stakeholder_type="academia", country="KE")
    insider = make_user(clearance="confidential", org=member_org)
    group_with_insider = make_group(organisations=(author_org,), users=(insider,))
    for label, tier, grp in (("public", "public", None), ("community", "community", None),
                             ("restricted", "restricted", None), ("confidential-group", "confidential", group_with_insider),
                             ("confidential-org", "confidential", None)):
        publish(app, author, reviewer, tier=tier, group=grp, title=f"Matrix {label}", summary=f"matrix item {label}")
    return {
        "anonymous": None,
        "pending": make_user(clearance="confidential", status="pending", org=member_org),
        "community": make_user(clearance="community", org=member_org),
        "restricted": make_user(clearance="restricted", org=member_org),
        "confidential-in-group": insider,
        "confidential-other-org": make_user(clearance="confidential", org=member_org),
        "facilitator": make_user(clearance="community", roles=("facilitator",), org=member_org),
        "admin": make_user(clearance="confidential", roles=("admin",), org=member_org),
    }


@pytest.mark.parametrize("role", list(EXPECTED))
def test_search_page_and_api_show_exactly_the_readable_tiers(matrix, client_for, role):
    client = client_for(matrix[role])
    body = client.get("/api/search", query_string={"q": "matrix"}).get_json()
    found = {hit["title"].removeprefix("Matrix ") for hit in body["results"]}
    assert found == EXPECTED[role]
    assert body["total"] == len(EXPECTED[role])
    assert sum(v["count"] for v in body["facets"]["kind"]) == len(EXPECTED[role])
    page = client.get("/search", query_string={"q": "matrix"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for label in ALL:
        assert (f"Matrix {label}<" in html) == (label in EXPECTED[role]), label
    # Naming a hidden item's words exactly still finds nothing.
    for label in ALL - EXPECTED[role]:
        hidden = client.get("/api/search", query_string={"q": f'"matrix item {label}"'}).get_json()
        assert hidden["total"] == 0 and hidden["results"] == [] and hidden["suggestion"] is None


@pytest.mark.parametrize("role", list(EXPECTED))
def test_health_gives_figures_only_to_admins(matrix, client_for, role):
    """Whole-index figures count items most readers may not see: no client address earns them (issue 8, defect 9)."""
    remote = {"REMOTE_ADDR": "198.51.100.7"}
    local = {"REMOTE_ADDR": "127.0.0.1"}
    ways = [
        {"environ_base": remote},
        {"environ_base": local},  # the host itself, or every request behind a local proxy
        {"environ_base": remote, "headers": {"X-Forwarded-For": "127.0.0.1"}},  # spoofed, no proxy configured
        {"environ_base": {"REMOTE_ADDR": "::1"}},
    ]
    for way in ways:
        body = client_for(matrix[role]).get("/api/health/search", **way).get_json()
        if role == "admin":
            assert body["documents"] == len(ALL) and body["outbox_backlog"] == 0, way
            assert set(body) <= {"status", "backend", "documents", "outbox_backlog", "oldest_queued_at",
                                 "last_applied_at"}
        else:
            assert body == {"status": "ok"}, way


def test_covered_endpoints_are_exactly_the_search_routes(app):
    ours = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("search.")}
    assert ours == COVERED_ENDPOINTS


def test_health_figures_are_not_given_to_readers_behind_the_local_proxy(matrix, client_for):
    """Behind the reverse proxy every request comes from 127.0.0.1; ProxyFix makes the reader's own address count."""
    proxied = {"REMOTE_ADDR": "127.0.0.1"}
    headers = {"X-Forwarded-For": "198.51.100.7"}
    body = client_for(matrix["restricted"]).get("/api/health/search", environ_base=proxied, headers=headers).get_json()
    assert body == {"status": "ok"}
    spoofed = {"X-Forwarded-For": "127.0.0.1, 198.51.100.7"}  # the proxy appends the real address
    body = client_for(None).get("/api/health/search", environ_base=proxied, headers=spoofed).get_json()
    assert body == {"status": "ok"}
