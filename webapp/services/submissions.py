"""Writing archive submissions: create a draft, edit (each edit a revision), change tier, new policy version."""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session, selectinload

from webapp import policy
from webapp.db import unit_of_work
from webapp.models import Submission, SubmissionKind, SubmissionStatus, Tier, User, utcnow
from webapp.models.submission import MARKDOWN_FIELDS
from webapp.policy import Viewer
from webapp.policy.archive import (
    can_change_tier,
    can_create_policy_version,
    can_create_submission,
    can_declassify,
    can_edit_submission,
    follows_its_round,
)
from webapp.search.outbox import enqueue
from webapp.services import Conflict, Forbidden, NotFound, ServiceError
from webapp.services.audit import record
from webapp.services.submission_fields import (
    add_revision,
    apply_fields,
    check_audience,
    missing_for_submission,
    parse_group_id,
    parse_kind,
    parse_tier,
)


SYNTHESIS_EDIT_REFUSAL = "An outcome synthesis is written in its dialogue round; it cannot be edited here."
SYNTHESIS_TIER_REFUSAL = "An outcome synthesis keeps the audience of its dialogue round; its tier cannot be changed."


def load_visible(db: Session, actor: Viewer, submission_id: int) -> Submission:
    """The submission if `actor` may read it; NotFound otherwise (invisible means nonexistent)."""
    submission = db.get(Submission, submission_id, options=[selectinload(Submission.paragraphs)])
    if submission is None or not policy.can_view(actor, submission):
        raise NotFound()
    return submission


def create_submission(actor: Viewer, kind: Any, data: Mapping[str, Any]) -> Submission:
    """Save a new draft lesson learnt, good practice or responsible-AI policy (revision 1)."""
    if not can_create_submission(actor):
        raise Forbidden("Only verified members of verified organisations can contribute.")
    submission_kind = parse_kind(kind)
    with unit_of_work() as db:
        author = db.get(User, actor.user_id)
        if author is None:
            raise Forbidden("Only verified members of verified organisations can contribute.")
        now = utcnow()
        submission = Submission(
            kind=submission_kind,
            status=SubmissionStatus.DRAFT,
            author_id=author.id,
            author_organisation_id=author.organisation_id,
            created_at=now,
            updated_at=now,
            keywords=[],
            key_points={},
        )
        if submission_kind is SubmissionKind.RESPONSIBLE_AI_POLICY:
            submission.policy_series = uuid.uuid4().hex
        apply_fields(db, actor, submission, data)
        db.add(submission)
        db.flush()
        add_revision(db, actor, submission, "created")
        record(db, actor.user_id, "submission.created", "submission", submission.id,
               kind=submission_kind.value, tier=submission.tier.code)
        enqueue(db, "submission", submission.id)
    return submission


def _widens(before: tuple[Tier, int | None], after: tuple[Tier, int | None]) -> bool:
    """Does the change let more people read? A lower tier, or dropping the sharing group."""
    return after[0] < before[0] or (before[1] is not None and after[1] is None)


def update_submission(
    actor: Viewer, submission_id: int, data: Mapping[str, Any], *, confirm_declassify: bool = False, note: str = ""
) -> Submission:
    """Edit a submission as its author; every edit appends a revision. Lowering the tier needs confirmation."""
    with unit_of_work() as db:
        submission = load_visible(db, actor, submission_id)
        if follows_its_round(submission):
            raise Conflict(SYNTHESIS_EDIT_REFUSAL)
        if not can_edit_submission(actor, submission):
            if submission.author_id != actor.user_id:
                raise Forbidden("Only the author can edit this submission.")
            raise Conflict(
                f"A submission that is {submission.status.value} cannot be edited"
                + (" while it is under review; withdraw it first." if submission.status is SubmissionStatus.SUBMITTED
                   else ".")
            )
        before_tier, before_group = submission.tier, submission.sharing_group_id
        apply_fields(db, actor, submission, data)
        if submission.status is SubmissionStatus.PUBLISHED:
            # What readers see stays complete: a published lesson cannot become "learnt" without its evidence.
            missing = missing_for_submission(submission)
            if missing:
                raise ServiceError("A published item must stay complete; fill in: " + ", ".join(missing) + ".")
        if _widens((before_tier, before_group), (submission.tier, submission.sharing_group_id)):
            if not confirm_declassify:
                raise ServiceError(
                    "Lowering the tier makes this item readable by more people: confirm the declassification."
                )
            if not can_declassify(actor, submission):
                raise Forbidden("Only the author's organisation or a reviewer can lower the tier.")
            record(db, actor.user_id, "submission.declassified", "submission", submission.id,
                   before=before_tier.code, after=submission.tier.code)
        submission.updated_at = utcnow()
        revision = add_revision(db, actor, submission, note or "edited")
        record(db, actor.user_id, "submission.edited", "submission", submission.id, revision=revision.number,
               tier=submission.tier.code, tier_before=before_tier.code,
               group=submission.sharing_group_id, group_before=before_group)
        enqueue(db, "submission", submission.id)
    return submission


