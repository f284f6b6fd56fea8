"""Dialogue rounds: create, edit, open, close and conclude (facilitators only)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import policy
from webapp.db import unit_of_work
from webapp.models import DialogueRound, Organisation, Post, RoundState, StakeholderType, Thread, Tier, User, utcnow
from webapp.models.stakeholder_type import STAKEHOLDER_CODES
from webapp.policy import Viewer
from webapp.policy.dialogue import audience_within, can_create_round, can_manage_round
from webapp.search.outbox import enqueue
from webapp.services import Conflict, Forbidden, NotFound, ServiceError
from webapp.services import dialogue_inputs as inputs
from webapp.services.audit import record
from webapp.services.notifications import add_watch, notify_watchers

MAX_KEY_POINTS_CHARS = 4_000


def _window(opens_at: datetime, closes_at: datetime) -> None:
    if opens_at is None or closes_at is None or opens_at.tzinfo is None or closes_at.tzinfo is None:
        raise ServiceError("Give the opening and closing times (UTC).")
    if closes_at <= opens_at:
        raise ServiceError("A round must close after it opens.")


def _facilitators(db: Session, actor: Viewer, ids, tier: Tier, group_id: int | None, org_id: int) -> list[User]:
    wanted = {int(i) for i in ids or ()} | {actor.user_id}
    users = list(db.scalars(select(User).where(User.id.in_(sorted(wanted)))))
    if len(users) != len(wanted):
        raise ServiceError("One of the chosen facilitators does not exist.")
    for user in users:
        viewer = policy.viewer_for(user, db)
        if not viewer.is_facilitator:
            raise ServiceError(f"{user.name} is not a facilitator.")
        if not policy.tier_allows(viewer, tier, group_id, org_id):
            raise ServiceError(f"{user.name} could not read a round at this tier, so cannot facilitate it.")
    return users


def _invitations(db: Session, type_codes, organisation_ids) -> tuple[list[StakeholderType], list[Organisation]]:
    codes = sorted({str(code) for code in type_codes or ()})
    if any(code not in STAKEHOLDER_CODES for code in codes):
        raise ServiceError("Unknown stakeholder type.")
    kinds = list(db.scalars(select(StakeholderType).where(StakeholderType.code.in_(codes))))
    org_ids = sorted({int(i) for i in organisation_ids or ()})
    organisations = list(db.scalars(select(Organisation).where(Organisation.id.in_(org_ids))))
    if len(kinds) != len(codes) or len(organisations) != len(org_ids):
        raise ServiceError("One of the invited organisations does not exist.")
    return kinds, organisations


def _visible_round(db: Session, actor: Viewer, round_id: int) -> DialogueRound:
    round_ = db.get(DialogueRound, round_id)
    if not policy.can_view(actor, round_):
        raise NotFound()
    return round_


def _managed_round(db: Session, actor: Viewer, round_id: int) -> DialogueRound:
    round_ = _visible_round(db, actor, round_id)
    if not can_manage_round(actor, round_):
        raise Forbidden("Only this round's facilitators can do this.")
    return round_


def _reindex_round(db: Session, round_: DialogueRound, *, with_posts: bool) -> None:
    enqueue(db, "round", round_.id)
    if with_posts:
        for thread_id in db.scalars(select(Thread.id).where(Thread.round_id == round_.id)):
            enqueue(db, "thread", thread_id)
        for post_id in db.scalars(select(Post.id).join(Thread).where(Thread.round_id == round_.id)):
            enqueue(db, "post", post_id)


def create_round(
    actor: Viewer,
    *,
    title: str,
    questions_source: str,
    paragraphs,
    tier: Tier,
    sharing_group_id: int | None = None,
    opens_at: datetime,
    closes_at: datetime,
    chatham_house: bool = False,
    invited_types=(),
    invited_organisation_ids=(),
    facilitator_ids=(),
) -> DialogueRound:
    """A facilitator creates a round; they are one of its facilitators."""
    if not can_create_round(actor):
        raise Forbidden("Only facilitators can create dialogue rounds.")
    _window(opens_at, closes_at)
    with unit_of_work() as db:
        tier, sharing_group_id = inputs.tier_choice(db, actor, tier, sharing_group_id)
        source, html = inputs.markdown(questions_source, limit=inputs.MAX_QUESTIONS_CHARS, what="The guiding questions")
        kinds, organisations = _invitations(db, invited_types, invited_organisation_ids)
        round_ = DialogueRound(
            title=inputs.title(title),
            questions_source=source,
            questions_html=html,
            tier=tier,
            sharing_group_id=sharing_group_id,
            organisation_id=actor.organisation_id,
            created_by_id=actor.user_id,
            chatham_house=bool(chatham_house),
            opens_at=opens_at,
            closes_at=closes_at,
            paragraphs=inputs.paragraphs(db, paragraphs),
            facilitators=_facilitators(db, actor, facilitator_ids, tier, sharing_group_id, actor.organisation_id),
            invited_types=kinds,
            invited_organisations=organisations,
        )
        db.add(round_)
        db.flush()
        record(db, actor.user_id, "round.created", "dialogue_round", round_.id, tier=tier.code,
               chatham_house=round_.chatham_house, paragraphs=[p.number for p in round_.paragraphs])
        enqueue(db, "round", round_.id)
        add_watch(db, actor.user_id, "round", round_.id)
        for paragraph in round_.paragraphs:
            notify_watchers(db, "paragraph", paragraph.number, "round_created", round_, actor_id=actor.user_id)
    return round_


def update_round(
    actor: Viewer,
    round_id: int,
    *,
    title: str,
    questions_source: str,
    paragraphs,
    tier: Tier,
    sharing_group_id: int | None,
    opens_at: datetime,
    closes_at: datetime,
    chatham_house: bool,
    invited_types=(),
    invited_organisation_ids=(),
    facilitator_ids=(),
    confirm_declassification: bool = False,
) -> DialogueRound:
    """Facilitators edit a round. Widening its audience needs an explicit declassification confirmation;
    threads follow the round's tier."""
    _window(opens_at, closes_at)
    with unit_of_work() as db:
        round_ = _managed_round(db, actor, round_id)
        if round_.state is RoundState.CONCLUDED:
            raise Conflict("A concluded round can no longer be edited.")
        tier, sharing_group_id = inputs.tier_choice(db, actor, tier, sharing_group_id)
        old = (round_.tier, round_.sharing_group_id, round_.organisation_id)
        new = (tier, sharing_group_id, round_.organisation_id)
        declassified = not audience_within(new, old)
        if declassified and not confirm_declassification:
            raise Conflict("This change lets people read the round who cannot read it now. "
                           "Confirm the declassification to go ahead.")
        has_posts = db.scalar(select(Post.id).join(Thread).where(Thread.round_id == round_.id).limit(1)) is not None
        if round_.chatham_house and not chatham_house and has_posts:
            raise Conflict("The Chatham House rule cannot be lifted once people have posted under it.")
        source, html = inputs.markdown(questions_source, limit=inputs.MAX_QUESTIONS_CHARS, what="The guiding questions")
        kinds, organisations = _invitations(db, invited_types, invited_organisation_ids)
        round_.title = inputs.title(title)
        round_.questions_source, round_.questions_html = source, html
        round_.paragraphs = inputs.paragraphs(db, paragraphs)
        round_.facilitators = _facilitators(db, actor, facilitator_ids, tier, sharing_group_id, round_.organisation_id)
        round_.invited_types, round_.invited_organisations = kinds, organisations
        round_.opens_at, round_.closes_at = opens_at, closes_at
        round_.chatham_house = bool(chatham_house)
        tier_changed = new != old
        round_.tier, round_.sharing_group_id = tier, sharing_group_id
        if tier_changed:
            for thread in db.scalars(select(Thread).where(Thread.round_id == round_.id)):
                thread.tier, thread.sharing_group_id, thread.organisation_id = tier, sharing_group_id, round_.organisation_id
        round_.updated_at = utcnow()
        record(db, actor.user_id, "round.updated", "dialogue_round", round_.id,
               tier_before=old[0].code, tier_after=tier.code, group_before=old[1], group_after=sharing_group_id,
               declassified=declassified)
        _reindex_round(db, round_, with_posts=tier_changed)
    return round_


