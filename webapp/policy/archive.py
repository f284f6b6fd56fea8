"""Access rules of the archive: who reads, edits, reviews, withdraws, archives and declassifies submissions.

Read rule: the tier rule AND the item is published or archived. Unpublished items (draft, submitted, returned,
withdrawn) are readable by their author, and submitted ones also by reviewers (facilitators); both must still
pass the tier rule, so a reviewer never reads above their clearance and an author who lost clearance loses sight.
Exports, built from the submission, inherit its rule. A revision (and its note) is read under the submission's rule
AND the tier rule for the audience it was written under (recorded on the revision): lowering an item never lowers
its past, and a revision written before the item was raised is read at the item's new tier (DESIGN.md §7).
A proposed revision of a published item (pending, returned or replaced, DESIGN.md rule 9) is read only by its author
and by reviewers (facilitators) who may read the item, on top of that rule.
"""
from __future__ import annotations

from sqlalchemy import and_, exists, false, or_, true
from sqlalchemy.sql.elements import ColumnElement

from webapp.models import Submission, SubmissionKind, SubmissionRevision, SubmissionStatus, Tier
from webapp.models.submission import READABLE_STATUSES
from webapp.models.submission_revision import READER_REVIEW_STATES
from webapp.policy import (
    Viewer,
    may_use_group,
    max_authoring_tier,
    read_rule,
    tier_allows,
    tier_clause,
    viewer_for,
)
from webapp.policy.audience import AudienceRefusal, audience_change_refusal
from webapp.policy.sections import reads_every_revision_section, reads_every_section

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
    """SQL: revisions `viewer` may read: the submission now, and the audience the revision was written under."""
    written_under = tier_clause(
        viewer,
        tier=SubmissionRevision.tier,
        sharing_group_id=SubmissionRevision.sharing_group_id,
        author_organisation_id=SubmissionRevision.author_organisation_id,
    )
    # A correlated EXISTS: one primary-key probe per revision, not the list of every readable submission.
    readable_item = exists().where(Submission.id == SubmissionRevision.submission_id, submission_clause(viewer))
    return and_(written_under, readable_item, _proposal_clause(viewer))


def _proposal_clause(viewer: Viewer) -> ColumnElement[bool]:
    """SQL: a revision readers were shown, or a proposal the viewer wrote or may review."""
    shown = SubmissionRevision.review_state.in_(READER_REVIEW_STATES)
    if not viewer.is_verified or viewer.user_id is None:
        return shown
    if viewer.is_facilitator:
        return true()
    return or_(shown, SubmissionRevision.author_id == viewer.user_id)


def can_read_proposal(viewer: Viewer, revision: SubmissionRevision) -> bool:
    """A revision readers were shown, or a proposal (pending, returned, replaced) of the viewer's or for review."""
    if revision.review_state in READER_REVIEW_STATES:
        return True
    if not viewer.is_verified or viewer.user_id is None:
        return False
    return viewer.is_facilitator or revision.author_id == viewer.user_id


def can_view_revision(viewer: Viewer, revision: SubmissionRevision) -> bool:
    """Python twin of revision_clause: never less restricted than the item now, nor than when it was written."""
    if not tier_allows(viewer, revision.tier, revision.sharing_group_id, revision.author_organisation_id):
        return False
    return can_read_proposal(viewer, revision) and can_view_submission(viewer, revision.submission)


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
    """Facilitators who pass the tier rule review others' submissions (never their own), and only if they read
    every section (tear lines): nobody publishes text they could not read."""
    return (
        viewer.is_facilitator
        and submission.author_id != viewer.user_id
        and can_view_submission(viewer, submission)
        and reads_every_section(viewer, submission)
    )


def can_review_revision(viewer: Viewer, submission: Submission, revision: SubmissionRevision | None = None) -> bool:
    """Publishing or returning a pending revision of a published item: a reviewer who may read it, not its author,
    and who reads every section of the revision (tear lines)."""
    return (submission.status in READABLE and can_review(viewer, submission)
            and (revision is None or reads_every_revision_section(viewer, submission, revision)))


