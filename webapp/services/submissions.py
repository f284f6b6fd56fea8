"""Writing archive submissions: create a draft, edit (each edit a revision), change tier, new policy version."""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from webapp import policy
from webapp.db import unit_of_work
from webapp.models import Submission, SubmissionKind, SubmissionStatus, Tier, User, utcnow
from webapp.models.submission import MARKDOWN_FIELDS
from webapp.models.submission_revision import REVIEW_PENDING, REVIEW_REPLACED, SubmissionRevision
from webapp.policy import Viewer
from webapp.policy.archive import (
    author_viewer,
    can_change_tier,
    can_create_policy_version,
    can_create_submission,
    can_declassify,
    can_edit_submission,
    follows_its_round,
    is_originator,
    tier_change_refusal,
)
from webapp.policy.audience import AudienceRefusal
from webapp.policy.sections import readable_sections
from webapp.search.outbox import enqueue
from webapp.services import Conflict, Forbidden, NotFound, ServiceError
from webapp.services.audit import record
from webapp.services.release_schedule import check_release, parse_release, set_release
from webapp.services import notification_events, review_dates
from webapp.services.notifications import notify_user
from webapp.services.submission_fields import (
    STATUS_WORDS,
    add_revision,
    apply_fields,
    check_audience,
    item_tier_face,
    missing_for_submission,
    parse_group_id,
    parse_kind,
    parse_tier,
    snapshot,
)


# Snapshot key of a pending revision that lowers the audience: the audience it was proposed against (the lowering
# applies at publication only if the item still has it). Keys starting with "_" are bookkeeping, not diffed.
AUDIENCE_BEFORE = "_audience_before"

SYNTHESIS_EDIT_REFUSAL = _l("An outcome synthesis is written in its dialogue round; it cannot be edited here.")
SYNTHESIS_TIER_REFUSAL = _l("An outcome synthesis keeps the audience of its dialogue round; its tier cannot be changed.")


def load_visible(db: Session, actor: Viewer, submission_id: int) -> Submission:
    """The submission if `actor` may read it; NotFound otherwise (invisible means nonexistent)."""
    submission = db.get(Submission, submission_id, options=[selectinload(Submission.paragraphs)])
    if submission is None or not policy.can_view(actor, submission):
        raise NotFound()
    return submission


def create_submission(actor: Viewer, kind: Any, data: Mapping[str, Any], *, release_tier: Any = "",
                      release_at: Any = "", review_on: Any = None) -> Submission:
    """Save a new draft lesson learnt, good practice or responsible-AI policy (revision 1), with its optional
    scheduled release ("release to TIER on DATE", set when sharing: the author is its originator)."""
    if not can_create_submission(actor):
        raise Forbidden(_l("Only verified members of verified organisations can contribute."))
    submission_kind = parse_kind(kind)
    release = parse_release(release_tier, release_at)
    with unit_of_work() as db:
        author = db.get(User, actor.user_id)
        if author is None:
            raise Forbidden(_l("Only verified members of verified organisations can contribute."))
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
        review_dates.choose_on_form(db, actor, submission, review_on)  # before the flush: no audit row for a new item
        db.add(submission)
        db.flush()
        add_revision(db, actor, submission, "created")
        record(db, actor.user_id, "submission.created", "submission", submission.id,
               kind=submission_kind.value, tier=submission.tier.code)
        if release is not None:
            check_release(actor, submission, *release)  # a refusal leaves nothing saved: the form is shown again
            set_release(db, actor, submission, *release)
        enqueue(db, "submission", submission.id)
    return submission


def _widens(before: tuple[Tier, int | None], after: tuple[Tier, int | None]) -> bool:
    """Does the change let more people read? A lower tier, or dropping the sharing group."""
    return after[0] < before[0] or (before[1] is not None and after[1] is None)