def open_round(actor: Viewer, round_id: int) -> DialogueRound:
    """Open a scheduled round now."""
    with unit_of_work() as db:
        round_ = _managed_round(db, actor, round_id)
        if round_.state is not RoundState.SCHEDULED:
            raise Conflict("Only a scheduled round can be opened.")
        now = utcnow()
        if round_.closes_at <= now:
            raise Conflict("This round's closing time has passed; change it before opening the round.")
        round_.opens_at = now
        round_.updated_at = now
        record(db, actor.user_id, "round.opened", "dialogue_round", round_.id)
        enqueue(db, "round", round_.id)
        notify_watchers(db, "round", round_.id, "round_opened", round_, actor_id=actor.user_id)
    return round_


def _lock_threads(db: Session, round_: DialogueRound) -> None:
    for thread in db.scalars(select(Thread).where(Thread.round_id == round_.id, Thread.locked.is_(False))):
        thread.locked = True


def close_round(actor: Viewer, round_id: int) -> DialogueRound:
    """Close an open round (or confirm a round whose time is up): its threads are locked."""
    with unit_of_work() as db:
        round_ = _managed_round(db, actor, round_id)
        state = round_.state
        if state is RoundState.SCHEDULED:
            raise Conflict("This round has not opened yet.")
        if state is RoundState.CONCLUDED or round_.closed_at is not None:
            raise Conflict("This round is already closed.")
        now = utcnow()
        round_.closed_at = now
        round_.updated_at = now
        _lock_threads(db, round_)
        record(db, actor.user_id, "round.closed", "dialogue_round", round_.id)
        enqueue(db, "round", round_.id)
        notify_watchers(db, "round", round_.id, "round_closed", round_, actor_id=actor.user_id)
    return round_


