"""Archive pages: browse with filters and counts, the submission page, revisions and diffs, exports, feeds,
my submissions, the review queue, paragraph pages, policy versions."""
from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select

from tests.archive_helpers import concluded_synthesis, lesson_data, policy_data, practice_data, viewer
from tests.conftest import without_csrf
from webapp.db import session
from webapp.models import AuditEvent, Submission
from webapp.services import Conflict
from webapp.services.submission_workflow import publish_submission, submit_submission
from webapp.services.submissions import (
    change_submission_tier,
    create_policy_version,
    create_submission,
    update_submission,
)


@pytest.fixture
def published(app):
    """published(author, facilitator, kind, data): create, submit and publish an item through the services.

    Service calls run in their own request context: a context left pushed would share `g` (and the cached
    viewer) with the test client's requests."""

    def factory(author, facilitator, kind="lesson_learnt", data=None):
        data = data or {"lesson_learnt": lesson_data, "good_practice": practice_data,
                        "responsible_ai_policy": policy_data}[kind]()
        with app.test_request_context():
            item = create_submission(viewer(author), kind, data)
            submit_submission(viewer(author), item.id)
            return publish_submission(viewer(facilitator), item.id)

    return factory


@pytest.fixture
def world(app, make_user, make_org):
    company = make_org(stakeholder_type="private_sector", country="DE", name="Example Defence Systems")
    ministry = make_org(stakeholder_type="state", country="NL", name="Ministry of Defence NL")
    return {
        "company_author": make_user(clearance="restricted", org=company, name="Cora Company"),
        "state_author": make_user(clearance="restricted", org=ministry, name="Stan State"),
        "facilitator": make_user(clearance="restricted", roles=("facilitator",), name="Fay Facilitator"),
        "reader": make_user(clearance="community", name="Reed Reader"),
    }


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_browse_filters_and_counts(world, published, client_for):
    f = world["facilitator"]
    published(world["company_author"], f, "good_practice")
    published(world["company_author"], f, "lesson_learnt", lesson_data(lifecycle_stage="deployment"))
    published(world["state_author"], f, "lesson_learnt")
    published(world["state_author"], f, "lesson_learnt", lesson_data(tier="community", title="Community lesson"))
    reader = client_for(None)
    page = _text(reader.get("/archive/"))
    assert "3 items" in page and "Community lesson" not in page
    assert re.search(r"Lesson learnt \(2\)", page) and re.search(r"Good practice \(1\)", page)
    assert "Community (TLP:GREEN)" not in page  # no count for a tier the viewer cannot read
    page = _text(reader.get("/archive/?kind=lesson_learnt&stakeholder=state"))
    assert "1 item" in page
    assert re.search(r"Private sector \(1\)", page)  # other values of the stakeholder facet, with other filters
    page = _text(reader.get("/archive/?stage=deployment&country=DE"))
    assert "1 item" in page
    member = client_for(world["reader"])
    page = _text(member.get("/archive/"))
    assert "4 items" in page and "Community lesson" in page and re.search(r"Community \(TLP:GREEN\) \(1\)", page)
    page = _text(member.get("/archive/?paragraph=16&year=2026"))
    assert "3 items" in page or "4 items" in page


@pytest.mark.parametrize(("query", "message"), [
    ("kind=essay", "Unknown submission type."), ("paragraph=0", "Paragraphs are numbered 1 to 25."),
    ("paragraph=26", "Paragraphs are numbered 1 to 25."), ("stage=launch", "Unknown lifecycle stage."),
    ("tier=secret", "Unknown access tier."), ("stakeholder=martians", "Unknown stakeholder type."),
    ("country=Netherlands", "A country is given as a two-letter ISO code."), ("year=abc", "A year has four digits."),
    ("page=0", "Unknown page."),
])
def test_browse_bad_filters_are_400(client, query, message):
    response = client.get(f"/archive/?{query}")
    assert response.status_code == 400 and message in _text(response)


