"""The archive workflow: draft → submitted → published or returned; withdrawn; published → archived.

Each transition is a named service: who may (policy.archive), from which states (TRANSITIONS), an audit row and a
search outbox entry in one transaction. An illegal transition raises Conflict (409) with the reason.
"""
from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import policy

from webapp.db import unit_of_work
from webapp.models import Submission, SubmissionKind, SubmissionRevision, SubmissionStatus, utcnow
from webapp.models.submission import READABLE_STATUSES
from webapp.models.submission_revision import REVIEW_PENDING, REVIEW_PUBLISHED, REVIEW_REPLACED, REVIEW_RETURNED
from webapp.policy import Viewer
from webapp.policy.archive import can_archive, can_review, can_review_revision, can_submit, can_withdraw
from webapp.sanitize import MAX_SOURCE_CHARS, markdown_to_html
from webapp.search.outbox import enqueue
from webapp.services import Conflict, Forbidden, NotFound, ServiceError
from webapp.services.audit import record
from webapp.services import notification_events
from webapp.services.notifications import notify_watchers
from webapp.services.submission_fields import (
    STATUS_WORDS,
    add_revision, apply_fields, fields_from_snapshot, item_tier_face, missing_for_submission,
)
from webapp.services.submissions import AUDIENCE_BEFORE, load_visible

S = SubmissionStatus
TRANSITIONS: dict[str, tuple[SubmissionStatus, ...]] = {
    "submit": (S.DRAFT, S.RETURNED),
    "publish": (S.SUBMITTED,),
    "return": (S.SUBMITTED,),
    "withdraw": (S.DRAFT, S.SUBMITTED, S.RETURNED, S.PUBLISHED),
    "archive": (S.PUBLISHED,),
}
# A revision's review state inside a sentence ("it is %(state)s"); an ordinary revision has none.
REVIEW_STATE_WORDS = {None: _l("a draft"), "": _l("a draft"), REVIEW_PUBLISHED: _l("published"),
                      REVIEW_RETURNED: _l("returned"), REVIEW_REPLACED: _l("replaced")}
_VERB = {"submit": STATUS_WORDS["submitted"], "publish": STATUS_WORDS["published"], "return": STATUS_WORDS["returned"],
         "withdraw": STATUS_WORDS["withdrawn"], "archive": STATUS_WORDS["archived"]}
_REVISION_REFUSALS = {
    "publish": (_l("This submission is %(status)s; its pending revisions can no longer be published."),
                _l("Only a reviewer other than the author can publish this revision."),
                _l("Only a reviewer who may read every section of revision %(number)d can publish it.")),
    "return": (_l("This submission is %(status)s; its pending revisions can no longer be returned."),
               _l("Only a reviewer other than the author can return this revision."),
               _l("Only a reviewer who may read every section of revision %(number)d can return it.")),
}


# Joins the allowed states in a refusal; a module constant, because pybabel extracts no call nested in another's
# arguments.
_OR = _l(" or ")


def _require_state(submission: Submission, transition: str) -> None:
    allowed = TRANSITIONS[transition]
    if submission.status not in allowed:
        raise Conflict(_l("This submission is %(status)s; only a submission that is %(allowed)s can be %(done)s.",
                          status=STATUS_WORDS[submission.status.value], done=_VERB[transition],
                          allowed=str(_OR).join(str(STATUS_WORDS[s.value]) for s in allowed)))


def _finish(db: Session, actor: Viewer, submission: Submission, action: str, **details) -> None:
    submission.updated_at = utcnow()
    # The revision written by publishing is the one readers are shown: history marks it as published.
    revision = add_revision(db, actor, submission, action,
                            review_state=REVIEW_PUBLISHED if action == "published" else "")
    record(db, actor.user_id, f"submission.{action}", "submission", submission.id,
           status=submission.status.value, revision=revision.number, **details)
    enqueue(db, "submission", submission.id)


def submit_submission(actor: Viewer, submission_id: int) -> Submission:
    """The author sends a complete draft (or a returned item) to the reviewers."""
    with unit_of_work() as db:
        submission = load_visible(db, actor, submission_id)
        if not can_submit(actor, submission):
            raise Forbidden(_l("Only the author can submit this for review."))
        _require_state(submission, "submit")
        missing = missing_for_submission(submission)
        if missing:
            raise ServiceError(_l("Complete these fields before submitting: %(fields)s.",
                                   fields=", ".join(str(label) for label in missing)))
        submission.status = S.SUBMITTED
        submission.submitted_at = utcnow()
        _finish(db, actor, submission, "submitted")
        notification_events.submission_submitted(db, submission, actor_id=actor.user_id)
    return submission