def sees_pending_revision(viewer: Viewer, submission: Submission, revision: SubmissionRevision | None = None) -> bool:
    """Is "a revision is waiting for review" shown? To the author and to reviewers who may review it (for a
    reviewer who could not read all of it, there is nothing to review)."""
    if _is_author(viewer, submission) and _tier_ok(viewer, submission):
        return True
    return can_review(viewer, submission) and (
        revision is None or reads_every_revision_section(viewer, submission, revision))


def can_withdraw(viewer: Viewer, submission: Submission) -> bool:
    """Only the author withdraws."""
    return _is_author(viewer, submission) and _tier_ok(viewer, submission)


def can_archive(viewer: Viewer, submission: Submission) -> bool:
    """The author or a reviewer archives a published item."""
    return can_withdraw(viewer, submission) or (viewer.is_facilitator and can_view_submission(viewer, submission))


def is_originator(viewer: Viewer, submission: Submission) -> bool:
    """The originating organisation acting (DESIGN.md rule 8): the author, or, until focal points exist, a reviewer
    (facilitator) of the author's organisation; either must be able to read the item."""
    if not viewer.is_verified or not can_view_submission(viewer, submission):
        return False
    if _is_author(viewer, submission):
        return True
    return viewer.is_facilitator and viewer.organisation_id == submission.author_organisation_id


def can_declassify(viewer: Viewer, submission: Submission) -> bool:
    """Lowering the tier, removing or changing the sharing group, widening the audience: the originator only.
    Anyone else may only propose it."""
    return not follows_its_round(submission) and is_originator(viewer, submission)


def can_propose_declassification(viewer: Viewer, submission: Submission) -> bool:
    """A reviewer or facilitator from elsewhere who may read the item may propose lowering or widening it; the
    originator decides (DESIGN.md rule 8). The originator itself just changes it."""
    return (not follows_its_round(submission) and viewer.is_verified and viewer.is_facilitator
            and can_view_submission(viewer, submission) and not is_originator(viewer, submission))


def can_change_tier(viewer: Viewer, submission: Submission) -> bool:
    """The tier form: the originator, or a reviewer who may read the item (who may only raise it). Colleagues of
    the author who are neither author nor reviewer change nothing."""
    if follows_its_round(submission):
        return False
    if is_originator(viewer, submission):
        return True
    return viewer.is_verified and viewer.is_facilitator and can_view_submission(viewer, submission)


def author_viewer(db, submission: Submission) -> Viewer:
    """The author as the tier rule sees them now (their clearance and groups), to keep them from being locked out."""
    return viewer_for(submission.author, db)


def tier_change_refusal(
    viewer: Viewer, submission: Submission, tier: Tier, sharing_group_id: int | None, author: Viewer
) -> AudienceRefusal | None:
    """Why `viewer` may not give the item this tier and group (None: allowed). The one rule of the tier form and
    of change_submission_tier; the actor's own clearance and groups are checked beside it (check_audience)."""
    if not can_change_tier(viewer, submission):
        return AudienceRefusal.NOT_ALLOWED
    return audience_change_refusal(
        viewer,
        originator=is_originator(viewer, submission),
        old=(submission.tier, submission.sharing_group_id, submission.author_organisation_id),
        new=(tier, sharing_group_id, submission.author_organisation_id),
        authors=[author],
    )


def tier_choices_for(viewer: Viewer, submission: Submission, author: Viewer) -> list[Tier]:
    """The tiers the tier form offers `viewer` at the item's current group: its own tier and every allowed one."""
    return [
        tier for tier in Tier
        if tier is submission.tier or (
            may_assign_tier(viewer, tier)
            and tier_change_refusal(viewer, submission, tier, submission.sharing_group_id, author) is None
        )
    ]


def may_choose_group(viewer: Viewer, submission: Submission) -> bool:
    """May the tier form offer a choice of sharing group? Only to the originator; anyone else keeps the item's."""
    return can_declassify(viewer, submission)


def offers_tier_change(viewer: Viewer, submission: Submission) -> bool:
    """Show the tier button? To the originator, and to a reviewer with a tier above the item's to give it."""
    if not can_change_tier(viewer, submission):
        return False
    return can_declassify(viewer, submission) or submission.tier < max_authoring_tier(viewer)


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
