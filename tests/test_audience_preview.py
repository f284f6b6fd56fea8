"""Audiences the author can see (issue 11 §3): who will read a tier and group, computed by the read rules themselves.

The prepared world: Korea shares a restricted lesson with a group holding the Netherlands (as an organisation) and
one university researcher (as a person). Readers: three Korean colleagues cleared for restricted, three Dutch members,
the researcher — 3 organisations, 7 people — and one reviewer, the Dutch facilitator. Everyone else is left out for
a reason the test names: too low a clearance, pending or deactivated, an unverified organisation, not in the group.
"""
from __future__ import annotations

import itertools
import re

import pytest

from tests.archive_helpers import lesson_data, viewer
from tests.conftest import without_csrf
from tests.test_archive_forms import form_fields
from webapp.db import session
from webapp.models import Tier, User
from webapp.policy import tier_allows, viewer_for
from webapp.policy.audience_preview import audience_of, readers_of
from webapp.services.submission_workflow import publish_submission, submit_submission
from webapp.services.submissions import create_submission

TOTALS = re.compile(r'class="audience-totals"><strong>([^<]+)</strong>')


@pytest.fixture
def world(app, make_org, make_user, make_group):
    korea = make_org(name="Republic of Korea MND", country="KR")
    netherlands = make_org(name="Netherlands MoD", country="NL")
    university = make_org(name="Seoul University", stakeholder_type="academia", country="KR")
    elsewhere = make_org(name="Elsewhere Institute", stakeholder_type="academia", country="FR")
    unverified = make_org(name="Unverified Org", verified=False)
    people = {
        "author": make_user(clearance="restricted", org=korea, name="Kim Author"),
        "korea_colleague": make_user(clearance="restricted", org=korea, name="Lee Colleague"),
        "korea_senior": make_user(clearance="confidential", org=korea, name="Park Senior"),
        "korea_low": make_user(clearance="community", org=korea, name="Choi Low"),
        "korea_pending": make_user(clearance="restricted", org=korea, status="pending", name="Jung Pending"),
        "nl_member": make_user(clearance="restricted", org=netherlands, name="Jansen Member"),
        "nl_senior": make_user(clearance="confidential", org=netherlands, name="de Vries Senior"),
        "nl_facilitator": make_user(clearance="restricted", org=netherlands, roles=("facilitator",),
                                    name="Bakker Facilitator"),
        "nl_low": make_user(clearance="community", org=netherlands, name="Visser Low"),
        "nl_gone": make_user(clearance="restricted", org=netherlands, status="deactivated", name="Smit Gone"),
        "researcher": make_user(clearance="restricted", org=university, name="Han Researcher"),
        "uni_other": make_user(clearance="restricted", org=university, name="Yoon Other"),
        "outside_facilitator": make_user(clearance="confidential", org=elsewhere, roles=("facilitator",),
                                         name="Dupont Outside"),
        "unverified": make_user(clearance="restricted", org=unverified, name="Nobody Unverified"),
    }
    group = make_group(name="Korea-NL exchange", organisations=[netherlands, unverified],
                       users=[people["author"], people["researcher"]])
    small = make_group(name="Korea-Seoul only", users=[people["author"], people["researcher"]])
    return {"people": people, "group": group, "small": small,
            "orgs": {"korea": korea, "netherlands": netherlands, "university": university}}


def _token(client, path="/archive/new/lesson_learnt") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _preview(client, path, **fields):
    return client.post(path, data={**fields, "preview_audience": "1", "csrf_token": _token(client, path)})


def _totals(body: str) -> str | None:
    found = TOTALS.search(body)
    return found.group(1) if found else None


def _section(body: str) -> str:
    start = body.index('<section class="audience-preview"')
    return body[start:body.index("</section>", start)]


def _person_names(world) -> list[str]:
    return [user.name for user in world["people"].values()]


def test_the_form_previews_organisations_people_and_reviewers(world, client_for):
    client = client_for(world["people"]["author"])
    response = _preview(client, "/archive/new/lesson_learnt", tier="restricted",
                        sharing_group_id=str(world["group"].id))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _totals(body) == "3 organisations, 7 people, 1 reviewer"
    assert "Republic of Korea MND: 3 people" in body
    assert "Netherlands MoD: 3 people, 1 reviewer" in body
    assert "Seoul University: 1 person" in body
    assert "nobody could publish it" not in body
    for name in _person_names(world):  # organisations and counts, never a person
        assert name not in _section(body)
    for left_out in ("Elsewhere Institute", "Unverified Org"):
        assert left_out not in body


def test_no_reviewer_among_the_audience_is_said_before_submitting(world, client_for):
    client = client_for(world["people"]["author"])
    body = _preview(client, "/archive/new/lesson_learnt", tier="restricted",
                    sharing_group_id=str(world["small"].id)).get_data(as_text=True)
    assert _totals(body) == "2 organisations, 4 people, 0 reviewers"
    assert "nobody could publish it" in body


def test_the_authors_own_facilitator_role_makes_no_reviewer(app, world, make_user, client_for):
    korea = world["orgs"]["korea"]
    author = make_user(clearance="restricted", org=korea, roles=("facilitator",), groups=(world["small"],))
    body = _preview(client_for(author), "/archive/new/lesson_learnt", tier="restricted",
                    sharing_group_id=str(world["small"].id)).get_data(as_text=True)
    assert _totals(body) == "2 organisations, 5 people, 0 reviewers"  # the author reads it, but never reviews it


def test_preview_saves_nothing(world, client_for, row_counts):
    client = client_for(world["people"]["author"])
    token = _token(client)
    before = row_counts()
    for path in ("/archive/new/lesson_learnt",):
        data = {**form_fields(lesson_data(tier="restricted", sharing_group_id=world["group"].id)),
                "preview_audience": "1", "csrf_token": token}
        assert client.post(path, data=data).status_code == 200
    assert row_counts() == before