def test_browse_paginates_and_leaves_out_drafts(world, published, client_for, app):
    for n in range(23):
        published(world["company_author"], world["facilitator"], "good_practice", practice_data(title=f"Practice {n}"))
    with app.test_request_context():
        create_submission(viewer(world["company_author"]), "good_practice", practice_data(title="A draft"))
    client = client_for(None)
    first = _text(client.get("/archive/?kind=good_practice"))
    assert "23 items" in first and first.count('class="submission-item"') == 20 and "Page 1 of 2" in first
    assert "Practice 22" in first and "A draft" not in first
    assert 'href="/archive/?page=2&amp;kind=good_practice"' in first
    second = _text(client.get("/archive/?kind=good_practice&page=2"))
    assert second.count('class="submission-item"') == 3 and "Practice 0" in second
    assert "0 items" not in second


def test_submission_page_shows_structured_fields_and_escapes(world, published, client_for):
    item = published(world["company_author"], world["facilitator"], "lesson_learnt", lesson_data(
        title="<b>Bold</b> claim", discussion="<script>alert(1)</script> and [link](https://example.org)"))
    page = _text(client_for(None).get(f"/archive/{item.id}"))
    assert "&lt;b&gt;Bold&lt;/b&gt; claim" in page and "<b>Bold</b>" not in page
    assert "<script>alert(1)</script>" not in page
    assert 'rel="noopener noreferrer nofollow"' in page
    assert "TLP:CLEAR" in page and "Example Defence Systems" in page and "Private sector" in page
    assert "Germany" in page and 'href="/paragraphs/14"' in page and "Test and evaluation" in page
    assert "Revision 3" in page
    assert f"/archive/{item.id}.md" in page and f"/archive/{item.id}.json" in page


def test_exports_carry_the_tier(world, published, client_for):
    item = published(world["company_author"], world["facilitator"], "lesson_learnt", lesson_data(tier="community"))
    member = client_for(world["reader"])
    md = member.get(f"/archive/{item.id}.md")
    assert md.status_code == 200 and md.mimetype == "text/markdown"
    assert _text(md).startswith("TLP:GREEN") and "## Observation" in _text(md)
    data = json.loads(member.get(f"/archive/{item.id}.json").get_data())
    assert data["tier"] == "community" and data["tlp"] == "TLP:GREEN" and data["paragraphs"] == [14, 16]
    cite = _text(member.get(f"/archive/{item.id}/citation"))
    assert "Example Defence Systems" in cite and "TLP:GREEN (community)" in cite
    for path in (f"/archive/{item.id}.md", f"/archive/{item.id}.json", f"/archive/{item.id}/citation"):
        assert client_for(None).get(path).status_code == 404


def test_restricted_reads_are_audited(world, published, client_for, app):
    item = published(world["company_author"], world["facilitator"], "good_practice", practice_data(tier="restricted"))
    public = published(world["company_author"], world["facilitator"], "good_practice")
    reader = client_for(world["state_author"])
    reader.get(f"/archive/{item.id}")
    reader.get(f"/archive/{item.id}.json")
    reader.get(f"/archive/{public.id}")
    with app.app_context():
        rows = list(session().execute(
            select(AuditEvent.object_id, AuditEvent.actor_id, AuditEvent.details).where(AuditEvent.action == "submission.read")
        ))
    assert [(r.object_id, r.details["how"]) for r in rows] == [(item.id, "page"), (item.id, "json")]
    assert rows[0].actor_id == world["state_author"].id


