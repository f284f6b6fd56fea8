"""Dialogue rounds: create, edit, open, close and conclude (facilitators only)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import policy
from webapp.db import unit_of_work
from webapp.sanitize import html_to_text
from webapp.models import DialogueRound, Organisation, Post, RoundState, StakeholderType, Thread, Tier, User, utcnow
from webapp.models.stakeholder_type import STAKEHOLDER_CODES
from webapp.policy import Viewer
from webapp.policy.dialogue import (
    audience_within,
    can_create_round,
    can_manage_round,
    is_round_originator,
    keeps_originating_facilitators,
)
from webapp.search.outbox import enqueue
from webapp.services.release_schedule import parse_release
from webapp.services.round_declassification import add_round_release, check_round_release
from webapp.services.round_audience import check_round_audience, move_round_audience, reindex_round
from webapp.services import Conflict, Forbidden, NotFound, ServiceError
from webapp.services import dialogue_inputs as inputs
from webapp.services.audit import record
from webapp.services.dialogue_pseudonyms import backfill_pseudonyms
from webapp.services.notification_events import invited_members, round_invited
from webapp.services.notification_schedule import announce_round
from webapp.services.notifications import add_watch, notify_user, notify_watchers
from webapp.services.outcome_synthesis import add_outcome_synthesis
from webapp.services.submission_fields import SUMMARY_MAX, TITLE_MAX

MAX_KEY_POINTS_CHARS = 4_000


def _window(opens_at: datetime, closes_at: datetime) -> None:
    if opens_at is None or closes_at is None or opens_at.tzinfo is None or closes_at.tzinfo is None:
        raise ServiceError(_l("Give the opening and closing times (UTC)."))
    if closes_at <= opens_at:
        raise ServiceError(_l("A round must close after it opens."))


def _facilitators(db: Session, actor: Viewer, ids, tier: Tier, group_id: int | None, org_id: int) -> list[User]:
    wanted = {int(i) for i in ids or ()} | {actor.user_id}
    users = list(db.scalars(select(User).where(User.id.in_(sorted(wanted)))))
    if len(users) != len(wanted):
        raise ServiceError(_l("One of the chosen facilitators does not exist."))
    for user in users:
        viewer = policy.viewer_for(user, db)
        if not viewer.is_facilitator:
            raise ServiceError(_l("%(name)s is not a facilitator.", name=user.name))
        if not policy.tier_allows(viewer, tier, group_id, org_id):
            raise ServiceError(_l("%(name)s could not read a round at this tier, so cannot facilitate it.", name=user.name))
    return users


def _invitations(db: Session, type_codes, organisation_ids) -> tuple[list[StakeholderType], list[Organisation]]:
    codes = sorted({str(code) for code in type_codes or ()})
    if any(code not in STAKEHOLDER_CODES for code in codes):
        raise ServiceError(_l("Unknown stakeholder type."))
    kinds = list(db.scalars(select(StakeholderType).where(StakeholderType.code.in_(codes))))
    org_ids = sorted({int(i) for i in organisation_ids or ()})
    organisations = list(db.scalars(select(Organisation).where(Organisation.id.in_(org_ids))))
    if len(kinds) != len(codes) or len(organisations) != len(org_ids):
        raise ServiceError(_l("One of the invited organisations does not exist."))
    return kinds, organisations


def _visible_round(db: Session, actor: Viewer, round_id: int) -> DialogueRound:
    round_ = db.get(DialogueRound, round_id)
    if not policy.can_view(actor, round_):
        raise NotFound()
    return round_


def _managed_round(db: Session, actor: Viewer, round_id: int) -> DialogueRound:
    round_ = _visible_round(db, actor, round_id)
    if not can_manage_round(actor, round_):
        raise Forbidden(_l("Only this round's facilitators can do this."))
    return round_


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
    hidden_roster: bool = False,
    thread_pseudonyms: bool = False,
    invited_types=(),
    invited_organisation_ids=(),
    facilitator_ids=(),
    release_tier="",
    release_at="",
) -> DialogueRound:
    """A facilitator creates a round; they are one of its facilitators. An optional scheduled release ("release to
    TIER on DATE") is set in the same transaction, as the facilitating organisation's act."""
    if not can_create_round(actor):
        raise Forbidden(_l("Only facilitators can create dialogue rounds."))
    _window(opens_at, closes_at)
    release = parse_release(release_tier, release_at)
    with unit_of_work() as db:
        tier, sharing_group_id = inputs.tier_choice(db, actor, tier, sharing_group_id)
        source, html = inputs.markdown(questions_source, limit=inputs.MAX_QUESTIONS_CHARS, what=_l("The guiding questions"))
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
            hidden_roster=bool(hidden_roster),
            thread_pseudonyms=bool(thread_pseudonyms) and bool(chatham_house),
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
               chatham_house=round_.chatham_house, hidden_roster=round_.hidden_roster,
               thread_pseudonyms=round_.thread_pseudonyms, paragraphs=[p.number for p in round_.paragraphs])
        if release is not None:
            check_round_release(actor, round_, *release)  # a refusal leaves nothing saved: the form is shown again
            add_round_release(db, actor, round_, *release)
        enqueue(db, "round", round_.id)
        add_watch(db, actor.user_id, "round", round_.id)
        for paragraph in round_.paragraphs:
            notify_watchers(db, "paragraph", paragraph.number, "round_created", round_, actor_id=actor.user_id)
        round_invited(db, round_, actor_id=actor.user_id)
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
    hidden_roster: bool | None = None,
    thread_pseudonyms: bool | None = None,
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
            raise Conflict(_l("A concluded round can no longer be edited."))
        tier, sharing_group_id = inputs.tier_choice(db, actor, tier, sharing_group_id,
                                                    current_group_id=round_.sharing_group_id)
        check_round_audience(db, actor, round_, tier, sharing_group_id)
        if not keeps_originating_facilitators(actor, round_, facilitator_ids):
            raise Forbidden(_l("Only the facilitating organisation can remove the round's creator or the facilitators "
                            "of its organisation."))
        by_originator = is_round_originator(actor, round_)
        old = (round_.tier, round_.sharing_group_id, round_.organisation_id)
        new = (tier, sharing_group_id, round_.organisation_id)
        declassified = not audience_within(new, old)
        if declassified and not confirm_declassification:
            raise Conflict(_l("This change lets people read the round who cannot read it now. "
                           "Confirm the declassification to go ahead."))
        has_posts = db.scalar(select(Post.id).join(Thread).where(Thread.round_id == round_.id).limit(1)) is not None
        if round_.chatham_house and not chatham_house and has_posts:
            raise Conflict(_l("The Chatham House rule cannot be lifted once people have posted under it."))
        source, html = inputs.markdown(questions_source, limit=inputs.MAX_QUESTIONS_CHARS, what=_l("The guiding questions"))
        kinds, organisations = _invitations(db, invited_types, invited_organisation_ids)
        invited_before = invited_members(db, round_)
        round_.title = inputs.title(title)
        round_.questions_source, round_.questions_html = source, html
        round_.paragraphs = inputs.paragraphs(db, paragraphs)
        round_.facilitators = _facilitators(db, actor, facilitator_ids, tier, sharing_group_id, round_.organisation_id)
        round_.invited_types, round_.invited_organisations = kinds, organisations
        round_.opens_at, round_.closes_at = opens_at, closes_at
        round_.chatham_house = bool(chatham_house)
        if hidden_roster is not None:
            round_.hidden_roster = bool(hidden_roster)
        if thread_pseudonyms is not None:
            if thread_pseudonyms and not round_.thread_pseudonyms:
                for thread in db.scalars(select(Thread).where(Thread.round_id == round_.id)):
                    backfill_pseudonyms(db, thread)
            round_.thread_pseudonyms = bool(thread_pseudonyms) and round_.chatham_house
        tier_changed = new != old
        if tier_changed:
            move_round_audience(db, actor, round_, tier, sharing_group_id)
        round_.updated_at = utcnow()
        record(db, actor.user_id, "round.updated", "dialogue_round", round_.id,
               tier_before=old[0].code, tier_after=tier.code, group_before=old[1], group_after=sharing_group_id,
               declassified=declassified, by_originator=by_originator, hidden_roster=round_.hidden_roster,
               thread_pseudonyms=round_.thread_pseudonyms)
        if tier_changed and actor.user_id != round_.created_by_id:
            # The round's creator hears of any change of its audience made by someone else (mail and in-app).
            notify_user(db, round_.created_by_id, "tier_changed", round_)
        if not tier_changed:
            reindex_round(db, round_, with_posts=False)
        db.flush()
        round_invited(db, round_, actor_id=actor.user_id, already=invited_before)  # only the newly invited
    return round_


