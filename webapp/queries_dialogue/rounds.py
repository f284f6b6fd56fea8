"""Rounds: the list, one round's page (threads, participation by stakeholder type), paragraph sections."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from webapp import policy
from webapp.models import CallParagraph, DialogueRound, Organisation, Post, StakeholderType, Thread, User
from webapp.models.dialogue_round import round_paragraphs
from webapp.models.thread import thread_paragraphs
from webapp.paragraph_listing import ParagraphSection
from webapp.policy import Viewer
from webapp.policy.small_cells import KeyPoints, ProtectedCounts, protect_cells, protect_key_points, small_cells_apply


def _round_options():
    return (
        selectinload(DialogueRound.paragraphs),
        selectinload(DialogueRound.facilitators),
        selectinload(DialogueRound.invited_types),
        selectinload(DialogueRound.invited_organisations),
    )


def visible_round(db: Session, viewer: Viewer, round_id: int) -> DialogueRound | None:
    """One round with its paragraphs, facilitators and invitations, or None if missing or unreadable."""
    stmt = select(DialogueRound).where(DialogueRound.id == round_id).options(*_round_options())
    return db.scalar(policy.visible(stmt, viewer, DialogueRound))


def rounds(db: Session, viewer: Viewer, *, paragraph: int | None = None) -> list[DialogueRound]:
    """Readable rounds, most recently opening first."""
    stmt = select(DialogueRound).options(*_round_options()).order_by(DialogueRound.opens_at.desc(), DialogueRound.id.desc())
    if paragraph is not None:
        stmt = stmt.join(round_paragraphs).where(round_paragraphs.c.paragraph_number == paragraph)
    return list(db.scalars(policy.visible(stmt, viewer, DialogueRound)))


def post_counts(db: Session, viewer: Viewer, thread_ids: list[int]) -> dict[int, int]:
    """{thread id: number of readable, not deleted posts}."""
    if not thread_ids:
        return {}
    stmt = (
        select(Post.thread_id, func.count(Post.id))
        .where(Post.thread_id.in_(thread_ids), Post.deleted_at.is_(None))
        .group_by(Post.thread_id)
    )
    return dict(db.execute(policy.visible(stmt, viewer, Post)).all())


def threads(db: Session, viewer: Viewer, *, round_id: int | None = None, standalone: bool = False,
            paragraph: int | None = None) -> list[Thread]:
    """Readable threads of a round (or standalone ones), pinned first, then by latest activity."""
    stmt = select(Thread).options(selectinload(Thread.paragraphs), selectinload(Thread.author))
    if round_id is not None:
        stmt = stmt.where(Thread.round_id == round_id)
    elif standalone:
        stmt = stmt.where(Thread.round_id.is_(None))
    if paragraph is not None:
        stmt = stmt.join(thread_paragraphs).where(thread_paragraphs.c.paragraph_number == paragraph)
    stmt = stmt.order_by(Thread.pinned.desc(), Thread.last_post_at.desc(), Thread.id.desc())
    return list(db.scalars(policy.visible(stmt, viewer, Thread)))


def thread_counts(db: Session, viewer: Viewer, round_ids: list[int]) -> dict[int, int]:
    """{round id: number of readable threads}."""
    if not round_ids:
        return {}
    stmt = select(Thread.round_id, func.count(Thread.id)).where(Thread.round_id.in_(round_ids)).group_by(Thread.round_id)
    return dict(db.execute(policy.visible(stmt, viewer, Thread)).all())


@dataclass
class Participation:
    """Posts and distinct participants of one stakeholder type in a round."""

    code: str
    label: str
    posts: int = 0
    participants: int = 0


@dataclass
class ParticipationSummary:
    """Participation by stakeholder type, in the seeded order of types, with totals."""

    rows: list[Participation] = field(default_factory=list)
    # The rows as the viewer may see them (webapp.policy.small_cells): {code: {"posts"|"participants": Figure}}.
    figures: ProtectedCounts | None = None

    @property
    def total_posts(self) -> int:
        return sum(row.posts for row in self.rows)

    @property
    def total_participants(self) -> int:
        return sum(row.participants for row in self.rows)


def participation(db: Session, viewer: Viewer, round_id: int) -> ParticipationSummary:
    """Counts of readable, not deleted, not hidden posts and of distinct authors per stakeholder type, with the
    figures the small-cell rule lets this viewer see."""
    stmt = (
        select(Organisation.stakeholder_type_code, func.count(Post.id), func.count(func.distinct(Post.author_id)))
        .select_from(Post)
        .join(Thread, Thread.id == Post.thread_id)
        .join(User, User.id == Post.author_id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(Thread.round_id == round_id, Post.deleted_at.is_(None), Post.hidden_at.is_(None))
        .group_by(Organisation.stakeholder_type_code)
    )
    counts = {code: (posts, people) for code, posts, people in db.execute(policy.visible(stmt, viewer, Post))}
    kinds = db.scalars(select(StakeholderType).order_by(StakeholderType.position))
    summary = ParticipationSummary(
        [Participation(kind.code, kind.display_label, *counts.get(kind.code, (0, 0))) for kind in kinds]
    )
    summary.figures = protect_cells(
        {row.code: {"posts": row.posts, "participants": row.participants} for row in summary.rows},
        key_measure="participants", protect=small_cells_apply(viewer, db.get(DialogueRound, round_id)))
    return summary


def invited_organisation_counts(db: Session, viewer: Viewer, round_: DialogueRound) -> ProtectedCounts:
    """How many organisations of each stakeholder type a round invited, under the small-cell rule (what a
    hidden roster shows instead of the names). Every type has a row, so absence is not told apart from few."""
    counts = {code: {"organisations": 0} for code in db.scalars(select(StakeholderType.code)
                                                                .order_by(StakeholderType.position))}
    for organisation in round_.invited_organisations:
        counts.setdefault(organisation.stakeholder_type_code, {"organisations": 0})["organisations"] += 1
    return protect_cells(counts, key_measure="organisations", protect=small_cells_apply(viewer, round_))


def paragraph_choices(db: Session) -> list[CallParagraph]:
    """All paragraphs, for forms."""
    return list(db.scalars(select(CallParagraph).order_by(CallParagraph.number)))


def round_choices_for_move(db: Session, viewer: Viewer) -> list[DialogueRound]:
    """Rounds the viewer facilitates and can read (targets of a move)."""
    from webapp.models.dialogue_round import round_facilitators

    stmt = (
        select(DialogueRound)
        .join(round_facilitators, round_facilitators.c.round_id == DialogueRound.id)
        .where(round_facilitators.c.user_id == viewer.user_id)
        .order_by(DialogueRound.opens_at.desc())
        .options(selectinload(DialogueRound.facilitators))
    )
    return [r for r in db.scalars(policy.visible(stmt, viewer, DialogueRound)) if policy.dialogue.facilitates(viewer, r)]




@dataclass
class DialogueParagraphSection(ParagraphSection):
    """Rounds and standalone threads under a paragraph, and whether the viewer watches the paragraph."""

    paragraph: int = 0
    watching: bool = False


def paragraph_section(db: Session, viewer: Viewer, number: int) -> DialogueParagraphSection:
    """Provider for /paragraphs/<n> (webapp.paragraph_listing)."""
    from flask_babel import gettext as _

    from webapp.queries_dialogue.notifications import is_watching

    items = [("round", r) for r in rounds(db, viewer, paragraph=number)]
    items += [("thread", t) for t in threads(db, viewer, standalone=True, paragraph=number)]
    return DialogueParagraphSection(
        key="dialogue",
        title=_("Dialogue rounds and threads"),
        template="dialogue/_paragraph_section.html",
        items=items,
        total=len(items),
        paragraph=number,
        watching=is_watching(db, viewer, "paragraph", number),
    )


def synthesis_key_points(db: Session, viewer: Viewer, item, points: dict[str, str]) -> KeyPoints:
    """An outcome synthesis's key points (`points`: the item's text or HTML by type) as the small-cell rule lets
    `viewer` see them, counted on its round. Its round gone, a Chatham House synthesis attributes nothing."""
    points = dict(points or {})
    if item.round_id is None:
        if item.chatham_house and points:
            return KeyPoints({}, [], True)
        return KeyPoints(points, [], False)
    return protect_key_points(points, participation(db, viewer, item.round_id).figures)