def _key_points(value: dict | None) -> dict[str, str]:
    points = {}
    for code, text in (value or {}).items():
        if code not in STAKEHOLDER_CODES:
            raise ServiceError("Key points can only be given per known stakeholder type.")
        cleaned = (text or "").replace("\r\n", "\n").strip()
        if len(cleaned) > MAX_KEY_POINTS_CHARS:
            raise ServiceError(f"Key points are limited to {MAX_KEY_POINTS_CHARS:,} characters per stakeholder type.")
        if cleaned:
            points[code] = cleaned
    return points


def conclude_round(
    actor: Viewer, round_id: int, *, synthesis_source: str, key_points: dict | None = None, paragraphs=()
) -> DialogueRound:
    """Conclude a closed round with its outcome synthesis. The single place where the synthesis is published
    into the archive (the integrator adds archive.publish_outcome_synthesis(...) inside this transaction)."""
    with unit_of_work() as db:
        round_ = _managed_round(db, actor, round_id)
        state = round_.state
        if state is RoundState.CONCLUDED:
            raise Conflict("This round is already concluded.")
        if state is not RoundState.CLOSED:
            raise Conflict("Close the round before concluding it.")
        source, html = inputs.markdown(synthesis_source, limit=inputs.MAX_SYNTHESIS_CHARS, what="The outcome synthesis")
        numbers = [p.number for p in inputs.paragraphs(db, paragraphs)]
        now = utcnow()
        round_.synthesis_source, round_.synthesis_html = source, html
        round_.synthesis_key_points = _key_points(key_points)
        round_.synthesis_paragraphs = numbers
        round_.concluded_at = now
        round_.closed_at = round_.closed_at or now
        round_.updated_at = now
        _lock_threads(db, round_)
        record(db, actor.user_id, "round.concluded", "dialogue_round", round_.id, paragraphs=numbers)
        enqueue(db, "round", round_.id)
        # Archive publication goes HERE, after every change above and before the notifications (integrator):
        #   publish_outcome_synthesis(actor, round_id=round_.id, title=round_.title, summary=<first lines of the
        #       synthesis as text>, body_source=source, key_points=round_.synthesis_key_points, paragraphs=numbers,
        #       tier=round_.tier, sharing_group_id=round_.sharing_group_id, chatham_house=round_.chatham_house)
        # Its own unit_of_work() shares this request's session, so its commit also commits the conclusion: both or
        # neither. Its author organisation must be the round's (round_.organisation_id), not the concluding
        # co-facilitator's, or a grouped round's synthesis would reach that other organisation's members.
        notify_watchers(db, "round", round_.id, "round_concluded", round_, actor_id=actor.user_id)
    return round_