def open_round(actor: Viewer, round_id: int) -> DialogueRound:
    """Open a scheduled round now."""
    with unit_of_work() as db:
        round_ = _managed_round(db, actor, round_id)
        if round_.state is not RoundState.SCHEDULED:
            raise Conflict(_l("Only a scheduled round can be opened."))
        now = utcnow()
        if round_.closes_at <= now:
            raise Conflict(_l("This round's closing time has passed; change it before opening the round."))
        round_.opens_at = now
        round_.updated_at = now
        record(db, actor.user_id, "round.opened", "dialogue_round", round_.id)
        enqueue(db, "round", round_.id)
        announce_round(db, round_, "round_opened", actor_id=actor.user_id)
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
            raise Conflict(_l("This round has not opened yet."))
        if state is RoundState.CONCLUDED or round_.closed_at is not None:
            raise Conflict(_l("This round is already closed."))
        now = utcnow()
        round_.closed_at = now
        round_.updated_at = now
        _lock_threads(db, round_)
        record(db, actor.user_id, "round.closed", "dialogue_round", round_.id)
        enqueue(db, "round", round_.id)
        announce_round(db, round_, "round_closed", actor_id=actor.user_id)
    return round_


def _key_points(value: dict | None) -> dict[str, str]:
    points = {}
    for code, text in (value or {}).items():
        if code not in STAKEHOLDER_CODES:
            raise ServiceError(_l("Key points can only be given per known stakeholder type."))
        cleaned = (text or "").replace("\r\n", "\n").strip()
        if len(cleaned) > MAX_KEY_POINTS_CHARS:
            raise ServiceError(_l("Key points are limited to %(n)s characters per stakeholder type.",
                                   n=format_decimal(MAX_KEY_POINTS_CHARS)))
        if cleaned:
            points[code] = cleaned
    return points