def test_revisions_and_diff(world, published, client_for, app):
    author = world["company_author"]
    with app.test_request_context():
        item = create_submission(viewer(author), "good_practice", practice_data())
        update_submission(viewer(author), item.id, practice_data(practice="A new <em>practice</em>\nsecond line"))
    client = client_for(author)
    page = _text(client.get(f"/archive/{item.id}/diff?from=1&to=2"))
    assert "<del>" in page and "<ins>" in page
    assert "A new &lt;em&gt;practice&lt;/em&gt;" in page and "<em>practice</em>" not in page
    assert client.get(f"/archive/{item.id}/diff?from=1&to=9").status_code == 404
    assert client.get(f"/archive/{item.id}/diff?from=x&to=2").status_code == 400
    # the draft's revisions are invisible to others
    assert client_for(world["reader"]).get(f"/archive/{item.id}/diff?from=1&to=2").status_code == 404


def test_feeds_contain_only_public_published_items(world, published, client_for, app):
    f = world["facilitator"]
    public = published(world["company_author"], f, "good_practice", practice_data(title="Public practice"))
    published(world["company_author"], f, "good_practice", practice_data(title="Community practice", tier="community"))
    with app.test_request_context():
        create_submission(viewer(world["company_author"]), "good_practice", practice_data(title="Draft practice"))
    for path in ("/archive/feed.atom", "/archive/paragraphs/23/feed.atom"):
        response = client_for(world["reader"]).get(path)
        body = _text(response)
        assert response.mimetype == "application/atom+xml"
        assert "Public practice" in body and "Community practice" not in body and "Draft practice" not in body
        assert f"/archive/{public.id}" in body
        feed = ElementTree.fromstring(response.get_data())
        atom = "{http://www.w3.org/2005/Atom}"
        entries = feed.findall(f"{atom}entry")
        assert [e.findtext(f"{atom}title") for e in entries] == ["Public practice"]
        assert entries[0].findtext(f"{atom}summary").startswith("TLP:CLEAR")
    assert "Public practice" not in _text(client_for(None).get("/archive/paragraphs/14/feed.atom"))
    assert client_for(None).get("/archive/paragraphs/26/feed.atom").status_code == 404


def test_paragraph_page_groups_by_stakeholder_type(world, published, client_for, app):
    f = world["facilitator"]
    published(world["company_author"], f, "good_practice", practice_data(paragraphs=[14], title="Company practice"))
    published(world["state_author"], f, "good_practice", practice_data(paragraphs=[14], title="State practice"))
    published(world["state_author"], f, "good_practice", practice_data(paragraphs=[14], title="Hidden", tier="community"))
    concluded_synthesis(app, f, title="Round outcome", paragraphs=(14,), chatham_house=True)
    page = _text(client_for(None).get("/paragraphs/14"))
    assert "In the archive (3)" in page and "Hidden" not in page
    assert page.index("State (1)") < page.index("State practice")
    assert "Private sector (1)" in page and "Outcome syntheses of dialogue rounds (1)" in page
    assert "Facilitators of the dialogue round" in page
    assert "Nothing you can read" in _text(client_for(None).get("/paragraphs/15"))


def test_chatham_house_synthesis_hides_the_author_everywhere(world, published, client_for, app):
    f = world["facilitator"]
    with app.test_request_context():
        org_name = session().get(type(f), f.id).organisation.name
    item = concluded_synthesis(app, f, title="Round outcome", key_points={"state": "Norms."}, paragraphs=(16,),
                               chatham_house=True)
    client = client_for(None)
    for path in (f"/archive/{item.id}", f"/archive/{item.id}.md", f"/archive/{item.id}.json",
                 f"/archive/{item.id}/citation", "/archive/feed.atom", "/archive/", "/paragraphs/16"):
        body = _text(client.get(path))
        assert org_name not in body, path
        assert "Facilitators of the dialogue round" in body, path
    # No state took part in the round: its key points would single out whoever spoke for it (DESIGN.md rule 11).
    page = _text(client.get(f"/archive/{item.id}"))
    assert "Norms." not in page and "fewer than 3 participants" in page
    # nor can the organisation's stakeholder type or country be found through the browse filters
    with app.app_context():
        org = session().get(type(f), f.id).organisation
        stakeholder, country = org.stakeholder_type_code, org.country
    assert "Round outcome" in _text(client.get("/archive/?kind=outcome_synthesis"))
    for query in (f"stakeholder={stakeholder}", f"country={country}"):
        body = _text(client.get(f"/archive/?kind=outcome_synthesis&{query}"))
        assert "Round outcome" not in body and "0 items" in body, query
    body = _text(client.get("/archive/?kind=outcome_synthesis"))
    assert f'<option value="{country}"' not in body and f'<option value="{stakeholder}"' not in body


