"""Archive services: create, edit with revisions, the workflow transitions, declassification, syntheses."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.archive_helpers import lesson_data, policy_data, practice_data, viewer
from tests.dialogue_helpers import make_round
from webapp.db import session
from webapp.models import AuditEvent, SearchOutboxEntry, Submission, SubmissionRevision, SubmissionStatus, Tier
from webapp.services import Conflict, Forbidden, NotFound, ServiceError
from webapp.services.outcome_synthesis import publish_outcome_synthesis
from webapp.services.submission_workflow import (
    publish_revision,
    archive_submission,
    publish_submission,
    return_submission,
    submit_submission,
    withdraw_submission,
)
from webapp.services.submissions import (
    change_submission_tier,
    create_policy_version,
    create_submission,
    update_submission,
)


def _count(model) -> int:
    return session().scalar(select(func.count()).select_from(model))


def _actions(object_id: int) -> list[str]:
    return list(session().scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == object_id, AuditEvent.object_type == "submission")
        .order_by(AuditEvent.id)
    ))


def _outbox(object_id: int) -> int:
    return session().scalar(
        select(func.count()).select_from(SearchOutboxEntry).where(
            SearchOutboxEntry.kind == "submission", SearchOutboxEntry.object_id == object_id
        )
    )


@pytest.fixture
def people(ctx, make_user, make_org):
    org = make_org(stakeholder_type="private_sector", country="DE")
    return {
        "author": make_user(clearance="restricted", org=org),
        "colleague": make_user(clearance="restricted", org=org),
        "facilitator": make_user(clearance="restricted", roles=("facilitator",)),
        "other": make_user(clearance="restricted"),
    }


def test_full_lesson_workflow_with_revisions_audit_and_outbox(people):
    author, facilitator = viewer(people["author"]), viewer(people["facilitator"])
    s = create_submission(author, "lesson_learnt", lesson_data())
    assert s.status is SubmissionStatus.DRAFT
    assert s.author_organisation_id == people["author"].organisation_id
    assert s.policy_series is None
    s = update_submission(author, s.id, lesson_data(title="Operator over-trust"))
    s = submit_submission(author, s.id)
    assert s.status is SubmissionStatus.SUBMITTED and s.submitted_at
    s = return_submission(viewer(people["facilitator"]), s.id, "Please add **figures**.")
    assert s.status is SubmissionStatus.RETURNED
    assert "<strong>figures</strong>" in s.reviewer_comments_html
    submit_submission(author, s.id)
    s = publish_submission(facilitator, s.id)
    assert s.status is SubmissionStatus.PUBLISHED and s.published_at and s.reviewer_id == people["facilitator"].id
    s = archive_submission(author, s.id)
    assert s.status is SubmissionStatus.ARCHIVED
    assert _actions(s.id) == [
        "submission.created", "submission.edited", "submission.submitted", "submission.returned",
        "submission.submitted", "submission.published", "submission.archived",
    ]
    revisions = list(session().scalars(select(SubmissionRevision).where(SubmissionRevision.submission_id == s.id)
                                       .order_by(SubmissionRevision.number)))
    assert [r.number for r in revisions] == list(range(1, 8))
    assert revisions[0].snapshot["title"] == "Operator trust in target recognition"
    assert revisions[1].snapshot["title"] == "Operator over-trust"
    assert revisions[1].snapshot["paragraphs"] == [14, 16]
    assert revisions[1].author_id == people["author"].id
    assert _outbox(s.id) == 7


def test_illegal_transitions_are_conflicts_with_a_reason(people):
    author, facilitator = viewer(people["author"]), viewer(people["facilitator"])
    s = create_submission(author, "good_practice", practice_data())
    with pytest.raises(NotFound):  # a reviewer cannot even see a draft
        publish_submission(facilitator, s.id)
    submit_submission(author, s.id)
    with pytest.raises(Conflict, match="only a submission that is draft or returned can be submitted"):
        submit_submission(author, s.id)
    with pytest.raises(Conflict, match="archived"):
        archive_submission(author, s.id)
    publish_submission(facilitator, s.id)
    with pytest.raises(Conflict):
        publish_submission(facilitator, s.id)
    with pytest.raises(Conflict):
        return_submission(facilitator, s.id, "late")
    withdraw_submission(author, s.id)
    with pytest.raises(Conflict):
        withdraw_submission(author, s.id)
    with pytest.raises(Conflict):
        update_submission(author, s.id, practice_data())


def test_who_may_do_what(people):
    author, colleague = viewer(people["author"]), viewer(people["colleague"])
    facilitator, other = viewer(people["facilitator"]), viewer(people["other"])
    s = create_submission(author, "good_practice", practice_data())
    for actor in (colleague, other, facilitator):
        with pytest.raises(NotFound):
            submit_submission(actor, s.id)
        with pytest.raises(NotFound):
            update_submission(actor, s.id, practice_data())
    submit_submission(author, s.id)
    with pytest.raises(Forbidden):
        publish_submission(author, s.id)
    with pytest.raises(NotFound):
        publish_submission(other, s.id)
    publish_submission(facilitator, s.id)
    with pytest.raises(Forbidden):
        update_submission(other, s.id, practice_data())
    with pytest.raises(Forbidden):
        withdraw_submission(other, s.id)
    with pytest.raises(Forbidden):
        withdraw_submission(facilitator, s.id)
    with pytest.raises(Forbidden):
        archive_submission(other, s.id)
    archive_submission(facilitator, s.id)


def test_facilitator_cannot_review_own_submission(people, make_user):
    f = viewer(people["facilitator"])
    s = create_submission(f, "good_practice", practice_data())
    submit_submission(f, s.id)
    with pytest.raises(Forbidden):
        publish_submission(f, s.id)


def test_submit_requires_complete_fields(people):
    author = viewer(people["author"])
    s = create_submission(author, "lesson_learnt", lesson_data(observation="", lifecycle_stage=""))
    with pytest.raises(ServiceError, match="Observation, Lifecycle stage"):
        submit_submission(author, s.id)
    s2 = create_submission(author, "lesson_learnt", lesson_data(lesson_status="learnt", remedial_action="Done."))
    with pytest.raises(ServiceError, match="Evidence of change"):
        submit_submission(author, s2.id)
    assert session().get(Submission, s.id).status is SubmissionStatus.DRAFT


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"title": "  "}, "title is required"),
        ({"summary": ""}, "summary is required"),
        ({"paragraphs": []}, "at least one paragraph"),
        ({"paragraphs": [0]}, "no paragraph 0"),
        ({"paragraphs": [26]}, "no paragraph 26"),
        ({"paragraphs": ["x"]}, "numbers from 1 to 25"),
        ({"tier": "secret"}, "Unknown access tier"),
        ({"tier": "confidential"}, "above your clearance"),
        ({"lifecycle_stage": "launch"}, "Unknown lifecycle stage"),
        ({"lesson_status": "done"}, "Unknown lesson status"),
        ({"author_id": 1}, "cannot be set here: author_id"),
        ({"status": "published"}, "cannot be set here: status"),
        ({"title": "x" * 301}, "title is too long"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(people, override, message):
    with pytest.raises(ServiceError, match=message):
        create_submission(viewer(people["author"]), "lesson_learnt", lesson_data(**override))
    assert _count(Submission) == 0
    assert _count(SubmissionRevision) == 0
    assert _count(SearchOutboxEntry) == 0


def test_huge_body_is_413(people):
    with pytest.raises(ServiceError) as caught:
        create_submission(viewer(people["author"]), "lesson_learnt", lesson_data(observation="x" * 1_000_000))
    assert caught.value.status == 413
    assert _count(Submission) == 0


def test_unknown_and_synthesis_kinds_cannot_be_created(people):
    with pytest.raises(ServiceError, match="Unknown submission type"):
        create_submission(viewer(people["author"]), "essay", lesson_data())
    with pytest.raises(ServiceError, match="facilitators"):
        create_submission(viewer(people["author"]), "outcome_synthesis", {"title": "x"})


def test_group_the_author_is_not_in_is_refused(people, make_group, make_user):
    group = make_group()
    with pytest.raises(ServiceError, match="sharing group you belong to"):
        create_submission(viewer(people["author"]), "good_practice", practice_data(sharing_group_id=group.id))
    member = make_user(clearance="confidential", groups=(group,))
    s = create_submission(viewer(member), "good_practice", practice_data(tier="confidential", sharing_group_id=group.id))
    assert s.tier is Tier.CONFIDENTIAL and s.sharing_group_id == group.id


def test_hostile_markdown_is_sanitized_and_plain_fields_stay_plain(people):
    s = create_submission(viewer(people["author"]), "good_practice", practice_data(
        title="<script>alert(1)</script> title",
        practice='<img src=x onerror=alert(1)> [x](javascript:alert(1)) <iframe src="https://evil"></iframe>',
    ))
    # Raw HTML is shown as text, never as elements; the javascript: link is not a link.
    assert "<img" not in s.practice_html and "<iframe" not in s.practice_html and "<a" not in s.practice_html
    assert "&lt;img" in s.practice_html
    assert s.title == "<script>alert(1)</script> title"  # stored as text; templates escape it


def test_unpublished_user_pending_cannot_create(ctx, make_user):
    pending = make_user(status="pending")
    with pytest.raises(Forbidden):
        create_submission(viewer(pending), "good_practice", practice_data())


def test_declassification_needs_confirmation_and_right_actor(people):
    author, colleague, other = viewer(people["author"]), viewer(people["colleague"]), viewer(people["other"])
    facilitator = viewer(people["facilitator"])
    s = create_submission(author, "good_practice", practice_data(tier="restricted"))
    submit_submission(author, s.id)
    publish_submission(facilitator, s.id)
    with pytest.raises(ServiceError, match="confirm"):
        update_submission(author, s.id, practice_data(tier="community"))
    assert session().get(Submission, s.id).tier is Tier.RESTRICTED
    with pytest.raises(ServiceError, match="confirm"):
        change_submission_tier(author, s.id, tier="community", sharing_group_id=None, confirm=False)
    with pytest.raises(Forbidden):
        change_submission_tier(other, s.id, tier="community", sharing_group_id=None, confirm=True)
    with pytest.raises(Forbidden):  # a colleague who is neither author nor reviewer (issue 8, defect 2)
        change_submission_tier(colleague, s.id, tier="community", sharing_group_id=None, confirm=True)
    with pytest.raises(Forbidden, match="originating organisation"):  # a reviewer of another organisation
        change_submission_tier(facilitator, s.id, tier="community", sharing_group_id=None, confirm=True)
    s = change_submission_tier(author, s.id, tier="community", sharing_group_id=None, confirm=True)
    assert s.tier is Tier.COMMUNITY
    assert "submission.declassified" in _actions(s.id)
    s = change_submission_tier(author, s.id, tier="public", sharing_group_id=None, confirm=True)
    assert s.tier is Tier.PUBLIC
    s = update_submission(author, s.id, practice_data(tier="restricted"))
    assert s.tier is Tier.RESTRICTED
    with pytest.raises(Conflict, match="unchanged"):
        change_submission_tier(author, s.id, tier="restricted", sharing_group_id=None, confirm=True)


def test_policy_versions_share_a_series(people):
    author, colleague, other = viewer(people["author"]), viewer(people["colleague"]), viewer(people["other"])
    v1 = create_submission(author, "responsible_ai_policy", policy_data())
    assert v1.policy_series
    submit_submission(author, v1.id)
    publish_submission(viewer(people["facilitator"]), v1.id)
    with pytest.raises(Forbidden):
        create_policy_version(other, v1.id)
    v2 = create_policy_version(colleague, v1.id)
    assert v2.policy_series == v1.policy_series and v2.status is SubmissionStatus.DRAFT
    assert v2.principles_source == v1.principles_source and v2.policy_version == ""
    with pytest.raises(Conflict):
        s = create_submission(author, "good_practice", practice_data())
        create_policy_version(author, s.id)


def test_outcome_synthesis_is_published_directly_by_facilitators(people, app):
    round_ = make_round(app, people["facilitator"])
    facilitator = viewer(people["facilitator"])
    kwargs = dict(
        round_id=round_.id, title="Outcome of round 7", summary="What we heard.", body_source="## Findings\n\nMany.",
        key_points={"state": "States want *norms*.", "academia": "Research access."}, paragraphs=[16],
        tier="public", sharing_group_id=None, chatham_house=True,
    )
    with pytest.raises(Forbidden):
        publish_outcome_synthesis(viewer(people["author"]), **kwargs)
    with pytest.raises(ServiceError, match="Unknown stakeholder type"):
        publish_outcome_synthesis(facilitator, **{**kwargs, "key_points": {"martians": "x"}})
    with pytest.raises(ServiceError, match="paragraph"):
        publish_outcome_synthesis(facilitator, **{**kwargs, "paragraphs": [26]})
    s = publish_outcome_synthesis(facilitator, **kwargs)
    assert s.status is SubmissionStatus.PUBLISHED and s.published_at and s.round_id == round_.id and s.chatham_house
    assert "<h2>Findings</h2>" in s.body_html
    assert s.key_points == {"state": "States want *norms*.", "academia": "Research access."}
    assert _actions(s.id) == ["submission.synthesis_published"]
    assert _outbox(s.id) == 1


def test_a_published_lesson_stays_complete_through_edits(people):
    """Lesson identified → remedial action under way (with the action) → learnt (with the evidence), on the record."""
    author, facilitator = viewer(people["author"]), viewer(people["facilitator"])
    s = create_submission(author, "lesson_learnt", lesson_data())
    submit_submission(author, s.id)
    publish_submission(facilitator, s.id)
    revisions = _count(SubmissionRevision)
    for override, missing in (
        ({"lesson_status": "remedial_action"}, "Remedial action"),
        ({"lesson_status": "learnt", "remedial_action": "New drills."}, "Evidence of change"),
        ({"observation": ""}, "Observation"),
    ):
        with pytest.raises(ServiceError, match=f"must stay complete; fill in: {missing}"):
            update_submission(author, s.id, lesson_data(**override))
    assert _count(SubmissionRevision) == revisions
    s = update_submission(author, s.id, lesson_data(lesson_status="remedial_action", remedial_action="New drills."))
    s = update_submission(author, s.id, lesson_data(lesson_status="learnt", remedial_action="New drills.",
                                                    evidence="Error rate halved in the next exercise."))
    # "Lesson learnt" is validated by a reviewer like any revision of a published item (DESIGN.md rule 9).
    assert s.lesson_status.value == "identified" and not s.evidence_html
    pending = session().scalars(select(SubmissionRevision).where(
        SubmissionRevision.submission_id == s.id).order_by(SubmissionRevision.number)).all()
    assert [r.review_state for r in pending[-2:]] == ["replaced", "pending"]
    s = publish_revision(facilitator, s.id, pending[-1].number)
    assert s.lesson_status.value == "learnt" and "halved" in s.evidence_html
    assert s.status is SubmissionStatus.PUBLISHED