def _synthesis_summary(html: str) -> str:
    """The synthesis' opening words as the archive summary."""
    text = html_to_text(html)
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1].rsplit(" ", 1)[0] + "…"


def conclude_round(
    actor: Viewer, round_id: int, *, synthesis_source: str, key_points: dict | None = None, paragraphs=(),
    review_on=None,
) -> DialogueRound:
    """Conclude a closed round with its outcome synthesis. The single place where the synthesis is published
    into the archive, in the same transaction."""
    with unit_of_work() as db:
        round_ = _managed_round(db, actor, round_id)
        state = round_.state
        if state is RoundState.CONCLUDED:
            raise Conflict(_l("This round is already concluded."))
        if state is not RoundState.CLOSED:
            raise Conflict(_l("Close the round before concluding it."))
        source, html = inputs.markdown(synthesis_source, limit=inputs.MAX_SYNTHESIS_CHARS, what=_l("The outcome synthesis"))
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
        # The synthesis enters the archive in this same transaction, at the round's tier, group and organisation
        # (not the concluding co-facilitator's), so it never reaches anyone who could not read the round.
        add_outcome_synthesis(
            db,
            actor,
            round_id=round_.id,
            title=str(_("Outcome of the dialogue round: %(title)s", title=round_.title))[:TITLE_MAX],
            summary=_synthesis_summary(html),
            body_source=source,
            key_points=round_.synthesis_key_points,
            paragraphs=numbers or [p.number for p in round_.paragraphs],
            tier=round_.tier,
            sharing_group_id=round_.sharing_group_id,
            chatham_house=round_.chatham_house,
            author_organisation_id=round_.organisation_id,
            review_on=review_on,
        )
        announce_round(db, round_, "round_concluded", actor_id=actor.user_id)
    return round_
