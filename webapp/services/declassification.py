"""Declassification belongs to the originator (DESIGN.md rule 8, docs §7): proposals and scheduled releases.

Someone from elsewhere who may read an item (a reviewer of another organisation) proposes lowering or widening
it, with a reason; the originator accepts (the change goes through submissions.apply_tier_change as the
originator's own act) or refuses. The originator may also schedule "release to TIER at TIME": the job engine's
periodic job `archive.scheduled_releases` carries it out once (release_due), as the originator's act.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import policy
from webapp.db import unit_of_work
from webapp.models import DialogueRound, ScheduledRelease, Submission, SubmissionStatus, Tier, TierProposal, User, Watch, utcnow
from webapp.policy import Viewer
from webapp.policy.archive import can_declassify, can_propose_declassification, is_originator
from webapp.policy.dialogue import is_round_originator
from webapp.services import Conflict, Forbidden, NotFound, ServiceError
from webapp.services.audit import record
from webapp.services.notifications import notify_user, notify_users
from webapp.services.round_audience import apply_round_audience_change
from webapp.services.release_schedule import (  # noqa: F401  (parse_release_at, pending_release: shared names)
    check_release,
    parse_release_at,
    pending_release,
    set_release,
)
from webapp.services.submission_fields import parse_group_id, parse_tier
from webapp.services.submissions import _widens, apply_tier_change, load_visible

MAX_REASON = 2000
ALREADY_ANSWERED = {
    "accepted": _l("This proposal was already accepted."),
    "refused": _l("This proposal was already refused."),
    "withdrawn": _l("This proposal was already withdrawn."),
}
ONLY_ORIGINATOR_ANSWERS_ROUND = _l("Only the facilitating organisation (the round's creator, or a co-facilitator of "
                                 "its organisation) can answer a proposal to lower this round. Nothing was changed.")
ONLY_ORIGINATOR_ANSWERS = _l("Only the originating organisation (the author, or a reviewer of the author's "
                           "organisation) can answer a proposal to lower this item. Nothing was changed.")


def reason_text(value: Any, *, required: bool) -> str:
    reason = " ".join(str(value or "").split())
    if required and not reason:
        raise ServiceError(_l("Give a reason for the proposal: the originator decides on it."))
    if len(reason) > MAX_REASON:
        raise ServiceError(_l("The reason is too long (at most %(n)s characters).", n=format_decimal(MAX_REASON)))
    return reason


def originators(db: Session, submission: Submission) -> list[User]:
    """Who answers for the item: its author and the reviewers of the author's organisation who may read it."""
    candidates = db.scalars(select(User).where(
        (User.id == submission.author_id)
        | ((User.organisation_id == submission.author_organisation_id) & User.is_facilitator.is_(True))
    ).order_by(User.id))
    return [user for user in candidates if is_originator(policy.viewer_for(user, db), submission)]


# ---------------------------------------------------------------- proposals


def propose(actor: Viewer, submission_id: int, *, tier: Any, sharing_group_id: Any, reason: Any) -> TierProposal:
    """Ask the originator to lower the item to `tier` and/or drop its sharing group; the originators are told."""
    new_tier, group_id = parse_tier(tier), parse_group_id(sharing_group_id)
    with unit_of_work() as db:
        submission = load_visible(db, actor, submission_id)
        if not can_propose_declassification(actor, submission):
            if is_originator(actor, submission):
                raise Conflict(_l("You belong to the originating organisation: change the tier directly."))
            raise Forbidden(_l("Only a reviewer who may read this item can propose lowering it."))
        if submission.status is SubmissionStatus.WITHDRAWN:
            raise Conflict(_l("A withdrawn submission cannot change tier."))
        if group_id not in (None, submission.sharing_group_id):
            raise ServiceError(_l("A proposal may keep the item's sharing group or remove it, not choose another."))
        if new_tier is Tier.PUBLIC and group_id is not None:
            raise ServiceError(_l("A public item is open to everyone, so it cannot be limited to a sharing group: "
                               "choose the community tier or higher."))
        if not _widens((submission.tier, submission.sharing_group_id), (new_tier, group_id)):
            raise ServiceError(_l("A proposal lowers the tier or removes the sharing group; to raise the tier, "
                               "change it directly."))
        text = reason_text(reason, required=True)
        if db.scalar(select(TierProposal.id).where(TierProposal.submission_id == submission.id,
                                                   TierProposal.proposer_id == actor.user_id,
                                                   TierProposal.status == "pending")):
            raise Conflict(_l("You already have a proposal waiting for the originator's answer on this item."))
        proposal = TierProposal(submission_id=submission.id, proposer_id=actor.user_id, tier=new_tier,
                                sharing_group_id=group_id, reason=text, status="pending", created_at=utcnow())
        db.add(proposal)
        db.flush()
        record(db, actor.user_id, "submission.declassification_proposed", "submission", submission.id,
               proposal=proposal.id, tier=new_tier.code, group=group_id, tier_before=submission.tier.code,
               group_before=submission.sharing_group_id, reason=text)
        notify_users(db, originators(db, submission), "declassification_proposed", submission,
                     actor_id=actor.user_id)
    return proposal


