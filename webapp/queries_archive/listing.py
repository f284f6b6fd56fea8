"""Archive lists besides browse: under a Call paragraph, an author's own submissions, the review queue, feeds."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session, joinedload, selectinload

from webapp import policy
from webapp.models import (
    Organisation,
    SharingGroup,
    StakeholderType,
    Submission,
    SubmissionKind,
    SubmissionStatus,
    Tier,
)
from webapp.models import submission_paragraphs
from webapp.paragraph_listing import ParagraphSection
from webapp.policy import ANONYMOUS, Viewer
from webapp.policy.archive import can_see_review_queue
from webapp.queries_archive.browse import NEWEST_FIRST, load_newest, readable

PER_GROUP = 10
FEED_SIZE = 50
SYNTHESES = "outcome_synthesis"  # group key of outcome syntheses on paragraph pages (they speak for a round)


@dataclass
class StakeholderGroup:
    """Items under one paragraph from one stakeholder type (or the round syntheses)."""

    code: str
    label: str
    total: int
    items: list[Submission] = field(default_factory=list)


def _paragraph_ids(number: int):
    return select(submission_paragraphs.c.submission_id).where(submission_paragraphs.c.paragraph_number == number)


def paragraph_section(db: Session, viewer: Viewer, number: int) -> ParagraphSection:
    """What the viewer may read under paragraph `number`, grouped by stakeholder type (four statements)."""
    # Outcome syntheses speak for a dialogue round, not for their facilitator's organisation: their own group.
    group = case(
        (Submission.kind == SubmissionKind.OUTCOME_SYNTHESIS, literal(SYNTHESES)),
        else_=Organisation.stakeholder_type_code,
    )

    def under_paragraph(*columns):
        return (
            readable(viewer, *columns)
            .join(Organisation, Organisation.id == Submission.author_organisation_id)
            .where(Submission.id.in_(_paragraph_ids(number)))
        )

    totals = dict(db.execute(under_paragraph(group, func.count()).group_by(group)).all())
    if not totals:
        return ParagraphSection(key="archive", title="archive", template="archive/_paragraph_section.html")
    rank = func.row_number().over(partition_by=group, order_by=NEWEST_FIRST).label("rank")
    ranked = under_paragraph(Submission.id, rank).subquery()
    items = load_newest(db, select(ranked.c.id).where(ranked.c.rank <= PER_GROUP))
    by_group: dict[str, list[Submission]] = {}
    for item in items:
        key = SYNTHESES if item.kind is SubmissionKind.OUTCOME_SYNTHESIS else item.author_organisation.stakeholder_type_code
        by_group.setdefault(key, []).append(item)
    types = {t.code: t.label for t in db.scalars(select(StakeholderType).order_by(StakeholderType.position))}
    groups = [
        StakeholderGroup(code=code, label=types.get(code, ""), total=totals[code], items=by_group.get(code, []))
        for code in [*types, SYNTHESES]
        if code in totals
    ]
    return ParagraphSection(
        key="archive",
        title="archive",
        template="archive/_paragraph_section.html",
        items=groups,
        total=sum(totals.values()),
    )


def own_sharing_groups(db: Session, viewer: Viewer) -> list[SharingGroup]:
    """The sharing groups an author may limit an item to: their own (directly or through their organisation)."""
    ids = sorted(viewer.group_ids)
    if not ids:
        return []
    return list(db.scalars(select(SharingGroup).where(SharingGroup.id.in_(ids)).order_by(SharingGroup.name)))


def my_submissions(db: Session, viewer: Viewer) -> list[Submission]:
    """Everything the viewer authored that they may still read, most recently changed first."""
    if viewer.user_id is None:
        return []
    stmt = policy.visible(
        select(Submission).where(Submission.author_id == viewer.user_id), viewer, Submission
    ).options(selectinload(Submission.paragraphs)).order_by(Submission.updated_at.desc(), Submission.id.desc())
    return list(db.scalars(stmt))


def review_queue(db: Session, viewer: Viewer) -> list[Submission]:
    """Submitted items awaiting review that this reviewer may read, oldest first (not their own)."""
    if not can_see_review_queue(viewer):
        return []
    stmt = policy.visible(
        select(Submission).where(
            Submission.status == SubmissionStatus.SUBMITTED, Submission.author_id != viewer.user_id
        ),
        viewer,
        Submission,
    ).options(joinedload(Submission.author_organisation), selectinload(Submission.paragraphs))
    return list(db.scalars(stmt.order_by(Submission.submitted_at, Submission.id)).unique())


def public_feed(db: Session, paragraph: int | None = None) -> list[Submission]:
    """Newly published PUBLIC items (for everyone, so read as the anonymous viewer), optionally under a paragraph."""
    stmt = readable(ANONYMOUS, Submission.id).where(Submission.tier == Tier.PUBLIC)
    if paragraph is not None:
        stmt = stmt.where(Submission.id.in_(_paragraph_ids(paragraph)))
    return load_newest(db, stmt.order_by(*NEWEST_FIRST).limit(FEED_SIZE))
