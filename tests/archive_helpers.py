"""Shared helpers for the archive tests: valid field sets and a viewer for a user."""
from __future__ import annotations

from typing import Any

from webapp import db as dbmod
from webapp.models import User
from webapp.policy import Viewer, viewer_for


def viewer(user: User | None) -> Viewer:
    """The Viewer of `user` as the app builds it (call inside an app/request context)."""
    if user is None:
        return Viewer()
    fresh = dbmod.session().get(User, user.id)
    return viewer_for(fresh, dbmod.session())


def lesson_data(**overrides: Any) -> dict[str, Any]:
    """A complete lesson learnt, ready to submit."""
    data: dict[str, Any] = {
        "title": "Operator trust in target recognition",
        "summary": "Operators over-trusted a recognition aid during an exercise.",
        "keywords": "human-machine teaming, trust",
        "paragraphs": [14, 16],
        "tier": "public",
        "sharing_group_id": None,
        "observation": "During exercise *North Star* operators accepted 97% of the aid's proposals.",
        "discussion": "Automation bias undermines meaningful human control.",
        "conclusion": "Training did not cover the aid's known failure modes.",
        "recommendation": "Add failure-mode drills to operator training.",
        "application_area": "Target recognition",
        "military_context": "Land exercise",
        "lifecycle_stage": "test_evaluation",
        "lesson_status": "identified",
        "remedial_action": "",
        "evidence": "",
    }
    data.update(overrides)
    return data


def practice_data(**overrides: Any) -> dict[str, Any]:
    """A complete good practice."""
    data: dict[str, Any] = {
        "title": "Red-teaming before fielding",
        "summary": "An independent red team reviews every model before fielding.",
        "keywords": "red team",
        "paragraphs": [23],
        "tier": "public",
        "sharing_group_id": None,
        "challenge": "Models fail in ways developers do not foresee.",
        "practice": "An independent red team with operators.",
        "evidence_of_effect": "Three critical failure modes found before fielding.",
        "transfer_conditions": "Needs access to operators and test ranges.",
    }
    data.update(overrides)
    return data


def policy_data(**overrides: Any) -> dict[str, Any]:
    """A complete responsible-AI policy."""
    data: dict[str, Any] = {
        "title": "Responsible AI principles",
        "summary": "Our company's principles for defence AI.",
        "keywords": "principles",
        "paragraphs": [24],
        "tier": "public",
        "sharing_group_id": None,
        "issuer": "Example Defence Systems",
        "scope": "All AI products sold to defence customers.",
        "principles": "1. Lawful\n2. Responsible\n3. Traceable",
        "effective_date": "2026-01-01",
        "policy_version": "1.0",
        "link": "https://example.org/policy",
    }
    data.update(overrides)
    return data


def concluded_synthesis(app, facilitator, *, title: str = "Round on oversight", body: str = "Text",
                        key_points: dict[str, str] | None = None, paragraphs=(16,), tier: Any = "public",
                        chatham_house: bool = False, group=None):
    """Open, close and conclude a dialogue round through the services: its outcome synthesis enters the archive.

    Returns the synthesis (a Submission, detached). Its title is "Outcome of the dialogue round: <title>"."""
    from datetime import timedelta

    from sqlalchemy import select

    from webapp.models import Submission, Tier, utcnow
    from webapp.services import dialogue_rounds

    tier = tier if isinstance(tier, Tier) else Tier.from_code(tier)
    now = utcnow()
    with app.test_request_context():
        actor = viewer(facilitator)
        round_ = dialogue_rounds.create_round(
            actor, title=title, questions_source="1. What worked?", paragraphs=list(paragraphs), tier=tier,
            sharing_group_id=group.id if group else None, opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=1), chatham_house=chatham_house, invited_types=(),
            invited_organisation_ids=(), facilitator_ids=[],
        )
        dialogue_rounds.close_round(actor, round_.id)
        dialogue_rounds.conclude_round(actor, round_.id, synthesis_source=body, key_points=key_points or {},
                                       paragraphs=list(paragraphs))
        synthesis = dbmod.session().scalars(select(Submission).where(Submission.round_id == round_.id)).one()
        dbmod.session().expunge(synthesis)
        return synthesis