def update_submission(
    actor: Viewer, submission_id: int, data: Mapping[str, Any], *, confirm_declassify: bool = False, note: str = "",
    review_on: Any = None,
) -> Submission:
    """Edit a submission as its author; every edit appends a revision. Lowering the tier needs confirmation.
    An edit of a published item is a pending revision: readers keep the published text (DESIGN.md rule 9)."""
    with unit_of_work() as db:
        submission = load_visible(db, actor, submission_id)
        if follows_its_round(submission):
            raise Conflict(SYNTHESIS_EDIT_REFUSAL)
        if not can_edit_submission(actor, submission):
            if submission.author_id != actor.user_id:
                raise Forbidden(_l("Only the author can edit this submission."))
            if submission.status is SubmissionStatus.SUBMITTED:
                raise Conflict(_l("A submission that is submitted cannot be edited while it is under review; "
                                  "withdraw it first."))
            raise Conflict(_l("A submission that is %(status)s cannot be edited.",
                              status=STATUS_WORDS[submission.status.value]))
        before_tier, before_group = submission.tier, submission.sharing_group_id
        pending = submission.status is SubmissionStatus.PUBLISHED
        # The review date is the originator's own choice, not reviewed text: it applies at once (audited).
        review_dates.choose_on_form(db, actor, submission, review_on)
        edited = _proposal(db, actor, submission, data) if pending else submission
        face_before = item_tier_face(submission)
        if not pending:
            apply_fields(db, actor, submission, data)
        else:
            # What readers will see must be complete: a published lesson cannot become "learnt" without evidence.
            missing = missing_for_submission(edited)
            if missing:
                raise ServiceError(_l("A published item must stay complete; fill in: %(fields)s.",
                                       fields=", ".join(str(label) for label in missing)))
        after = (edited.tier, edited.sharing_group_id)
        if _widens((before_tier, before_group), after):
            if not confirm_declassify:
                raise ServiceError(
                    _l("Lowering the tier makes this item readable by more people: confirm the declassification.")
                )
            if not can_declassify(actor, submission):
                raise Forbidden(_l("Only the author's organisation or a reviewer can lower the tier."))
            # On a published item the lowering waits with its text for the reviewer (applied by publish_revision).
            record(db, actor.user_id, "submission.declassification_proposed" if pending else "submission.declassified",
                   "submission", submission.id, before=before_tier.code, after=edited.tier.code)
        if pending:
            revision = _propose(db, actor, submission, edited, note)
        else:
            if item_tier_face(submission) != face_before:
                submission.updated_at = utcnow()  # only a change its item-tier readers can see moves it
            revision = add_revision(db, actor, submission, note or "edited")
        record(db, actor.user_id, "submission.revision_proposed" if pending else "submission.edited",
               "submission", submission.id, revision=revision.number,
               tier=submission.tier.code, tier_before=before_tier.code,
               group=submission.sharing_group_id, group_before=before_group)
        enqueue(db, "submission", submission.id)
    return submission


def _proposal(db: Session, actor: Viewer, submission: Submission, data: Mapping[str, Any]) -> Submission:
    """The edited fields on a transient copy (never added to the session): the published row stays as it is."""
    proposal = Submission(
        kind=submission.kind, status=submission.status, author_id=submission.author_id,
        author_organisation_id=submission.author_organisation_id, tier=submission.tier,
        sharing_group_id=submission.sharing_group_id, policy_series=submission.policy_series,
        keywords=[], key_points={}, section_tiers=dict(submission.section_tiers or {}),
    )
    with db.no_autoflush:
        apply_fields(db, actor, proposal, data)
    return proposal


def _propose(db: Session, actor: Viewer, submission: Submission, proposal: Submission, note: str):
    """Record `proposal` as the pending revision of a published item, replacing an earlier unreviewed one. A raise
    of the audience applies at once (rule 8); a confirmed lowering waits with the text it was meant for, so the
    published text is never opened to more readers than the originator chose for it (DESIGN.md §7)."""
    before = (submission.tier, submission.sharing_group_id)
    proposed = (proposal.tier, proposal.sharing_group_id)
    fields = snapshot(proposal)
    if _widens(before, proposed):
        fields[AUDIENCE_BEFORE] = {"tier": before[0].code, "sharing_group_id": before[1]}
    else:
        submission.tier, submission.sharing_group_id = proposed
    # A section given a higher tier is protected at once, like a raised item; a lowered one waits for review.
    raised = {name: proposal.section_tier(name).code for name in submission.markdown_fields()
              if proposal.section_tier(name) > submission.section_tier(name)}
    if raised:
        submission.section_tiers = {**(submission.section_tiers or {}), **raised}
    for earlier in db.scalars(select(SubmissionRevision).where(
            SubmissionRevision.submission_id == submission.id,
            SubmissionRevision.review_state == REVIEW_PENDING)):
        earlier.review_state = REVIEW_REPLACED
    revision = add_revision(db, actor, submission, note or "edited", fields=fields, review_state=REVIEW_PENDING,
                            audience=proposed)
    db.flush()
    notification_events.revision_pending(db, submission, actor_id=actor.user_id, revision=revision)
    return revision


TIER_CHANGE_REFUSALS: dict[AudienceRefusal, tuple[type[ServiceError], str]] = {
    AudienceRefusal.NOT_ALLOWED: (Forbidden,
        _l("Only the author, a reviewer of the author's organisation or a reviewer who may read this item can change "
        "its tier.")),
    AudienceRefusal.ONLY_ORIGINATOR: (Forbidden,
        _l("Only the originating organisation (the author, or a reviewer of the author's organisation) can lower the "
        "tier, widen the audience or set, change or remove the sharing group. You may raise the tier to protect "
        "the item, or propose the change to the originator on the tier page.")),
    AudienceRefusal.LOCKS_OUT_AUTHOR: (Conflict,
        _l("The author could no longer read this item at this tier: a change of audience never locks the author "
        "out of their own item. Nothing was changed.")),
    AudienceRefusal.LOCKS_OUT_ORGANISATION: (Conflict,
        _l("This change would take the item away from the author's organisation: a change of audience never removes "
        "the originating organisation's access. Nothing was changed.")),
}


