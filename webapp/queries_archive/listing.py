"""Archive lists besides browse: under a Call paragraph, an author's own submissions, the review queue, feeds."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session, joinedload, selectinload

from webapp import policy
from webapp.counts.cache import cached
from webapp.models import (
    Organisation,
    SharingGroup,
    StakeholderType,
    Submission,
    SubmissionKind,
    SubmissionRevision,
    SubmissionStatus,
    Tier,
)
from webapp.models.submission_revision import REVIEW_PENDING
from webapp.models import submission_paragraphs
from webapp.paragraph_listing import ParagraphSection
from webapp.policy import ANONYMOUS, Viewer
from webapp.policy.archive import can_review, can_review_revision, can_see_review_queue
from webapp.queries_archive.browse import NEWEST_FIRST, load_for_display, load_newest, readable

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

    def totals_and_newest() -> tuple[dict[str, int], list[int]]:
        # One statement: each group's newest PER_GROUP ids, each row carrying its group's total.
        rank = func.row_number().over(partition_by=group, order_by=NEWEST_FIRST).label("rank")
        total = func.count().over(partition_by=group).label("total")
        ranked = under_paragraph(Submission.id, group.label("grp"), rank, total).subquery()
        totals: dict[str, int] = {}
        ids: list[int] = []
        for item_id, code, count in db.execute(
                select(ranked.c.id, ranked.c.grp, ranked.c.total).where(ranked.c.rank <= PER_GROUP)):
            totals[code] = count
            ids.append(item_id)
        return totals, ids

    # The counts and the newest ids per group are the same for every reader of one audience class (readable() is
    # the tier rule alone) until the data changes: cached per class, paragraph and generation (webapp/counts/).
    totals, newest_ids = cached(db, "paragraph-archive", policy.audience_key(viewer), number, totals_and_newest)
    if not totals:
        return ParagraphSection(key="archive", title="archive", template="archive/_paragraph_section.html")
    items = load_for_display(db, newest_ids)
    by_group: dict[str, list[Submission]] = {}
    for item in items:
        key = SYNTHESES if item.kind is SubmissionKind.OUTCOME_SYNTHESIS else item.author_organisation.stakeholder_type_code
        by_group.setdefault(key, []).append(item)
    types = {t.code: t.display_label for t in db.scalars(select(StakeholderType).order_by(StakeholderType.position))}
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
    # A reviewer who cannot read every section cannot review it (tear lines), so it is not in their queue.
    return [item for item in db.scalars(stmt.order_by(Submission.submitted_at, Submission.id)).unique()
            if can_review(viewer, item)]


def review_waiting(db: Session, viewer: Viewer) -> int:
    """How many submissions and revisions wait for this reviewer (the navigation's count)."""
    if not can_see_review_queue(viewer):
        return 0

    def compute() -> int:
        submitted = policy.visible(
            select(func.count()).select_from(Submission).where(
                Submission.status == SubmissionStatus.SUBMITTED, Submission.author_id != viewer.user_id),
            viewer, Submission,
        )
        return int(db.scalar(submitted) or 0) + len(pending_revisions(db, viewer))

    # The reviewer's own items are left out: cached per viewer (not per class) and generation.
    return cached(db, "review-waiting", policy.viewer_key(viewer), None, compute)


def pending_revisions(db: Session, viewer: Viewer) -> list[SubmissionRevision]:
    """Pending revisions of published items this reviewer may review (not their own), oldest first."""
    if not can_see_review_queue(viewer):
        return []
    stmt = policy.visible(
        # No join on submissions: the revision rule's EXISTS on the item must not be correlated away.
        select(SubmissionRevision).where(SubmissionRevision.review_state == REVIEW_PENDING),
        viewer,
        SubmissionRevision,
    ).options(joinedload(SubmissionRevision.submission).joinedload(Submission.author_organisation))
    # can_review_revision leaves out the reviewer's own items (nobody reviews their own work).
    return [revision for revision in db.scalars(stmt.order_by(SubmissionRevision.created_at, SubmissionRevision.id))
            if can_review_revision(viewer, revision.submission, revision)]


def new_policy_versions(db: Session, items: list[Submission]) -> set[int]:
    """Which of these policies are a new version of an earlier one in their series (the review queue says so)."""
    series = {item.policy_series for item in items if item.policy_series}
    if not series:
        return set()
    first = dict(db.execute(
        select(Submission.policy_series, func.min(Submission.id))
        .where(Submission.policy_series.in_(series)).group_by(Submission.policy_series)
    ).all())
    return {item.id for item in items if item.policy_series and first.get(item.policy_series) != item.id}


def public_feed(db: Session, paragraph: int | None = None) -> list[Submission]:
    """Newly published PUBLIC items (for everyone, so read as the anonymous viewer), optionally under a paragraph."""
    stmt = readable(ANONYMOUS, Submission.id).where(Submission.tier == Tier.PUBLIC)
    if paragraph is not None:
        stmt = stmt.where(Submission.id.in_(_paragraph_ids(paragraph)))
    return load_newest(db, stmt.order_by(*NEWEST_FIRST).limit(FEED_SIZE))
