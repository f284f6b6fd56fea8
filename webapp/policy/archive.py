"""Access rules of the archive: who reads, edits, reviews, withdraws, archives and declassifies submissions.

Read rule: the tier rule AND the item is published or archived. Unpublished items (draft, submitted, returned,
withdrawn) are readable by their author, and submitted ones also by reviewers (facilitators); both must still
pass the tier rule, so a reviewer never reads above their clearance and an author who lost clearance loses sight.
Revisions (and exports, which are built from the submission) inherit the submission's rule.
"""
from __future__ import annotations

from sqlalchemy import and_, exists, false, or_
from sqlalchemy.sql.elements import ColumnElement

from webapp.models import Submission, SubmissionKind, SubmissionRevision, SubmissionStatus, Tier
from webapp.models.submission import READABLE_STATUSES
from webapp.policy import Viewer, may_use_group, max_authoring_tier, read_rule, tier_allows, tier_clause

READABLE = READABLE_STATUSES
EDITABLE = (SubmissionStatus.DRAFT, SubmissionStatus.RETURNED, SubmissionStatus.PUBLISHED)


def _tier_ok(viewer: Viewer, submission: Submission) -> bool:
    return tier_allows(viewer, submission.tier, submission.sharing_group_id, submission.author_organisation_id)


def _is_author(viewer: Viewer, submission: Submission) -> bool:
    return viewer.is_verified and viewer.user_id is not None and submission.author_id == viewer.user_id


def submission_clause(viewer: Viewer) -> ColumnElement[bool]:
    """SQL: the submissions `viewer` may read."""
    tier_ok = tier_clause(
        viewer,
        tier=Submission.tier,
        sharing_group_id=Submission.sharing_group_id,
        author_organisation_id=Submission.author_organisation_id,
    )
    if not viewer.is_verified or viewer.user_id is None:
        return and_(tier_ok, Submission.status.in_(READABLE))
    # The tier rule is common to every branch; factored out so that the database can use the status index.
    own = Submission.author_id == viewer.user_id
    under_review = Submission.status == SubmissionStatus.SUBMITTED if viewer.is_facilitator else false()
    return and_(tier_ok, or_(Submission.status.in_(READABLE), own, under_review))


def can_view_submission(viewer: Viewer, submission: Submission) -> bool:
    """Python twin of submission_clause."""
    if not _tier_ok(viewer, submission):
        return False
    if submission.status in READABLE:
        return True
    if _is_author(viewer, submission):
        return True
    return viewer.is_facilitator and submission.status is SubmissionStatus.SUBMITTED


def revision_clause(viewer: Viewer) -> ColumnElement[bool]:
    """SQL: revisions of submissions `viewer` may read (never less restricted than the submission)."""
    # A correlated EXISTS: one primary-key probe per revision, not the list of every readable submission.
    return exists().where(Submission.id == SubmissionRevision.submission_id, submission_clause(viewer))


def can_view_revision(viewer: Viewer, revision: SubmissionRevision) -> bool:
    """A revision is readable exactly when its submission is."""
    return can_view_submission(viewer, revision.submission)


read_rule(Submission, clause=submission_clause, predicate=can_view_submission)
read_rule(SubmissionRevision, clause=revision_clause, predicate=can_view_revision)


# ---------------------------------------------------------------- named predicates for writes


def can_create_submission(viewer: Viewer) -> bool:
    """Verified members of verified organisations contribute."""
    return viewer.is_verified


def follows_its_round(submission: Submission) -> bool:
    """An outcome synthesis is written in its dialogue round and keeps the round's audience (DESIGN.md §2.4):
    it is not edited, nor its tier changed, from the archive."""
    return submission.kind is SubmissionKind.OUTCOME_SYNTHESIS


def can_edit_submission(viewer: Viewer, submission: Submission) -> bool:
    """The author edits a draft, a returned item or a published one (each edit is a revision)."""
    return (
        _is_author(viewer, submission) and _tier_ok(viewer, submission) and submission.status in EDITABLE
        and not follows_its_round(submission)
    )


def can_submit(viewer: Viewer, submission: Submission) -> bool:
    """The author sends a draft or returned item for review."""
    return _is_author(viewer, submission) and _tier_ok(viewer, submission)


def can_review(viewer: Viewer, submission: Submission) -> bool:
    """Facilitators who pass the tier rule review others' submissions (never their own)."""
    return (
        viewer.is_facilitator
        and submission.author_id != viewer.user_id
        and can_view_submission(viewer, submission)
    )


def can_withdraw(viewer: Viewer, submission: Submission) -> bool:
    """Only the author withdraws."""
    return _is_author(viewer, submission) and _tier_ok(viewer, submission)


def can_archive(viewer: Viewer, submission: Submission) -> bool:
    """The author or a reviewer archives a published item."""
    return can_withdraw(viewer, submission) or (viewer.is_facilitator and can_view_submission(viewer, submission))


def can_declassify(viewer: Viewer, submission: Submission) -> bool:
    """Lowering the tier: the author's organisation or a reviewer, who can read the item (DESIGN.md §2.5)."""
    if not can_view_submission(viewer, submission) or not viewer.is_verified or follows_its_round(submission):
        return False
    return viewer.organisation_id == submission.author_organisation_id or viewer.is_facilitator


def can_change_tier(viewer: Viewer, submission: Submission) -> bool:
    """The author changes the audience of their item; the organisation or a reviewer may also lower it."""
    if follows_its_round(submission):
        return False
    return can_withdraw(viewer, submission) or can_declassify(viewer, submission)


def can_create_policy_version(viewer: Viewer, submission: Submission) -> bool:
    """Only the issuing organisation publishes a new version of its responsible-AI policy."""
    return can_create_submission(viewer) and viewer.organisation_id == submission.author_organisation_id


def can_see_review_queue(viewer: Viewer) -> bool:
    """Facilitators see the queue of submitted items (filtered by tier)."""
    return viewer.is_facilitator


def can_publish_outcome_synthesis(viewer: Viewer) -> bool:
    """Outcome syntheses of dialogue rounds are written and published by facilitators."""
    return viewer.is_facilitator


def may_assign_tier(viewer: Viewer, tier: Tier) -> bool:
    """An author never sets a tier above their own clearance."""
    return viewer.is_verified and tier <= max_authoring_tier(viewer)


def may_assign_group(viewer: Viewer, group_id: int | None) -> bool:
    """No group, or a group the author belongs to."""
    return group_id is None or may_use_group(viewer, group_id)


def shows_author(submission: Submission) -> bool:
    """Is the author organisation shown with a submission — in pages, feeds and exports alike? Chatham House
    syntheses credit "the facilitators of the dialogue round" and show no organisation to anyone (the round's
    facilitators see who took part in the round itself)."""
    return not submission.chatham_house