def test_my_submissions_and_review_queue(world, published, client_for, app):
    author = world["company_author"]
    with app.test_request_context():
        draft = create_submission(viewer(author), "good_practice", practice_data(title="My draft"))
        sent = create_submission(viewer(author), "good_practice", practice_data(title="Sent one"))
        submit_submission(viewer(author), sent.id)
    mine = _text(client_for(author).get("/archive/mine"))
    assert "My draft" in mine and "Sent one" in mine and "Draft" in mine
    assert "My draft" not in _text(client_for(world["state_author"]).get("/archive/mine"))
    queue = _text(client_for(world["facilitator"]).get("/archive/review"))
    assert "Sent one" in queue and "My draft" not in queue
    assert client_for(world["reader"]).get("/archive/review").status_code == 403
    assert client_for(None).get("/archive/review").status_code == 302
    assert draft.id


def test_policy_versions_compare(world, published, client_for, app):
    author = world["company_author"]
    v1 = published(author, world["facilitator"], "responsible_ai_policy")
    with app.test_request_context():
        v2 = create_policy_version(viewer(author), v1.id)
        update_submission(viewer(author), v2.id, policy_data(policy_version="2.0", principles="1. Lawful\n2. Humane"))
        submit_submission(viewer(author), v2.id)
        publish_submission(viewer(world["facilitator"]), v2.id)
    client = client_for(None)
    page = _text(client.get(f"/archive/{v2.id}"))
    assert "Versions of this policy" in page and f"/archive/{v2.id}/compare?with={v1.id}" in page
    compare = _text(client.get(f"/archive/{v2.id}/compare?with={v1.id}"))
    assert "Changes from version 1.0 to version 2.0" in compare and "Humane" in compare and "<del>" in compare
    other = published(author, world["facilitator"], "good_practice")
    assert client.get(f"/archive/{v2.id}/compare?with={other.id}").status_code == 404


def test_navigation_entries(world, published, client_for):
    assert "My submissions" not in _text(client_for(None).get("/archive/"))
    page = _text(client_for(world["reader"]).get("/archive/"))
    assert "My submissions" in page and ">Review<" not in page
    assert ">Review<" in _text(client_for(world["facilitator"]).get("/archive/"))


def test_counts_do_not_reveal_invisible_items(world, published, client_for, app, make_group, make_user):
    insider = make_user(clearance="confidential")
    confidential_facilitator = make_user(clearance="confidential", roles=("facilitator",))
    group = make_group(users=(insider, confidential_facilitator))
    with app.test_request_context():
        secret = create_submission(viewer(insider), "good_practice", practice_data(
            tier="confidential", sharing_group_id=group.id, title="Secret practice", paragraphs=[25]))
        submit_submission(viewer(insider), secret.id)
    with app.test_request_context():
        publish_submission(viewer(confidential_facilitator), secret.id)
    outsider = make_user(clearance="confidential")
    for who in (None, world["reader"], outsider):
        client = client_for(who)
        page = _text(client.get("/archive/?paragraph=25"))
        assert "Secret practice" not in page and "0 items" in page and "(1)" not in page
        assert "Secret practice" not in _text(client.get("/paragraphs/25"))
        missing = client.get("/archive/999999")
        hidden = client.get(f"/archive/{secret.id}")
        assert hidden.status_code == missing.status_code == 404
        assert without_csrf(_text(hidden)) == without_csrf(_text(missing))
    assert "Secret practice" in _text(client_for(insider).get("/archive/?paragraph=25"))
    with app.app_context():
        assert session().scalar(select(func.count()).select_from(Submission)) == 1


