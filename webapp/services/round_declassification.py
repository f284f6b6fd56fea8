"""Declassification of dialogue rounds and their outcome syntheses (DESIGN.md rule 8, issue 11 §1).

The facilitating organisation is the round's originator (policy.dialogue.is_round_originator). A facilitator
from elsewhere who may read the round proposes lowering or widening it, with a reason; the originator accepts or
refuses (declassification.accept/refuse, shared with archive items). The originator may schedule "release to TIER
at TIME": the job engine's `archive.scheduled_releases` carries it out once (release_round), as the originator's
act. The round's threads and its synthesis always move with it (round_audience.apply_round_audience_change).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import policy
from webapp.db import unit_of_work
from webapp.models import DialogueRound, ScheduledRelease, Tier, TierProposal, User, Watch, utcnow
from webapp.policy import Viewer
from webapp.policy.dialogue import (
    audience_within,
    can_manage_round,
    can_propose_round_declassification,
    is_round_originator,
)
from webapp.services import Conflict, Forbidden, NotFound, ServiceError
from webapp.services.audit import record
from webapp.services.declassification import reason_text
from webapp.services.release_schedule import parse_release_at
from webapp.services.notifications import notify_user, notify_users
from webapp.services.round_audience import apply_round_audience_change, round_syntheses
from webapp.services.submission_fields import check_audience, parse_group_id, parse_tier

ONLY_ORIGINATOR_SCHEDULES = _l("Only the facilitating organisation (the round's creator, or a co-facilitator of its "
                             "organisation) can schedule or cancel the round's release. Nothing was changed.")


def _visible_round(db: Session, actor: Viewer, round_id: int) -> DialogueRound:
    round_ = db.get(DialogueRound, round_id)
    if round_ is None or not policy.can_view(actor, round_):
        raise NotFound()
    return round_


def round_originators(db: Session, round_: DialogueRound) -> list[User]:
    """Who answers for the round: its facilitators who act for the facilitating organisation."""
    return [user for user in round_.facilitators if is_round_originator(policy.viewer_for(user, db), round_)]


def propose_round(actor: Viewer, round_id: int, *, tier: Any, sharing_group_id: Any, reason: Any) -> TierProposal:
    """Ask the facilitating organisation to lower the round (and its synthesis) or drop its group; it is told."""
    new_tier, group_id = parse_tier(tier), parse_group_id(sharing_group_id)
    with unit_of_work() as db:
        round_ = _visible_round(db, actor, round_id)
        if not can_propose_round_declassification(actor, round_):
            if is_round_originator(actor, round_):
                raise Conflict(_l("You act for the facilitating organisation: change the round's tier directly."))
            raise Forbidden(_l("Only a facilitator who may read this round can propose lowering it."))
        if group_id not in (None, round_.sharing_group_id):
            raise ServiceError(_l("A proposal may keep the round's sharing group or remove it, not choose another."))
        if new_tier is Tier.PUBLIC and group_id is not None:
            raise ServiceError(_l("A public round is open to everyone, so it cannot be limited to a sharing group: "
                               "choose the community tier or higher."))
        if audience_within((new_tier, group_id, round_.organisation_id),
                           (round_.tier, round_.sharing_group_id, round_.organisation_id)):
            raise ServiceError(_l("A proposal lowers the tier or removes the sharing group; to raise the tier, "
                               "change it directly."))
        text = reason_text(reason, required=True)
        if db.scalar(select(TierProposal.id).where(TierProposal.round_id == round_.id,
                                                   TierProposal.proposer_id == actor.user_id,
                                                   TierProposal.status == "pending")):
            raise Conflict(_l("You already have a proposal waiting for the originator's answer on this round."))
        proposal = TierProposal(target_kind="round", round_id=round_.id, proposer_id=actor.user_id, tier=new_tier,
                                sharing_group_id=group_id, reason=text, status="pending", created_at=utcnow())
        db.add(proposal)
        db.flush()
        record(db, actor.user_id, "round.declassification_proposed", "dialogue_round", round_.id,
               proposal=proposal.id, tier=new_tier.code, group=group_id, tier_before=round_.tier.code,
               group_before=round_.sharing_group_id, reason=text)
        notify_users(db, round_originators(db, round_), "declassification_proposed", round_, actor_id=actor.user_id)
    return proposal


def raise_round_tier(actor: Viewer, round_id: int, *, tier: Any) -> DialogueRound:
    """Raise the round (its threads and synthesis) now, keeping its group: any of its facilitators, even once it is
    concluded (raising protects and never waits); audited, the creator told of someone else's act."""
    new_tier = parse_tier(tier)
    with unit_of_work() as db:
        round_ = _visible_round(db, actor, round_id)
        if not can_manage_round(actor, round_):
            raise Forbidden(_l("Only this round's facilitators can raise its tier."))
        if new_tier <= round_.tier:
            raise ServiceError(_l("Choose a tier above the round's current one; to lower it, its facilitating "
                               "organisation decides (or schedules a release)."))
        apply_round_audience_change(db, actor, round_, new_tier, round_.sharing_group_id, how="raised")
    return round_


def pending_round_proposals(db: Session, actor: Viewer, round_: DialogueRound) -> list[TierProposal]:
    """The proposals waiting on a round, for its originator (nobody else sees them)."""
    if not is_round_originator(actor, round_):
        return []
    return list(db.scalars(select(TierProposal).where(TierProposal.round_id == round_.id,
                                                      TierProposal.status == "pending").order_by(TierProposal.id)))


def pending_round_release(db: Session, round_id: int) -> ScheduledRelease | None:
    """The round's scheduled release still to happen, if any."""
    return db.scalar(select(ScheduledRelease).where(ScheduledRelease.round_id == round_id,
                                                    ScheduledRelease.status == "pending"))


