"""One submission as a reader sees it: the item, its revisions, the versions of a policy."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from webapp import policy
from webapp.models import DialogueRound, Submission, SubmissionKind, SubmissionRevision, Tier
from webapp.models.submission_revision import (
    READER_REVIEW_STATES, REVIEW_PENDING, REVIEW_PUBLISHED, REVIEW_RETURNED,
)
from webapp.policy import Viewer
from webapp.queries_archive.sections import reader_snapshot


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
    tier: Tier  # the tier it was written under (it keeps it when the item's tier changes)
    review_state: str = ""  # "published" (readers were shown it), "pending", "returned", "replaced" or ""


def reader_revisions(db: Session, viewer: Viewer, item: Submission) -> list[SubmissionRevision]:
    """The revisions of `item` the viewer may read, oldest first, each as the viewer sees it. A revision that
    changed only sections the viewer may not read (tear lines) is left out, like one they may not read at all:
    for them nothing changed."""
    stmt = policy.visible(
        select(SubmissionRevision).where(SubmissionRevision.submission_id == item.id)
        .order_by(SubmissionRevision.number),
        viewer,
        SubmissionRevision,
    )
    listed: list[SubmissionRevision] = []
    previous = None
    for revision in db.scalars(stmt):
        # A proposal that changed only unreadable sections is nothing to this reader either (review state aside).
        audience = (revision.tier, revision.sharing_group_id)
        full = (revision.snapshot, audience)
        shown = (reader_snapshot(viewer, item, revision), audience)
        if previous is None or shown != previous[1] or full == previous[0]:
            listed.append(revision)
        previous = (full, shown)
    return listed


def revision_list(db: Session, viewer: Viewer, item: Submission) -> list[RevisionEntry]:
    """The revisions of a submission the viewer may read, oldest first (others are left out, not marked)."""
    return [RevisionEntry(r.number, r.created_at, r.note, r.tier, r.review_state)
            for r in reader_revisions(db, viewer, item)]


def last_changed(item: Submission, revisions: list[RevisionEntry]) -> datetime:
    """When the item last changed as this reader sees it: their newest revision readers were shown."""
    shown = [revision.created_at for revision in revisions if revision.review_state in READER_REVIEW_STATES]
    return max(shown) if shown else item.updated_at


def open_proposal(db: Session, viewer: Viewer, submission_id: int) -> SubmissionRevision | None:
    """The newest proposed revision of a published item (pending or returned) if the viewer may read it: its author
    and reviewers who may read the item (the revision rule); None when there is none or the newest was decided."""
    stmt = policy.visible(
        select(SubmissionRevision)
        .where(SubmissionRevision.submission_id == submission_id,
               SubmissionRevision.review_state.in_((REVIEW_PENDING, REVIEW_RETURNED, REVIEW_PUBLISHED)))
        .order_by(SubmissionRevision.number.desc())
        .limit(1),
        viewer,
        SubmissionRevision,
    )
    found = db.scalars(stmt).one_or_none()
    return found if found is not None and found.review_state != REVIEW_PUBLISHED else None


def revisions(db: Session, viewer: Viewer, item: Submission, numbers: list[int]) -> dict[int, SubmissionRevision]:
    """Chosen revisions of a submission among those the viewer reads (reader_revisions), by number."""
    wanted = set(numbers)
    return {revision.number: revision for revision in reader_revisions(db, viewer, item) if revision.number in wanted}


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