def test_outcome_synthesis_page_renders_key_points_as_sanitized_markdown(world, client_for, app):
    hostile = ('<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)> '
               '[y](data:text/html;base64,PHNjcmlwdD4=)')
    item = concluded_synthesis(app, world["facilitator"], title="Oversight", body="## Findings\n\nTrain **operators**.",
                               key_points={"academia": hostile, "state": "States want *norms*.\n\n- one\n- two"})
    response = client_for(None).get(f"/archive/{item.id}")
    page = _text(response)
    main = page[page.index("<main"):]
    assert "<h2>Findings</h2>" in main and "<strong>operators</strong>" in main
    assert "<em>norms</em>" in main and "<li>one</li>" in main
    for bad in ("<script", "<img", 'href="javascript:', 'href="data:'):
        assert bad not in main, bad
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in main
    # per stakeholder type, in the seeded order of the types (State before Academia), labelled not coded
    assert main.index("<dt>State</dt>") < main.index("<dt>Academia</dt>")
    assert f'href="/dialogue/rounds/{item.round_id}"' in main  # back to the round it concludes
    with app.app_context():
        stored = session().get(Submission, item.id)
        assert stored.key_points["state"].startswith("States want *norms*")  # the source is kept for edits/exports
        assert "<em>norms</em>" in stored.key_points_html["state"]


def test_outcome_synthesis_in_exports_citation_browse_and_feeds(world, client_for, app):
    f = world["facilitator"]
    public = concluded_synthesis(app, f, title="Open round", key_points={"state": "Norms *first*."}, paragraphs=(16,))
    community = concluded_synthesis(app, f, title="Members round", tier="community", paragraphs=(16,))
    anonymous, member = client_for(None), client_for(world["reader"])
    md = _text(anonymous.get(f"/archive/{public.id}.md"))
    assert md.startswith("TLP:CLEAR") and "## Key points per stakeholder type" in md
    assert "### State\n\nNorms *first*." in md
    data = json.loads(anonymous.get(f"/archive/{public.id}.json").get_data())
    assert data["kind"] == "outcome_synthesis" and data["key_points"] == {"state": "Norms *first*."}
    assert data["round_id"] == public.round_id and data["chatham_house"] is False
    cite = _text(anonymous.get(f"/archive/{public.id}/citation"))
    assert "Outcome of the dialogue round: Open round" in cite and "Outcome synthesis" in cite
    assert "TLP:CLEAR (public)" in cite
    assert "1 item" in _text(anonymous.get("/archive/?kind=outcome_synthesis"))
    assert "2 items" in _text(member.get("/archive/?kind=outcome_synthesis"))
    for path in ("/archive/feed.atom", "/archive/paragraphs/16/feed.atom"):
        for client in (anonymous, member):  # feeds are public-only, whoever asks
            body = _text(client.get(path))
            assert "Open round" in body and "Members round" not in body, path
    page = _text(member.get("/paragraphs/16"))
    assert "Outcome syntheses of dialogue rounds (2)" in page and "Members round" in page
    assert community.id