def change_submission_tier(
    actor: Viewer, submission_id: int, *, tier: Any, sharing_group_id: int | None, confirm: bool
) -> Submission:
    """Change who may read a submission (tier and sharing group); lowering it is a declassification."""
    new_tier = parse_tier(tier)
    sharing_group_id = parse_group_id(sharing_group_id)
    with unit_of_work() as db:
        submission = load_visible(db, actor, submission_id)
        if follows_its_round(submission):
            raise Conflict(SYNTHESIS_TIER_REFUSAL)
        if not can_change_tier(actor, submission):
            raise Forbidden("Only the author, the author's organisation or a reviewer can change the tier.")
        if submission.status is SubmissionStatus.WITHDRAWN:
            raise Conflict("A withdrawn submission cannot change tier.")
        check_audience(actor, new_tier, sharing_group_id)
        before_tier, before_group = submission.tier, submission.sharing_group_id
        if (new_tier, sharing_group_id) == (before_tier, before_group):
            raise Conflict("The tier and sharing group are unchanged.")
        lowering = _widens((before_tier, before_group), (new_tier, sharing_group_id))
        if lowering:
            if not can_declassify(actor, submission):
                raise Forbidden("Only the author's organisation or a reviewer can lower the tier.")
            if not confirm:
                raise ServiceError(
                    "Lowering the tier makes this item readable by more people: confirm the declassification."
                )
        submission.tier, submission.sharing_group_id = new_tier, sharing_group_id
        submission.updated_at = utcnow()
        revision = add_revision(db, actor, submission, "tier changed")
        record(db, actor.user_id, "submission.declassified" if lowering else "submission.tier_changed",
               "submission", submission.id, before=before_tier.code, after=new_tier.code,
               group_before=before_group, group=sharing_group_id, revision=revision.number)
        enqueue(db, "submission", submission.id)
    return submission


def create_policy_version(actor: Viewer, submission_id: int) -> Submission:
    """Start a new draft version of a responsible-AI policy, keeping the series' history."""
    if not can_create_submission(actor):
        raise Forbidden("Only verified members of verified organisations can contribute.")
    with unit_of_work() as db:
        previous = load_visible(db, actor, submission_id)
        if previous.kind is not SubmissionKind.RESPONSIBLE_AI_POLICY:
            raise Conflict("Only responsible-AI policies have versions.")
        if not can_create_policy_version(actor, previous):
            raise Forbidden("Only the issuing organisation can publish a new version of this policy.")
        author = db.get(User, actor.user_id)
        now = utcnow()
        draft = Submission(
            kind=previous.kind, status=SubmissionStatus.DRAFT, author_id=author.id,
            author_organisation_id=author.organisation_id, created_at=now, updated_at=now,
            policy_series=previous.policy_series, key_points={},
        )
        data = {
            "title": previous.title, "summary": previous.summary, "keywords": list(previous.keywords),
            "paragraphs": previous.paragraph_numbers, "tier": previous.tier,
            "sharing_group_id": previous.sharing_group_id, "issuer": previous.issuer,
            "effective_date": None, "policy_version": "", "link": previous.link,
        }
        for name in MARKDOWN_FIELDS[previous.kind]:
            data[name] = getattr(previous, f"{name}_source")
        apply_fields(db, actor, draft, data)
        db.add(draft)
        db.flush()
        add_revision(db, actor, draft, f"new version of #{previous.id}")
        record(db, actor.user_id, "submission.created", "submission", draft.id,
               kind=draft.kind.value, tier=draft.tier.code, previous_version=previous.id)
        enqueue(db, "submission", draft.id)
    return draft


def record_submission_read(actor: Viewer, submission: Submission, how: str) -> None:
    """Audit a read of restricted or confidential material (page view or export)."""
    if submission.tier < Tier.RESTRICTED:
        return
    with unit_of_work() as db:
        record(db, actor.user_id, "submission.read", "submission", submission.id, tier=submission.tier.code, how=how)