def publish_submission(actor: Viewer, submission_id: int) -> Submission:
    """A reviewer (facilitator, not the author) publishes a submitted item."""
    with unit_of_work() as db:
        submission = load_visible(db, actor, submission_id)
        if not can_review(actor, submission):
            raise Forbidden(_l("Only a facilitator other than the author can publish this."))
        _require_state(submission, "publish")
        submission.status = S.PUBLISHED
        submission.published_at = submission.published_at or utcnow()
        submission.reviewer_id = actor.user_id
        _finish(db, actor, submission, "published")
        _supersede_earlier_versions(db, actor, submission)
        notification_events.submission_decided(db, submission, "submission_published", actor_id=actor.user_id)
        # Watchers of its paragraphs hear of it; each only if they may read it (checked per recipient).
        for paragraph in submission.paragraphs:
            notify_watchers(db, "paragraph", paragraph.number, "published", submission, actor_id=actor.user_id)
    return submission


def _clean_comments(comments: str) -> str:
    comments = (comments or "").replace("\r\n", "\n").strip()
    if not comments:
        raise ServiceError(_l("Write the comments the author needs to revise the submission."))
    if len(comments) > MAX_SOURCE_CHARS:
        raise ServiceError(_l("The comments are too long (at most %(n)s characters).", n=format_decimal(MAX_SOURCE_CHARS)),
                           status=413)
    return comments


def _pending_revision(db: Session, actor: Viewer, submission_id: int, number: int, action: str):
    """The item and its pending revision `number`, locked, for a reviewer; the refusals of both revision reviews."""
    submission = load_visible(db, actor, submission_id)
    if submission.status not in READABLE_STATUSES:
        raise Conflict(str(_REVISION_REFUSALS[action][0]) % {"status": STATUS_WORDS[submission.status.value]})
    if not can_review_revision(actor, submission):
        raise Forbidden(_REVISION_REFUSALS[action][1])
    revision = db.scalars(select(SubmissionRevision).where(
        SubmissionRevision.submission_id == submission.id, SubmissionRevision.number == number,
    ).with_for_update()).one_or_none()
    if revision is None or not policy.can_view(actor, revision):
        raise NotFound()
    if not can_review_revision(actor, submission, revision):
        raise Forbidden(str(_REVISION_REFUSALS[action][2]) % {"number": number})
    if revision.review_state != REVIEW_PENDING:
        raise Conflict(_l("Revision %(number)d is not waiting for review (it is %(state)s); nothing was changed.",
                          number=number, state=REVIEW_STATE_WORDS.get(revision.review_state, REVIEW_STATE_WORDS[None])))
    return submission, revision


def _apply_proposed_audience(db: Session, actor: Viewer, submission: Submission, revision: SubmissionRevision) -> None:
    """A lowering the originator proposed with the revision applies with its text, if the item still has the
    audience it was proposed against; a change made since (e.g. a raise) wins, and the item keeps it."""
    before = revision.snapshot.get(AUDIENCE_BEFORE)
    current = {"tier": submission.tier.code, "sharing_group_id": submission.sharing_group_id}
    if not before or before != current:
        return
    submission.tier, submission.sharing_group_id = revision.tier, revision.sharing_group_id
    record(db, actor.user_id, "submission.declassified", "submission", submission.id, before=before["tier"],
           after=revision.tier.code, group_before=before["sharing_group_id"], group=revision.sharing_group_id,
           revision=revision.number, proposed_by=revision.author_id)


