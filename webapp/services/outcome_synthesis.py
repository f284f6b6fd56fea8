"""Outcome syntheses of dialogue rounds: written by facilitators and published straight into the archive."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from webapp.db import unit_of_work
from webapp.models import Submission, SubmissionKind, SubmissionStatus, Tier, User, utcnow
from webapp.policy import Viewer
from webapp.policy.archive import can_publish_outcome_synthesis
from webapp.search.outbox import enqueue
from webapp.services import Forbidden, ServiceError, review_dates
from webapp.services.audit import record
from webapp.services.notifications import notify_watchers
from webapp.services.submission_fields import add_revision, apply_fields, clean_key_points, key_points_html


def add_outcome_synthesis(
    db: Session,
    actor: Viewer,
    *,
    round_id: int | None,
    title: str,
    summary: str,
    body_source: str,
    key_points: dict[str, str],
    paragraphs: list[int],
    tier: Tier | str,
    sharing_group_id: int | None,
    chatham_house: bool,
    author_organisation_id: int | None = None,
    review_on=None,
) -> Submission:
    """Inside the caller's transaction: add a published synthesis, its revision, audit row, index intent and
    paragraph-watcher notifications. `author_organisation_id` is the organisation the tier rule uses — for a
    round's synthesis, the round's, so the synthesis never reaches further than the round did."""
    if not can_publish_outcome_synthesis(actor):
        raise Forbidden(_l("Only facilitators publish outcome syntheses."))
    if not (body_source or "").strip():
        raise ServiceError(_l("The synthesis needs a body."))
    author = db.get(User, actor.user_id)
    if author is None:
        raise Forbidden(_l("Only facilitators publish outcome syntheses."))
    points = clean_key_points(key_points)
    now = utcnow()
    synthesis = Submission(
        kind=SubmissionKind.OUTCOME_SYNTHESIS,
        status=SubmissionStatus.PUBLISHED,
        author_id=author.id,
        author_organisation_id=author_organisation_id or author.organisation_id,
        reviewer_id=author.id,
        created_at=now,
        updated_at=now,
        submitted_at=now,
        published_at=now,
        round_id=round_id,
        chatham_house=bool(chatham_house),
        key_points=points,
        key_points_html=key_points_html(points),
        keywords=[],
    )
    apply_fields(
        db,
        actor,
        synthesis,
        {
            "title": title,
            "summary": summary,
            "keywords": [],
            "paragraphs": paragraphs,
            "tier": tier,
            "sharing_group_id": sharing_group_id,
            "body": body_source,
        },
    )
    review_dates.choose_on_form(db, actor, synthesis, review_on)
    db.add(synthesis)
    db.flush()
    add_revision(db, actor, synthesis, "published")
    record(db, actor.user_id, "submission.synthesis_published", "submission", synthesis.id,
           round_id=round_id, tier=synthesis.tier.code, chatham_house=synthesis.chatham_house)
    enqueue(db, "submission", synthesis.id)
    for paragraph in synthesis.paragraphs:
        notify_watchers(db, "paragraph", paragraph.number, "published", synthesis, actor_id=actor.user_id)
    return synthesis


def publish_outcome_synthesis(actor: Viewer, **fields) -> Submission:
    """Publish an outcome synthesis on its own (facilitators only); no review step, one revision, audited."""
    with unit_of_work() as db:
        return add_outcome_synthesis(db, actor, **fields)
