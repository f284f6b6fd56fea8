"""The one path of a change of a dialogue round's audience (DESIGN.md rule 8): the round, its threads and its
outcome synthesis keep one (tier, sharing group, organisation), whoever changes it and however (the round form,
an accepted proposal, a scheduled release). The facilitating organisation is the originator."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import policy
from webapp.models import DialogueRound, Post, Submission, SubmissionKind, Thread, Tier, utcnow
from webapp.policy import Viewer
from webapp.policy.audience import AudienceRefusal
from webapp.policy.dialogue import audience_within, is_round_originator, round_audience_refusal
from webapp.search.outbox import enqueue
from webapp.services import Conflict, Forbidden, ServiceError
from webapp.services.audit import record
from webapp.services.notifications import notify_user
from webapp.services.submission_fields import add_revision, check_audience

ROUND_AUDIENCE_REFUSALS: dict[AudienceRefusal, tuple[type[ServiceError], str]] = {
    AudienceRefusal.NOT_ALLOWED: (Forbidden, _l("Only this round's facilitators can do this.")),
    AudienceRefusal.ONLY_ORIGINATOR: (Forbidden,
        _l("Only the facilitating organisation (the round's creator, or a co-facilitator of its organisation) can "
        "lower the round's tier, widen its audience or set, change or remove its sharing group. You may raise the "
        "tier; ask the round's creator for anything else.")),
    AudienceRefusal.LOCKS_OUT_AUTHOR: (Conflict,
        _l("The round's creator could no longer read it at this tier: a change of audience never locks the "
        "originator out. Nothing was changed.")),
    AudienceRefusal.LOCKS_OUT_ORGANISATION: (Conflict,
        _l("This change would take the round away from its facilitating organisation: a change of audience never "
        "removes the originating organisation's access. Nothing was changed.")),
}


def check_round_audience(db: Session, actor: Viewer, round_: DialogueRound, tier: Tier, group_id: int | None) -> None:
    """Raise the refusal of moving `round_` to (tier, group) by `actor`, if any."""
    refusal = round_audience_refusal(actor, round_, tier, group_id, policy.viewer_for(round_.created_by, db))
    if refusal is not None:
        error_class, message = ROUND_AUDIENCE_REFUSALS[refusal]
        raise error_class(message)


def reindex_round(db: Session, round_: DialogueRound, *, with_posts: bool) -> None:
    """Queue the round (and, when its audience moved, its threads and posts) for the search index."""
    enqueue(db, "round", round_.id)
    if with_posts:
        for thread_id in db.scalars(select(Thread.id).where(Thread.round_id == round_.id)):
            enqueue(db, "thread", thread_id)
        for post_id in db.scalars(select(Post.id).join(Thread).where(Thread.round_id == round_.id)):
            enqueue(db, "post", post_id)


def round_syntheses(db: Session, round_id: int) -> list[Submission]:
    """The round's outcome syntheses in the archive (one, once it is concluded)."""
    return list(db.scalars(select(Submission).where(Submission.round_id == round_id,
                                                    Submission.kind == SubmissionKind.OUTCOME_SYNTHESIS)))


def move_round_audience(db: Session, actor: Viewer, round_: DialogueRound, tier: Tier, group_id: int | None) -> None:
    """Give the round, its threads and its synthesis the audience (tier, group); reindex them. No checks here."""
    round_.tier, round_.sharing_group_id = tier, group_id
    round_.updated_at = utcnow()
    for thread in db.scalars(select(Thread).where(Thread.round_id == round_.id)):
        thread.tier, thread.sharing_group_id, thread.organisation_id = tier, group_id, round_.organisation_id
    for synthesis in round_syntheses(db, round_.id):
        synthesis.tier, synthesis.sharing_group_id = tier, group_id
        synthesis.updated_at = utcnow()
        add_revision(db, actor, synthesis, "tier changed with its round")
        enqueue(db, "submission", synthesis.id)
    reindex_round(db, round_, with_posts=True)


def apply_round_audience_change(
    db: Session, actor: Viewer, round_: DialogueRound, tier: Tier, group_id: int | None, **audit_details: Any
) -> None:
    """Inside the caller's transaction: an accepted proposal or a scheduled release moves the round (even a
    concluded one, with its synthesis), as `actor`'s act; every check comes before any change; audited."""
    check_audience(actor, tier, group_id, current_group_id=round_.sharing_group_id)
    old = (round_.tier, round_.sharing_group_id, round_.organisation_id)
    new = (tier, group_id, round_.organisation_id)
    if new == old:
        raise Conflict(_l("The tier and sharing group are unchanged."))
    check_round_audience(db, actor, round_, tier, group_id)
    declassified = not audience_within(new, old)
    move_round_audience(db, actor, round_, tier, group_id)
    record(db, actor.user_id, "round.declassified" if declassified else "round.tier_changed", "dialogue_round",
           round_.id, tier_before=old[0].code, tier_after=tier.code, group_before=old[1], group_after=group_id,
           by_originator=is_round_originator(actor, round_), **audit_details)
    if actor.user_id != round_.created_by_id:
        notify_user(db, round_.created_by_id, "tier_changed", round_)