def proposal_target(proposal: TierProposal) -> Submission | DialogueRound | None:
    """What a proposal is about: its submission, or its dialogue round (None once deleted)."""
    return proposal.round if proposal.target_kind == "round" else proposal.submission


def _answers_for_originator(actor: Viewer, proposal: TierProposal) -> bool:
    target = proposal_target(proposal)
    if proposal.target_kind == "round":
        return is_round_originator(actor, target)
    return can_declassify(actor, target)


def _pending_for_originator(db: Session, actor: Viewer, proposal_id: int) -> TierProposal:
    proposal = db.get(TierProposal, proposal_id)
    if proposal is None or proposal_target(proposal) is None or not policy.can_view(actor, proposal_target(proposal)):
        raise NotFound()
    if not _answers_for_originator(actor, proposal):
        raise Forbidden(ONLY_ORIGINATOR_ANSWERS_ROUND if proposal.target_kind == "round" else ONLY_ORIGINATOR_ANSWERS)
    if proposal.status != "pending":
        raise Conflict(ALREADY_ANSWERED.get(proposal.status, ALREADY_ANSWERED["refused"]))
    return proposal


def _answered(db: Session, actor: Viewer, proposal: TierProposal, status: str, reason: str) -> None:
    proposal.status, proposal.answered_by_id, proposal.answered_at = status, actor.user_id, utcnow()
    proposal.answer_reason = reason
    target = proposal_target(proposal)
    kind, object_kind = ("round", "dialogue_round") if proposal.target_kind == "round" else ("submission", "submission")
    record(db, actor.user_id, f"{kind}.declassification_{status}", object_kind, target.id,
           proposal=proposal.id, proposer=proposal.proposer_id, tier=proposal.tier.code,
           group=proposal.sharing_group_id, reason=reason)
    notify_user(db, proposal.proposer_id, "declassification_answered", target)


def accept(actor: Viewer, proposal_id: int) -> TierProposal:
    """The originator accepts: the change is applied as the originator's own act; the proposer is told."""
    with unit_of_work() as db:
        proposal = _pending_for_originator(db, actor, proposal_id)
        if proposal.target_kind == "round":
            apply_round_audience_change(db, actor, proposal.round, proposal.tier, proposal.sharing_group_id,
                                        proposal=proposal.id)
        else:
            apply_tier_change(db, actor, proposal.submission, proposal.tier, proposal.sharing_group_id,
                              confirm=True, proposal=proposal.id, revision_note="tier changed (proposal accepted)")
        _answered(db, actor, proposal, "accepted", "")
    return proposal


def refuse(actor: Viewer, proposal_id: int, reason: Any = "") -> TierProposal:
    """The originator refuses (with an optional reason): nothing changes; the proposer is told."""
    with unit_of_work() as db:
        proposal = _pending_for_originator(db, actor, proposal_id)
        _answered(db, actor, proposal, "refused", reason_text(reason, required=False))
    return proposal


def pending_for(db: Session, actor: Viewer, submission: Submission) -> list[TierProposal]:
    """The proposals waiting on an item, for its originator (nobody else sees them on the item page)."""
    if not can_declassify(actor, submission):
        return []
    return list(db.scalars(select(TierProposal).where(TierProposal.submission_id == submission.id,
                                                      TierProposal.status == "pending").order_by(TierProposal.id)))


def proposals_by(db: Session, actor: Viewer) -> list[tuple[TierProposal, bool]]:
    """The actor's own proposals, newest first, each with whether the actor may still read its item."""
    rows = db.scalars(select(TierProposal).where(TierProposal.proposer_id == actor.user_id)
                      .order_by(TierProposal.id.desc()))
    return [(proposal, proposal_target(proposal) is not None and policy.can_view(actor, proposal_target(proposal)))
            for proposal in rows]


