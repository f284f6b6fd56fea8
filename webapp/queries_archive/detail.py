"""One submission as a reader sees it: the item, its revisions, the versions of a policy."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from webapp import policy
from webapp.models import DialogueRound, Submission, SubmissionKind, SubmissionRevision
from webapp.policy import Viewer


def submission(db: Session, viewer: Viewer, submission_id: int) -> Submission | None:
    """The submission with what its page shows, or None when it is missing or invisible to `viewer`."""
    stmt = policy.visible(
        select(Submission)
        .where(Submission.id == submission_id)
        .options(
            joinedload(Submission.author_organisation),
            joinedload(Submission.sharing_group),
            selectinload(Submission.paragraphs),
        ),
        viewer,
        Submission,
    )
    found = db.scalars(stmt).unique().one_or_none()
    # Belt and braces: the Python predicate must agree with the SQL clause.
    return found if found is not None and policy.can_view(viewer, found) else None


@dataclass(frozen=True)
class RevisionEntry:
    """A line of the revision list (without the snapshot)."""

    number: int
    created_at: datetime
    note: str


def revision_list(db: Session, viewer: Viewer, submission_id: int) -> list[RevisionEntry]:
    """The revisions of a submission the viewer may read, oldest first."""
    stmt = policy.visible(
        select(SubmissionRevision.number, SubmissionRevision.created_at, SubmissionRevision.note)
        .where(SubmissionRevision.submission_id == submission_id)
        .order_by(SubmissionRevision.number),
        viewer,
        SubmissionRevision,
    )
    return [RevisionEntry(*row) for row in db.execute(stmt)]


def revisions(db: Session, viewer: Viewer, submission_id: int, numbers: list[int]) -> dict[int, SubmissionRevision]:
    """Chosen revisions (with snapshots) of a submission the viewer may read, by number."""
    stmt = policy.visible(
        select(SubmissionRevision).where(
            SubmissionRevision.submission_id == submission_id, SubmissionRevision.number.in_(numbers)
        ),
        viewer,
        SubmissionRevision,
    )
    return {revision.number: revision for revision in db.scalars(stmt)}


def policy_versions(db: Session, viewer: Viewer, item: Submission) -> list[Submission]:
    """The versions of a responsible-AI policy the viewer may read (including drafts they may see), oldest first."""
    if item.kind is not SubmissionKind.RESPONSIBLE_AI_POLICY or not item.policy_series:
        return []
    stmt = policy.visible(
        select(Submission)
        .where(Submission.policy_series == item.policy_series)
        .order_by(Submission.created_at, Submission.id),
        viewer,
        Submission,
    )
    return list(db.scalars(stmt))


def round_synthesis_id(db: Session, viewer: Viewer, round_id: int) -> int | None:
    """The id of the archived outcome synthesis of a round, if this viewer may read it."""
    stmt = select(Submission.id).where(
        Submission.round_id == round_id, Submission.kind == SubmissionKind.OUTCOME_SYNTHESIS
    )
    return db.scalar(policy.visible(stmt, viewer, Submission).order_by(Submission.id.desc()).limit(1))


def synthesis_round_id(db: Session, viewer: Viewer, item: Submission) -> int | None:
    """The dialogue round an outcome synthesis came from, if this viewer may read the round (else None)."""
    if item.kind is not SubmissionKind.OUTCOME_SYNTHESIS or item.round_id is None:
        return None
    stmt = select(DialogueRound.id).where(DialogueRound.id == item.round_id)
    return db.scalar(policy.visible(stmt, viewer, DialogueRound))