def test_diff_between_any_two_revisions(world, published, client_for, app):
    author = world["company_author"]
    with app.test_request_context():
        item = create_submission(viewer(author), "good_practice", practice_data())
        update_submission(viewer(author), item.id, practice_data(challenge="Second challenge"))
        update_submission(viewer(author), item.id, practice_data(challenge="Second challenge", title="Third title"))
        update_submission(viewer(author), item.id, practice_data(challenge="Fourth challenge", title="Third title"))
        submit_submission(viewer(author), item.id)
        publish_submission(viewer(world["facilitator"]), item.id)
    reader = client_for(None)
    page = _text(reader.get(f"/archive/{item.id}"))
    assert "Revision 6" in page and 'name="from"' in page and 'name="to"' in page  # list and the any-two form
    far = _text(reader.get(f"/archive/{item.id}/diff?from=1&to=4"))
    assert "Changes from revision 1 to revision 4" in far
    assert "Red-teaming before fielding" in far and "Third title" in far  # title changed at 3
    assert "Fourth challenge" in far and "Second challenge" not in far  # intermediate states skipped
    backwards = _text(reader.get(f"/archive/{item.id}/diff?from=4&to=1"))
    assert "Changes from revision 4 to revision 1" in backwards and "Fourth challenge" in backwards
    assert "No differences." in _text(reader.get(f"/archive/{item.id}/diff?from=2&to=2"))
    for query in ("from=1", "to=2", "from=-1&to=2", "from=1&to=abc"):
        response = reader.get(f"/archive/{item.id}/diff?{query}")
        assert response.status_code == 400 and "Choose two revisions to compare." in _text(response), query


def test_revisions_and_exports_follow_a_raised_tier(world, published, client_for, app):
    item = published(world["company_author"], world["facilitator"], "good_practice")
    anonymous = client_for(None)
    paths = (f"/archive/{item.id}", f"/archive/{item.id}.md", f"/archive/{item.id}.json",
             f"/archive/{item.id}/citation", f"/archive/{item.id}/diff?from=1&to=2")
    assert all(anonymous.get(path).status_code == 200 for path in paths)
    with app.test_request_context():
        change_submission_tier(viewer(world["company_author"]), item.id, tier="restricted", sharing_group_id=None,
                               confirm=False)
    missing = _text(anonymous.get("/archive/999999"))
    for path in paths:  # the next request already sees the new tier; the revisions made while public too
        response = anonymous.get(path)
        assert response.status_code == 404 and _text(response) == missing, path
    assert "Red-teaming" not in _text(anonymous.get("/archive/feed.atom"))
    assert client_for(world["state_author"]).get(f"/archive/{item.id}/diff?from=1&to=2").status_code == 200


def test_every_read_of_restricted_material_is_audited(world, published, client_for, app):
    author, f = world["company_author"], world["facilitator"]
    item = published(author, f, "responsible_ai_policy", policy_data(tier="restricted"))
    with app.test_request_context():
        v2 = create_policy_version(viewer(author), item.id)
        update_submission(viewer(author), v2.id, policy_data(tier="restricted", policy_version="2.0"))
        submit_submission(viewer(author), v2.id)
        publish_submission(viewer(f), v2.id)
    reader = client_for(world["state_author"])
    for path in (f"/archive/{item.id}", f"/archive/{item.id}.md", f"/archive/{item.id}.json",
                 f"/archive/{item.id}/citation", f"/archive/{item.id}/diff?from=1&to=2",
                 f"/archive/{v2.id}/compare?with={item.id}"):
        assert reader.get(path).status_code == 200, path
    client_for(world["reader"]).get(f"/archive/{item.id}")  # refused (404): not a read, not audited
    with app.app_context():
        rows = list(session().execute(
            select(AuditEvent.object_id, AuditEvent.actor_id, AuditEvent.details)
            .where(AuditEvent.action == "submission.read").order_by(AuditEvent.id)
        ))
    assert [(r.object_id, r.details["how"]) for r in rows] == [
        (item.id, "page"), (item.id, "markdown"), (item.id, "json"), (item.id, "citation"), (item.id, "diff"),
        (v2.id, "compare"), (item.id, "compare"),
    ]
    assert {r.actor_id for r in rows} == {world["state_author"].id}
    assert {r.details["tier"] for r in rows} == {"restricted"}