# ---------------------------------------------------------------- scheduled releases


def schedule_release(actor: Viewer, submission_id: int, *, tier: Any, release_at: Any) -> ScheduledRelease:
    """Set (or change) "release to TIER at TIME" on an item, as its originator; audited."""
    new_tier, moment = parse_tier(tier), parse_release_at(release_at)
    with unit_of_work() as db:
        submission = load_visible(db, actor, submission_id)
        check_release(actor, submission, new_tier, moment)
        return set_release(db, actor, submission, new_tier, moment)


def cancel_release(actor: Viewer, submission_id: int) -> ScheduledRelease:
    """Cancel the item's scheduled release, as its originator; audited."""
    with unit_of_work() as db:
        submission = load_visible(db, actor, submission_id)
        if not can_declassify(actor, submission):
            raise Forbidden(_l("Only the originating organisation can cancel a scheduled release."))
        release = pending_release(db, submission.id)
        if release is None:
            raise Conflict(_l("This item has no scheduled release."))
        release.status, release.finished_at, release.outcome = "cancelled", utcnow(), "cancelled"
        record(db, actor.user_id, "submission.release_cancelled", "submission", submission.id,
               release=release.id, tier=release.tier.code, release_at=release.release_at.isoformat())
    return release


def _skip(db: Session, release: ScheduledRelease, now: datetime, why: str) -> None:
    release.status, release.finished_at, release.outcome = "skipped", now, why
    record(db, release.scheduled_by_id, "submission.release_skipped", "submission", release.item_id,
           release=release.id, tier=release.tier.code, reason=why, how="scheduled release")


def _release(db: Session, release: ScheduledRelease, now: datetime) -> None:
    submission = db.get(Submission, release.submission_id) if release.submission_id is not None else None
    if submission is None:
        return _skip(db, release, now, "the item was deleted: nothing was released")
    if submission.status is SubmissionStatus.WITHDRAWN:
        return _skip(db, release, now, "the item was withdrawn: nothing was released")
    if submission.tier <= release.tier:
        return _skip(db, release, now, "the item is already at or below this tier: nothing was changed")
    scheduler = db.get(User, release.scheduled_by_id) if release.scheduled_by_id is not None else None
    actor = policy.viewer_for(scheduler, db)
    if scheduler is None or not can_declassify(actor, submission):
        return _skip(db, release, now, "whoever scheduled it no longer acts for the originator: nothing was released")
    watchers = list(db.scalars(select(User).join(Watch, Watch.user_id == User.id).where(
        Watch.target_kind == "paragraph", Watch.target_id.in_(submission.paragraph_numbers)).distinct()))
    could_read = {user.id for user in watchers if policy.can_view(policy.viewer_for(user, db), submission)}
    try:
        with db.begin_nested():  # a refused change (e.g. it would lock the author out) leaves nothing behind
            apply_tier_change(db, actor, submission, release.tier, submission.sharing_group_id, confirm=True,
                              how="scheduled release", release=release.id, revision_note="scheduled release")
    except ServiceError as error:
        return _skip(db, release, now, f"refused: {error.message}")
    release.status, release.finished_at, release.outcome = "done", now, "released"
    notify_user(db, scheduler.id, "scheduled_release_done", submission)
    if submission.status is SubmissionStatus.PUBLISHED:
        notify_users(db, [user for user in watchers if user.id not in could_read], "published", submission,
                     actor_id=scheduler.id)
    return None


def release_due(db: Session, now: datetime) -> int:
    """Carry out every scheduled release due at `now`, each exactly once (its row leaves "pending" in this
    transaction; on PostgreSQL a concurrent run skips the rows this one holds). Returns how many were handled."""
    due = list(db.scalars(select(ScheduledRelease).where(ScheduledRelease.status == "pending",
                                                         ScheduledRelease.release_at <= now)
                          .order_by(ScheduledRelease.release_at, ScheduledRelease.id)
                          .with_for_update(skip_locked=True)))
    from webapp.services.round_declassification import release_round  # it builds on this module

    for release in due:
        (release_round if release.target_kind == "round" else _release)(db, release, now)
    return len(due)


def release_due_now() -> int:
    """The periodic job: release what is due, in its own transaction."""
    with unit_of_work() as db:
        return release_due(db, utcnow())