def check_round_release(actor: Viewer, round_: DialogueRound, tier: Tier, moment: datetime) -> None:
    """Refuse a release the originator may not schedule: past, to the same or a higher tier, beyond clearance."""
    if not is_round_originator(actor, round_):
        raise Forbidden(ONLY_ORIGINATOR_SCHEDULES)
    if moment <= utcnow():
        raise ServiceError(_l("The release date must be in the future."))
    if tier == round_.tier:
        raise ServiceError(_l("The round is already at this tier: choose a lower tier to release it to."))
    if tier > round_.tier:
        raise ServiceError(_l("A release lowers the tier; to raise it, change the tier now (raising never waits)."))
    check_audience(actor, tier, round_.sharing_group_id, current_group_id=round_.sharing_group_id)


def add_round_release(db: Session, actor: Viewer, round_: DialogueRound, tier: Tier,
                      moment: datetime) -> ScheduledRelease:
    """Inside the caller's transaction: set or change the round's release (checked already); audited."""
    release = pending_round_release(db, round_.id)
    if release is None:
        release = ScheduledRelease(target_kind="round", round_id=round_.id, item_id=round_.id, status="pending",
                                   created_at=utcnow(), tier=tier, release_at=moment, scheduled_by_id=actor.user_id)
        db.add(release)
        db.flush()
        record(db, actor.user_id, "round.release_scheduled", "dialogue_round", round_.id,
               release=release.id, tier=tier.code, release_at=moment.isoformat())
    else:
        before = (release.tier.code, release.release_at.isoformat())
        release.tier, release.release_at, release.scheduled_by_id = tier, moment, actor.user_id
        record(db, actor.user_id, "round.release_rescheduled", "dialogue_round", round_.id,
               release=release.id, tier=tier.code, release_at=moment.isoformat(),
               tier_before=before[0], release_at_before=before[1])
    return release


def schedule_round_release(actor: Viewer, round_id: int, *, tier: Any, release_at: Any) -> ScheduledRelease:
    """Set (or change) "release to TIER at TIME" on a round (and its synthesis), as its originator; audited."""
    new_tier, moment = parse_tier(tier), parse_release_at(release_at)
    with unit_of_work() as db:
        round_ = _visible_round(db, actor, round_id)
        check_round_release(actor, round_, new_tier, moment)
        return add_round_release(db, actor, round_, new_tier, moment)


def cancel_round_release(actor: Viewer, round_id: int) -> ScheduledRelease:
    """Cancel the round's scheduled release, as its originator; audited."""
    with unit_of_work() as db:
        round_ = _visible_round(db, actor, round_id)
        if not is_round_originator(actor, round_):
            raise Forbidden(ONLY_ORIGINATOR_SCHEDULES)
        release = pending_round_release(db, round_.id)
        if release is None:
            raise Conflict(_l("This round has no scheduled release."))
        release.status, release.finished_at, release.outcome = "cancelled", utcnow(), "cancelled"
        record(db, actor.user_id, "round.release_cancelled", "dialogue_round", round_.id,
               release=release.id, tier=release.tier.code, release_at=release.release_at.isoformat())
    return release


def _skip(db: Session, release: ScheduledRelease, now: datetime, why: str) -> None:
    release.status, release.finished_at, release.outcome = "skipped", now, why
    record(db, release.scheduled_by_id, "round.release_skipped", "dialogue_round", release.item_id,
           release=release.id, tier=release.tier.code, reason=why, how="scheduled release")


def _watchers(db: Session, round_: DialogueRound) -> list[User]:
    numbers = [paragraph.number for paragraph in round_.paragraphs]
    return list(db.scalars(select(User).join(Watch, Watch.user_id == User.id).where(
        ((Watch.target_kind == "paragraph") & Watch.target_id.in_(numbers))
        | ((Watch.target_kind == "round") & (Watch.target_id == round_.id))).distinct().order_by(User.id)))


def release_round(db: Session, release: ScheduledRelease, now: datetime) -> None:
    """Carry out one due round release (the caller holds its row), or say in the audit log why it did nothing."""
    round_ = db.get(DialogueRound, release.round_id) if release.round_id is not None else None
    if round_ is None:
        return _skip(db, release, now, "the round was deleted: nothing was released")
    if round_.tier <= release.tier:
        return _skip(db, release, now, "the round is already at or below this tier: nothing was changed")
    scheduler = db.get(User, release.scheduled_by_id) if release.scheduled_by_id is not None else None
    actor = policy.viewer_for(scheduler, db)
    if scheduler is None or not is_round_originator(actor, round_):
        return _skip(db, release, now, "whoever scheduled it no longer acts for the originator: nothing was released")
    watchers = _watchers(db, round_)
    could_read = {user.id for user in watchers if policy.can_view(policy.viewer_for(user, db), round_)}
    try:
        with db.begin_nested():  # a refused change leaves nothing behind
            apply_round_audience_change(db, actor, round_, release.tier, round_.sharing_group_id,
                                        how="scheduled release", release=release.id)
    except ServiceError as error:
        return _skip(db, release, now, f"refused: {error.message}")
    release.status, release.finished_at, release.outcome = "done", now, "released"
    notify_user(db, scheduler.id, "scheduled_release_done", round_)
    newly = [user for user in watchers if user.id not in could_read]
    notify_users(db, newly, "round_created", round_, actor_id=scheduler.id)  # new to them: as if just created
    for synthesis in round_syntheses(db, round_.id):
        notify_users(db, newly, "published", synthesis, actor_id=scheduler.id)
    return None