def test_policy_versions_are_reachable_from_the_policy_page(world, published, client_for, app, form_token):
    author, f = world["company_author"], world["facilitator"]
    v1 = published(author, f, "responsible_ai_policy")
    client = client_for(author)
    page = _text(client.get(f"/archive/{v1.id}"))
    assert f'action="/archive/{v1.id}/new-version"' in page and "Start a new version of this policy" in page
    assert "Start a new version" not in _text(client_for(world["state_author"]).get(f"/archive/{v1.id}"))
    assert "Start a new version" not in _text(client_for(None).get(f"/archive/{v1.id}"))
    # the button starts a draft, prefilled, in the same series; the published version stays as it was
    response = client.post(f"/archive/{v1.id}/new-version", data={"csrf_token": form_token(client, f"/archive/{v1.id}")})
    assert response.status_code == 302
    with app.app_context():
        v2_id = session().scalar(select(func.max(Submission.id)))
    edit = _text(client.get(response.headers["Location"]))
    assert "Responsible AI principles" in edit and f"/archive/{v2_id}/edit" in response.headers["Location"]
    with app.test_request_context():
        update_submission(viewer(author), v2_id, policy_data(policy_version="2.0", scope="All products and services."))
        submit_submission(viewer(author), v2_id)
        publish_submission(viewer(f), v2_id)
    reader = client_for(None)
    old_page = _text(reader.get(f"/archive/{v1.id}"))  # the older version links forward to the newer one
    assert "Versions of this policy" in old_page and f'href="/archive/{v2_id}"' in old_page
    assert f"/archive/{v1.id}/compare?with={v2_id}" in old_page
    compare = _text(reader.get(f"/archive/{v1.id}/compare?with={v2_id}"))
    assert "Changes from version 1.0 to version 2.0" in compare and "All products and services." in compare
    with app.app_context():
        assert session().get(Submission, v1.id).status.value == "published"


def test_templates_mark_only_sanitized_html_safe():
    """`|safe` appears only on *_html values (rendered and sanitized on write); everything else is escaped."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    uses = [(path.name, expression) for path in root.rglob("*.html")
            for expression in re.findall(r"\{\{\s*([^{}|]+?)\s*\|\s*safe\b", path.read_text(encoding="utf-8"))]
    assert uses, "the scan found nothing: the pattern is wrong"
    assert [use for use in uses if not use[1].endswith("_html")] == []


def test_a_synthesis_keeps_its_rounds_audience_and_text(world, client_for, app, form_token):
    """Edited in its round, never from the archive; its tier never drops below the (concluded) round's."""
    f = world["facilitator"]
    item = concluded_synthesis(app, f, title="Restricted round", tier="restricted")
    client = client_for(f)
    page = _text(client.get(f"/archive/{item.id}"))
    assert f"/archive/{item.id}/edit" not in page and f"/archive/{item.id}/tier" not in page
    token = form_token(client, "/archive/")
    for path, data, message in (
        (f"/archive/{item.id}/tier", {"tier": "public", "confirm": "y"}, "keeps the audience of its dialogue round"),
        (f"/archive/{item.id}/edit", {"title": "Rewritten", "summary": "s", "paragraphs": ["16"]},
         "written in its dialogue round"),
    ):
        assert client.get(path).status_code == 409, path
        response = client.post(path, data={**data, "csrf_token": token})
        assert response.status_code == 409 and message in _text(response), path
    with app.test_request_context():
        with pytest.raises(Conflict, match="keeps the audience"):
            change_submission_tier(viewer(f), item.id, tier="public", sharing_group_id=None, confirm=True)
        with pytest.raises(Conflict, match="written in its dialogue round"):
            update_submission(viewer(f), item.id, {"title": "Rewritten"})
    with app.app_context():
        stored = session().get(Submission, item.id)
        assert stored.tier.code == "restricted" and stored.title.endswith("Restricted round")
    assert client_for(None).get(f"/archive/{item.id}").status_code == 404