def test_preview_on_the_edit_form_saves_nothing(app, world, client_for, row_counts):
    author = world["people"]["author"]
    with app.test_request_context():
        item = create_submission(viewer(author), "lesson_learnt", lesson_data(tier="community"))
    client = client_for(author)
    path = f"/archive/{item.id}/edit"
    before = row_counts()
    response = _preview(client, path, **form_fields(lesson_data(title="Changed", tier="restricted",
                                                                sharing_group_id=world["group"].id)))
    assert response.status_code == 200
    assert _totals(response.get_data(as_text=True)) == "3 organisations, 7 people, 1 reviewer"
    assert row_counts() == before
    with app.app_context():
        assert session().get(type(item), item.id).title == lesson_data()["title"]


@pytest.mark.parametrize("fields, message", [
    ({"tier": ""}, "Choose who may read it to preview its audience."),
    ({"tier": "secret"}, "Choose who may read it to preview its audience."),
    ({"tier": "confidential"}, "You can preview only a tier up to your clearance"),  # above the author's
    ({"tier": "restricted", "sharing_group_id": "not-an-id"}, "You can preview only a tier up to your clearance"),
    ({"tier": "restricted", "sharing_group_id": "999999"}, "You can preview only a tier up to your clearance"),
])
def test_a_preview_of_an_audience_the_author_may_not_choose_is_refused(world, client_for, fields, message):
    response = _preview(client_for(world["people"]["author"]), "/archive/new/lesson_learnt", **fields)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in body
    assert _totals(body) is None


def test_a_preview_of_a_group_the_author_is_not_in_shows_nothing_of_it(world, client_for):
    # Lee is not in the group: its organisations must not be listed to Lee.
    response = _preview(client_for(world["people"]["korea_colleague"]), "/archive/new/lesson_learnt",
                        tier="restricted", sharing_group_id=str(world["group"].id))
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Netherlands MoD" not in body and "Korea-NL exchange" not in body


def test_preview_needs_the_csrf_token(world, client_for):
    client = client_for(world["people"]["author"])
    response = client.post("/archive/new/lesson_learnt", data={"tier": "restricted", "preview_audience": "1"})
    assert response.status_code == 400
    assert _totals(response.get_data(as_text=True)) is None


def _shared_item(app, world, publish: bool = False):
    people = world["people"]
    with app.test_request_context():
        item = create_submission(viewer(people["author"]), "lesson_learnt",
                                 lesson_data(tier="restricted", sharing_group_id=world["group"].id))
        submit_submission(viewer(people["author"]), item.id)
        if publish:
            publish_submission(viewer(people["nl_facilitator"]), item.id)
    return item


def test_the_item_page_shows_the_audience_to_the_author_and_the_reviewer(app, world, client_for):
    item = _shared_item(app, world)
    for who in ("author", "nl_facilitator"):
        client = client_for(world["people"][who])
        for path in (f"/archive/{item.id}", f"/archive/{item.id}/audience"):
            response = client.get(path)
            assert response.status_code == 200, (who, path)
            assert _totals(response.get_data(as_text=True)) == "3 organisations, 7 people, 1 reviewer"


def test_nobody_else_fetches_the_audience_of_an_item(app, world, make_user, client_for):
    item = _shared_item(app, world, publish=True)
    # A Korean facilitator reads the item (the author's organisation) but is not in the group: its roster stays
    # hidden from them. Dutch members read it and are in the group, but neither wrote it nor review.
    korea_facilitator = make_user(clearance="restricted", org=world["orgs"]["korea"], roles=("facilitator",))
    missing = client_for(world["people"]["author"]).get("/archive/999999/audience")
    assert missing.status_code == 404
    for user in (world["people"]["nl_member"], world["people"]["nl_senior"], korea_facilitator,
                 world["people"]["korea_colleague"], world["people"]["outside_facilitator"], None):
        client = client_for(user)
        client.get("/")  # shows the "signed in" message once
        response = client.get(f"/archive/{item.id}/audience")
        assert response.status_code == 404
        assert without_csrf(response.get_data()) == without_csrf(client.get("/archive/999999/audience").get_data())
        page = client.get(f"/archive/{item.id}").get_data(as_text=True)
        assert _totals(page) is None and "audience-preview" not in page


def _expected_readers(db, tier, group_id, author_org_id, author_id) -> dict[int, bool]:
    """The definition, user by user: verified and active, the tier rule holds; a reviewer if a facilitator too."""
    expected = {}
    for user in db.query(User).all():
        who = viewer_for(user, db)
        if who.is_verified and tier_allows(who, tier, group_id, author_org_id):
            expected[user.id] = who.is_facilitator and user.id != author_id
    return expected


def test_the_audience_agrees_with_the_tier_rule_for_every_user(app, world):
    people, orgs = world["people"], world["orgs"]
    audiences = itertools.product(
        list(Tier), [None, world["group"].id, world["small"].id],
        [(orgs["korea"].id, people["author"].id), (orgs["netherlands"].id, people["nl_facilitator"].id)],
    )
    checked = 0
    with app.test_request_context():
        db = session()
        for tier, group_id, (org_id, author_id) in audiences:
            found = {user.id: reviewer for user, reviewer in readers_of(db, tier, group_id, org_id, author_id)}
            assert found == _expected_readers(db, tier, group_id, org_id, author_id), (tier, group_id, org_id)
            preview = audience_of(db, tier, group_id, org_id, author_id)
            assert preview.people == len(found) and preview.reviewers == sum(found.values())
            checked += 1
    assert checked == 4 * 3 * 2