def publish_revision(actor: Viewer, submission_id: int, number: int) -> Submission:
    """A reviewer publishes the pending revision of a published item: its text replaces the published one (rendered
    and sanitized again), reindexed in the same transaction; the item keeps its current audience."""
    with unit_of_work() as db:
        submission, revision = _pending_revision(db, actor, submission_id, number, "publish")
        _apply_proposed_audience(db, actor, submission, revision)
        face_before = item_tier_face(submission)
        apply_fields(db, actor, submission, fields_from_snapshot(submission, revision.snapshot), keep_audience=True)
        revision.review_state = REVIEW_PUBLISHED
        submission.reviewer_id = actor.user_id
        if item_tier_face(submission) != face_before:  # a change above the item's tier is not news to its readers
            submission.updated_at = utcnow()
        record(db, actor.user_id, "submission.revision_published", "submission", submission.id, revision=number)
        enqueue(db, "submission", submission.id)
        notification_events.submission_decided(db, submission, "submission_published", actor_id=actor.user_id)
    return submission


def return_revision(actor: Viewer, submission_id: int, number: int, comments: str) -> Submission:
    """A reviewer returns the pending revision of a published item with comments; readers keep the published text."""
    comments = _clean_comments(comments)
    with unit_of_work() as db:
        submission, revision = _pending_revision(db, actor, submission_id, number, "return")
        revision.review_state = REVIEW_RETURNED
        submission.reviewer_id = actor.user_id
        submission.reviewer_comments_source = comments
        submission.reviewer_comments_html = markdown_to_html(comments)
        record(db, actor.user_id, "submission.revision_returned", "submission", submission.id, revision=number)
        notification_events.submission_decided(db, submission, "submission_returned", actor_id=actor.user_id)
    return submission


def _supersede_earlier_versions(db: Session, actor: Viewer, published: Submission) -> None:
    """A published policy version supersedes the earlier published versions of its series that it is at least as
    readable as (a lower or equal tier, and no group or the same one): anyone who read an old version reads the new
    one, so listing only the current version hides nothing from anyone and reveals nothing."""
    if published.kind is not SubmissionKind.RESPONSIBLE_AI_POLICY or not published.policy_series:
        return
    earlier = db.scalars(select(Submission).where(
        Submission.policy_series == published.policy_series, Submission.id != published.id,
        Submission.status.in_(READABLE_STATUSES), Submission.created_at <= published.created_at,
        Submission.author_organisation_id == published.author_organisation_id,
    ))
    for version in earlier:
        if published.tier <= version.tier and published.sharing_group_id in (None, version.sharing_group_id):
            version.superseded_by_id = published.id
            record(db, actor.user_id, "submission.superseded", "submission", version.id, by=published.id)


def return_submission(actor: Viewer, submission_id: int, comments: str) -> Submission:
    """A reviewer returns a submitted item to its author with comments the author sees."""
    comments = _clean_comments(comments)
    with unit_of_work() as db:
        submission = load_visible(db, actor, submission_id)
        if not can_review(actor, submission):
            raise Forbidden(_l("Only a facilitator other than the author can return this."))
        _require_state(submission, "return")
        submission.status = S.RETURNED
        submission.reviewer_id = actor.user_id
        submission.reviewer_comments_source = comments
        submission.reviewer_comments_html = markdown_to_html(comments)
        _finish(db, actor, submission, "returned")
        notification_events.submission_decided(db, submission, "submission_returned", actor_id=actor.user_id)
    return submission


def withdraw_submission(actor: Viewer, submission_id: int) -> Submission:
    """The author withdraws a submission (from any state but archived or already withdrawn)."""
    with unit_of_work() as db:
        submission = load_visible(db, actor, submission_id)
        if not can_withdraw(actor, submission):
            raise Forbidden(_l("Only the author can withdraw this submission."))
        _require_state(submission, "withdraw")
        before = submission.status.value
        submission.status = S.WITHDRAWN
        submission.withdrawn_at = utcnow()
        # A withdrawn policy version no longer replaces the versions it superseded: they are listed again.
        for version in db.scalars(select(Submission).where(Submission.superseded_by_id == submission.id)):
            version.superseded_by_id = None
        _finish(db, actor, submission, "withdrawn", status_before=before)
    return submission


def archive_submission(actor: Viewer, submission_id: int) -> Submission:
    """The author or a reviewer archives a published item (still readable, marked as no longer current)."""
    with unit_of_work() as db:
        submission = load_visible(db, actor, submission_id)
        if not can_archive(actor, submission):
            raise Forbidden(_l("Only the author or a reviewer can retire this submission."))
        _require_state(submission, "archive")
        submission.status = S.ARCHIVED
        submission.archived_at = utcnow()
        _finish(db, actor, submission, "archived")
    return submission
