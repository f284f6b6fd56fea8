"""Role × tier matrix of the declassification routes: whoever may not read the item gets 404 (the body of a
missing id); whoever may read it but is not its originator changes nothing; nothing answers 500."""
from __future__ import annotations

import pytest

from tests.archive_helpers import lesson_data, viewer
from webapp import policy
from webapp.db import session
from webapp.models import Submission, Tier, User
from webapp.services import declassification
from webapp.services.submission_workflow import publish_submission, submit_submission
from webapp.services.submissions import create_submission

COVERED_ENDPOINTS = {"archive.propose", "archive.accept_proposal", "archive.refuse_proposal", "archive.proposals",
                     "archive.schedule_release", "archive.cancel_release"}

ROLES = ["anonymous", "community member", "restricted member", "facilitator elsewhere (community)",
         "facilitator elsewhere (confidential)", "colleague", "admin"]


@pytest.fixture
def scene(app, make_org, make_user):
    korea, elsewhere = make_org(name="Korea", country="KR"), make_org(name="Elsewhere")
    author = make_user("confidential", org=korea)
    reviewer = make_user("confidential", roles=("facilitator",), org=korea)
    proposer = make_user("confidential", roles=("facilitator",), org=elsewhere)
    people = {
        "anonymous": None,
        "community member": make_user("community", org=elsewhere),
        "restricted member": make_user("restricted", org=elsewhere),
        "facilitator elsewhere (community)": make_user("community", roles=("facilitator",), org=elsewhere),
        "facilitator elsewhere (confidential)": proposer,
        "colleague": make_user("confidential", org=korea),
        "admin": make_user("community", roles=("admin",), org=elsewhere),
    }
    items = {}
    with app.test_request_context():
        for tier in Tier:
            item = create_submission(viewer(author), "lesson_learnt", lesson_data(tier=tier.code))
            submit_submission(viewer(author), item.id)
            publish_submission(viewer(reviewer), item.id)
            proposal = None
            if Tier.PUBLIC < tier < Tier.CONFIDENTIAL:  # confidential without a group: Korea only
                proposal = declassification.propose(viewer(proposer), item.id, tier="public", sharing_group_id=None,
                                                    reason="Matrix")
            items[tier] = (item.id, proposal.id if proposal else 999999)
    return people, items


def _snapshot(app, item_id):
    with app.app_context():
        item = session().get(Submission, item_id)
        return item.tier, item.sharing_group_id, declassification.pending_release(session(), item_id)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("tier", list(Tier), ids=lambda t: t.code)
def test_declassification_routes_follow_the_tier_rule(app, scene, client_for, form_token, role, tier):
    people, items = scene
    item_id, proposal_id = items[tier]
    client = client_for(people[role])
    token = form_token(client, "/sign-in" if people[role] is None else "/archive/new")
    with app.app_context():
        user = session().get(User, people[role].id) if people[role] is not None else None
        reads = policy.can_view(policy.viewer_for(user, session()), session().get(Submission, item_id))
    before = _snapshot(app, item_id)
    data = {"csrf_token": token, "reason": "x", "proposed_tier": "public", "release_tier": "public",
            "release_at": "2099-01-01 10:00"}
    for path in (f"/archive/{item_id}/release", f"/archive/{item_id}/release/cancel",
                 f"/archive/proposals/{proposal_id}/accept", f"/archive/proposals/{proposal_id}/refuse",
                 f"/archive/{item_id}/propose"):
        status = client.post(path, data=data).status_code
        if people[role] is None:
            assert status == 302, path  # to the sign-in page
        elif not reads:
            assert status == 404, (path, status)
        elif path.endswith("/propose"):
            # only a reviewer from elsewhere proposes (and a public item cannot be lowered)
            if not role.startswith("facilitator"):
                expected = 403
            elif tier is Tier.PUBLIC:
                expected = 400
            elif people[role] is people["facilitator elsewhere (confidential)"] and proposal_id != 999999:
                expected = 409  # their proposal made for the scene is still waiting
            else:
                expected = 302
            assert status == expected, (path, status)
        else:
            assert status in (403, 404) if proposal_id == 999999 else status == 403, (path, status)
    assert _snapshot(app, item_id) == before
    listing = client.get("/archive/proposals")
    assert listing.status_code == (302 if people[role] is None else 200)


# ---------------------------------------------------------------- dialogue rounds (the same rule, DESIGN.md rule 8)

ROUND_ENDPOINTS = {"dialogue.round_audience", "dialogue.propose_round", "dialogue.schedule_round_release",
                   "dialogue.cancel_round_release", "dialogue.raise_round_tier"}
COVERED_ENDPOINTS |= ROUND_ENDPOINTS


@pytest.fixture
def round_scene(app, make_org, make_user):
    from tests.dialogue_helpers import make_round

    korea, elsewhere = make_org(name="Korea", country="KR"), make_org(name="Elsewhere")
    creator = make_user("confidential", roles=("facilitator",), org=korea)
    people = {
        "anonymous": None,
        "community member": make_user("community", org=elsewhere),
        "restricted member": make_user("restricted", org=elsewhere),
        "facilitator elsewhere (community)": make_user("community", roles=("facilitator",), org=elsewhere),
        "facilitator elsewhere (confidential)": make_user("confidential", roles=("facilitator",), org=elsewhere),
        "colleague": make_user("confidential", org=korea),
        "admin": make_user("community", roles=("admin",), org=elsewhere),
    }
    return people, {tier: make_round(app, creator, tier=tier).id for tier in Tier}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("tier", list(Tier), ids=lambda t: t.code)
def test_round_declassification_routes_follow_the_tier_rule(app, round_scene, client_for, form_token, role, tier):
    from webapp.models import DialogueRound

    people, rounds = round_scene
    round_id = rounds[tier]
    client = client_for(people[role])
    token = form_token(client, "/sign-in" if people[role] is None else "/dialogue/")
    with app.app_context():
        user = session().get(User, people[role].id) if people[role] is not None else None
        reads = policy.can_view(policy.viewer_for(user, session()), session().get(DialogueRound, round_id))

    def snapshot():
        with app.app_context():
            return session().get(DialogueRound, round_id).tier

    before = snapshot()
    data = {"csrf_token": token, "reason": "x", "proposed_tier": "public", "release_tier": "public",
            "release_at": "2099-01-01 10:00", "raise_tier": "confidential"}
    page = client.get(f"/dialogue/rounds/{round_id}/audience").status_code
    for path in (f"/dialogue/rounds/{round_id}/release", f"/dialogue/rounds/{round_id}/release/cancel",
                 f"/dialogue/rounds/{round_id}/raise",
                 f"/dialogue/rounds/{round_id}/propose"):
        status = client.post(path, data=data).status_code
        if people[role] is None:
            assert status == 302 and page == 302, path  # to the sign-in page
        elif not reads:
            assert status == 404 and page == 404, (path, status)
        elif path.endswith("/propose") and role.startswith("facilitator"):
            assert status == (400 if tier is Tier.PUBLIC else 302), (path, status)
        else:
            assert status == 403, (path, status)
    if people[role] is not None and reads:
        assert page == (200 if role.startswith("facilitator") else 403)
    assert snapshot() == before
