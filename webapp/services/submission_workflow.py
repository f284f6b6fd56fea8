"""The archive workflow: draft → submitted → published or returned; withdrawn; published → archived.

Each transition is a named service: who may (policy.archive), from which states (TRANSITIONS), an audit row and a
search outbox entry in one transaction. An illegal transition raises Conflict (409) with the reason.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from webapp.db import unit_of_work
from webapp.models import Submission, SubmissionStatus, utcnow
from webapp.policy import Viewer
from webapp.policy.archive import can_archive, can_review, can_submit, can_withdraw
from webapp.sanitize import MAX_SOURCE_CHARS, markdown_to_html
from webapp.search.outbox import enqueue
from webapp.services import Conflict, Forbidden, ServiceError
from webapp.services.audit import record
from webapp.services.submission_fields import add_revision, missing_for_submission
from webapp.services.submissions import load_visible

S = SubmissionStatus
TRANSITIONS: dict[str, tuple[SubmissionStatus, ...]] = {
    "submit": (S.DRAFT, S.RETURNED),
    "publish": (S.SUBMITTED,),
    "return": (S.SUBMITTED,),
    "withdraw": (S.DRAFT, S.SUBMITTED, S.RETURNED, S.PUBLISHED),
    "archive": (S.PUBLISHED,),
}
_VERB = {"submit": "submitted", "publish": "published", "return": "returned", "withdraw": "withdrawn",
         "archive": "archived"}


def _require_state(submission: Submission, transition: str) -> None:
    allowed = TRANSITIONS[transition]
    if submission.status not in allowed:
        raise Conflict(
            f"This submission is {submission.status.value}; only a submission that is "
            f"{' or '.join(s.value for s in allowed)} can be {_VERB[transition]}."
        )


def _finish(db: Session, actor: Viewer, submission: Submission, action: str, **details) -> None:
    submission.updated_at = utcnow()
    revision = add_revision(db, actor, submission, action)
    record(db, actor.user_id, f"submission.{action}", "submission", submission.id,
           status=submission.status.value, revision=revision.number, **details)
    enqueue(db, "submission", submission.id)


def submit_submission(actor: Viewer, submission_id: int) -> Submission:
    """The author sends a complete draft (or a returned item) to the reviewers."""
    with unit_of_work() as db:
        submission = load_visible(db, actor, submission_id)
        if not can_submit(actor, submission):
            raise Forbidden("Only the author can submit this for review.")
        _require_state(submission, "submit")
        missing = missing_for_submission(submission)
        if missing:
            raise ServiceError("Complete these fields before submitting: " + ", ".join(missing) + ".")
        submission.status = S.SUBMITTED
        submission.submitted_at = utcnow()
        _finish(db, actor, submission, "submitted")
    return submission


def publish_submission(actor: Viewer, submission_id: int) -> Submission:
    """A reviewer (facilitator, not the author) publishes a submitted item."""
    with unit_of_work() as db:
        submission = load_visible(db, actor, submission_id)
        if not can_review(actor, submission):
            raise Forbidden("Only a facilitator other than the author can publish this.")
        _require_state(submission, "publish")
        submission.status = S.PUBLISHED
        submission.published_at = submission.published_at or utcnow()
        submission.reviewer_id = actor.user_id
        _finish(db, actor, submission, "published")
    return submission


def return_submission(actor: Viewer, submission_id: int, comments: str) -> Submission:
    """A reviewer returns a submitted item to its author with comments the author sees."""
    comments = (comments or "").replace("\r\n", "\n").strip()
    if not comments:
        raise ServiceError("Write the comments the author needs to revise the submission.")
    if len(comments) > MAX_SOURCE_CHARS:
        raise ServiceError(f"The comments are too long (at most {MAX_SOURCE_CHARS:,} characters).", status=413)
    with unit_of_work() as db:
        submission = load_visible(db, actor, submission_id)
        if not can_review(actor, submission):
            raise Forbidden("Only a facilitator other than the author can return this.")
        _require_state(submission, "return")
        submission.status = S.RETURNED
        submission.reviewer_id = actor.user_id
        submission.reviewer_comments_source = comments
        submission.reviewer_comments_html = markdown_to_html(comments)
        _finish(db, actor, submission, "returned")
    return submission


def withdraw_submission(actor: Viewer, submission_id: int) -> Submission:
    """The author withdraws a submission (from any state but archived or already withdrawn)."""
    with unit_of_work() as db:
        submission = load_visible(db, actor, submission_id)
        if not can_withdraw(actor, submission):
            raise Forbidden("Only the author can withdraw this submission.")
        _require_state(submission, "withdraw")
        before = submission.status.value
        submission.status = S.WITHDRAWN
        submission.withdrawn_at = utcnow()
        _finish(db, actor, submission, "withdrawn", status_before=before)
    return submission


def archive_submission(actor: Viewer, submission_id: int) -> Submission:
    """The author or a reviewer archives a published item (still readable, marked as no longer current)."""
    with unit_of_work() as db:
        submission = load_visible(db, actor, submission_id)
        if not can_archive(actor, submission):
            raise Forbidden("Only the author or a reviewer can archive this submission.")
        _require_state(submission, "archive")
        submission.status = S.ARCHIVED
        submission.archived_at = utcnow()
        _finish(db, actor, submission, "archived")
    return submission