def _refused(refusal: AudienceRefusal) -> ServiceError:
    error_class, message = TIER_CHANGE_REFUSALS[refusal]
    return error_class(message)


def change_submission_tier(
    actor: Viewer, submission_id: int, *, tier: Any, sharing_group_id: int | None, confirm: bool
) -> Submission:
    """Change who may read a submission (tier and sharing group). Lowering, widening and regrouping are the
    originator's; a reviewer may raise it (the author is told); nobody may lock the author out (DESIGN.md §7)."""
    new_tier = parse_tier(tier)
    sharing_group_id = parse_group_id(sharing_group_id)
    with unit_of_work() as db:
        submission = load_visible(db, actor, submission_id)
        apply_tier_change(db, actor, submission, new_tier, sharing_group_id, confirm=confirm)
    return submission


def apply_tier_change(
    db: Session, actor: Viewer, submission: Submission, new_tier: Tier, sharing_group_id: int | None, *,
    confirm: bool, **audit_details: Any
) -> None:
    """The one path of every change of audience, inside the caller's transaction: the tier form, an accepted
    proposal and a scheduled release (`audit_details` say which). Every check comes before any change."""
    if follows_its_round(submission):
        raise Conflict(SYNTHESIS_TIER_REFUSAL)
    if not can_change_tier(actor, submission):
        raise _refused(AudienceRefusal.NOT_ALLOWED)
    if submission.status is SubmissionStatus.WITHDRAWN:
        raise Conflict(_l("A withdrawn submission cannot change tier."))
    before_tier, before_group = submission.tier, submission.sharing_group_id
    check_audience(actor, new_tier, sharing_group_id, current_group_id=before_group)
    if (new_tier, sharing_group_id) == (before_tier, before_group):
        raise Conflict(_l("The tier and sharing group are unchanged."))
    refusal = tier_change_refusal(actor, submission, new_tier, sharing_group_id, author_viewer(db, submission))
    if refusal is not None:
        raise _refused(refusal)
    lowering = _widens((before_tier, before_group), (new_tier, sharing_group_id))
    if lowering and not confirm:
        raise ServiceError(
            _l("Lowering the tier makes this item readable by more people: confirm the declassification.")
        )
    by_author = actor.user_id == submission.author_id
    submission.tier, submission.sharing_group_id = new_tier, sharing_group_id
    submission.updated_at = utcnow()
    revision = add_revision(db, actor, submission, audit_details.get("revision_note", "tier changed"))
    record(db, actor.user_id, "submission.declassified" if lowering else "submission.tier_changed",
           "submission", submission.id, before=before_tier.code, after=new_tier.code,
           group_before=before_group, group=sharing_group_id, revision=revision.number,
           by_originator=is_originator(actor, submission), author_notified=not by_author,
           **{key: value for key, value in audit_details.items() if key != "revision_note"})
    if not by_author:
        # The author hears of any change of their item's audience made by someone else (mail and in-app).
        notify_user(db, submission.author_id, "tier_changed", submission)
    enqueue(db, "submission", submission.id)


def create_policy_version(actor: Viewer, submission_id: int) -> Submission:
    """Start a new draft version of a responsible-AI policy, keeping the series' history."""
    if not can_create_submission(actor):
        raise Forbidden(_l("Only verified members of verified organisations can contribute."))
    with unit_of_work() as db:
        previous = load_visible(db, actor, submission_id)
        if previous.kind is not SubmissionKind.RESPONSIBLE_AI_POLICY:
            raise Conflict(_l("Only responsible-AI policies have versions."))
        if not can_create_policy_version(actor, previous):
            raise Forbidden(_l("Only the issuing organisation can publish a new version of this policy."))
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
            # A new version keeps the tear lines of the text it copies: no section opens by being copied.
            "section_tiers": dict(previous.section_tiers or {}),
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


def record_submission_read(actor: Viewer, submission: Submission, how: str, shown_tiers=()) -> None:
    """Audit a read of restricted or confidential material (page view or export). `shown_tiers`: the tiers of the
    revisions shown with it, which keep the tier they were written under and may be above the item's; the
    sections the actor read count with their own tiers (tear lines)."""
    sections = [submission.section_tier(name) for name in readable_sections(actor, submission)
                if getattr(submission, f"{name}_source")]
    tier = max((submission.tier, *shown_tiers, *sections))
    if tier < Tier.RESTRICTED:
        return
    with unit_of_work() as db:
        record(db, actor.user_id, "submission.read", "submission", submission.id, tier=tier.code, how=how)
