"""Archive lists besides browse: under a Call paragraph, an author's own submissions, the review queue, feeds."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from webapp import policy
from webapp.models import Organisation, StakeholderType, Submission, SubmissionKind, SubmissionStatus, Tier
from webapp.models import submission_paragraphs
from webapp.paragraph_listing import ParagraphSection
from webapp.policy import ANONYMOUS, Viewer
from webapp.policy.archive import can_see_review_queue
from webapp.queries_archive.browse import readable, with_display_relations

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


def _under_paragraph(stmt, number: int):
    return stmt.join(submission_paragraphs, submission_paragraphs.c.submission_id == Submission.id).where(
        submission_paragraphs.c.paragraph_number == number
    )


def paragraph_section(db: Session, viewer: Viewer, number: int) -> ParagraphSection:
    """What the viewer may read under paragraph `number`, grouped by stakeholder type (a bounded query count)."""
    group_key = Organisation.stakeholder_type_code
    is_synthesis = Submission.kind == SubmissionKind.OUTCOME_SYNTHESIS
    counts_stmt = _under_paragraph(
        readable(viewer, group_key, is_synthesis, func.count()).join(
            Organisation, Organisation.id == Submission.author_organisation_id
        ),
        number,
    ).group_by(group_key, is_synthesis)
    totals: dict[str, int] = {}
    for code, synthesis, count in db.execute(counts_stmt):
        key = SYNTHESES if synthesis else code
        totals[key] = totals.get(key, 0) + count
    types = {t.code: t for t in db.scalars(select(StakeholderType).order_by(StakeholderType.position))}
    groups: list[StakeholderGroup] = []
    if totals:
        # One query per non-empty group (at most six): the newest PER_GROUP items of each.
        for code in [c for c in list(types) + [SYNTHESES] if c in totals]:
            stmt = _under_paragraph(with_display_relations(readable(viewer)), number)
            if code == SYNTHESES:
                stmt = stmt.where(is_synthesis)
            else:
                stmt = stmt.join(Organisation, Organisation.id == Submission.author_organisation_id).where(
                    group_key == code, ~is_synthesis
                )
            items = list(db.scalars(stmt.order_by(Submission.published_at.desc(), Submission.id.desc())
                                    .limit(PER_GROUP)).unique())
            label = types[code].label if code in types else ""
            groups.append(StakeholderGroup(code=code, label=label, total=totals[code], items=items))
    return ParagraphSection(
        key="archive",
        title="archive",
        template="archive/_paragraph_section.html",
        items=groups,
        total=sum(totals.values()),
    )


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
    stmt = with_display_relations(readable(ANONYMOUS)).where(Submission.tier == Tier.PUBLIC)
    if paragraph is not None:
        stmt = _under_paragraph(stmt, paragraph)
    stmt = stmt.order_by(Submission.published_at.desc(), Submission.id.desc()).limit(FEED_SIZE)
    return list(db.scalars(stmt).unique())
