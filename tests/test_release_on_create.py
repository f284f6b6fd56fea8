"""Scheduling a release when sharing (issue 11 §1): "release to TIER on DATE" on the create form of a submission
and of a dialogue round, checked like a release scheduled later (past, same or higher tier, one field of two), and
a refusal saves nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.dialogue_helpers import send
from webapp.db import session
from webapp.models import DialogueRound, ScheduledRelease, Submission, Tier, utcnow


def _later(days=3) -> str:
    return (utcnow() + timedelta(days=days)).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def korea(make_org, make_user):
    org = make_org(stakeholder_type="state", country="KR", name="Republic of Korea")
    return {"author": make_user("restricted", org=org, name="Min-jun Author"),
            "facilitator": make_user("confidential", roles=("facilitator",), org=org, name="Ji-woo Facilitator")}


def _lesson_form(**overrides) -> dict:
    data = {
        "title": "Convoy drone jamming", "summary": "Jamming broke the link.", "keywords": "jamming",
        "paragraphs": ["14"], "tier": "restricted", "sharing_group_id": "",
        "observation": "The link dropped.", "discussion": "Known risk.", "conclusion": "Plan for it.",
        "recommendation": "Drill it.", "lesson_status": "identified",
    }
    data.update(overrides)
    return data


def _releases(app) -> list[tuple]:
    with app.app_context():
        return [(r.target_kind, r.item_id, r.tier, r.status) for r in session().scalars(select(ScheduledRelease))]


def test_an_author_schedules_the_release_on_the_create_form(app, korea, client_for, audit_rows):
    client = client_for(korea["author"])
    page = client.get("/archive/new/lesson_learnt").get_data(as_text=True)
    assert 'name="release_tier"' in page and 'name="release_at"' in page
    response = send(client, "/archive/new/lesson_learnt", _lesson_form(release_tier="community", release_at=_later()),
                    token_page="/archive/new/lesson_learnt")
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        item_id = session().scalar(select(Submission.id))
    assert _releases(app) == [("submission", item_id, Tier.COMMUNITY, "pending")]
    [row] = audit_rows("submission.release_scheduled")
    assert row.actor_id == korea["author"].id and row.object_id == item_id
    assert "will be released" in client.get(f"/archive/{item_id}/tier").get_data(as_text=True)


@pytest.mark.parametrize("release, message", [
    ({"release_tier": "community", "release_at": "2001-01-01 10:00"}, "in the future"),
    ({"release_tier": "confidential", "release_at": _later()}, "lowers the tier"),
    ({"release_tier": "restricted", "release_at": _later()}, "already at this tier"),
    ({"release_tier": "community", "release_at": ""}, "give both"),
    ({"release_tier": "", "release_at": _later()}, "give both"),
    ({"release_tier": "community", "release_at": "soon"}, "YYYY-MM-DD"),
])
def test_a_bad_release_on_the_create_form_saves_nothing(app, korea, client_for, row_counts, release, message):
    client = client_for(korea["author"])
    before = row_counts()
    response = send(client, "/archive/new/lesson_learnt", _lesson_form(**release),
                    token_page="/archive/new/lesson_learnt")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert 'value="Convoy drone jamming"' in response.get_data(as_text=True)  # nothing the author typed is lost
    assert row_counts() == before


def _round_form(**overrides) -> dict:
    now = utcnow()
    data = {"title": "Shared ranges for autonomy tests", "questions": "1. Which ranges?", "paragraphs": ["16"],
            "tier": "restricted", "sharing_group": "",
            "opens_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"), "invited_types": []}
    data.update(overrides)
    return data


def test_a_facilitator_schedules_the_release_on_the_round_form(app, korea, client_for, audit_rows):
    client = client_for(korea["facilitator"])
    assert 'name="release_tier"' in client.get("/dialogue/rounds/new").get_data(as_text=True)
    response = send(client, "/dialogue/rounds/new", _round_form(release_tier="public", release_at=_later()))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        round_id = session().scalar(select(DialogueRound.id))
    assert _releases(app) == [("round", round_id, Tier.PUBLIC, "pending")]
    [row] = audit_rows("round.release_scheduled")
    assert row.actor_id == korea["facilitator"].id
    assert "will be released" in client.get(f"/dialogue/rounds/{round_id}/audience").get_data(as_text=True)


@pytest.mark.parametrize("release, message", [
    ({"release_tier": "community", "release_at": "2001-01-01 10:00"}, "in the future"),
    ({"release_tier": "confidential", "release_at": _later()}, "lowers the tier"),
    ({"release_tier": "restricted", "release_at": _later()}, "already at this tier"),
    ({"release_tier": "community", "release_at": ""}, "give both"),
])
def test_a_bad_release_on_the_round_form_saves_nothing(app, korea, client_for, release, message):
    client = client_for(korea["facilitator"])
    response = send(client, "/dialogue/rounds/new", _round_form(**release))
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with app.app_context():
        assert session().scalar(select(DialogueRound.id)) is None
    assert _releases(app) == []
