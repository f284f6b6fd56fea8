"""Archive submissions: lessons learnt, good practices, responsible-AI policies and outcome syntheses."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Column, Date, Enum, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base
from webapp.models.call_paragraph import CallParagraph
from webapp.models.organisation import Organisation
from webapp.models.sharing_group import SharingGroup
from webapp.models.submission_revision import SubmissionRevision
from webapp.models.submission_translation import SubmissionTranslation
from webapp.models.types import Tier, TierType, UTCDateTime, utcnow
from webapp.models.user import User


def _enum(enum_class: type[enum.Enum], length: int = 32) -> Enum:
    """A portable string enum column storing the members' values."""
    return Enum(enum_class, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class SubmissionKind(enum.Enum):
    """What a submission is; outcome syntheses are only created by facilitators from a dialogue round."""

    LESSON_LEARNT = "lesson_learnt"
    GOOD_PRACTICE = "good_practice"
    RESPONSIBLE_AI_POLICY = "responsible_ai_policy"
    OUTCOME_SYNTHESIS = "outcome_synthesis"


class SubmissionStatus(enum.Enum):
    """Workflow: draft → submitted → published (or returned); withdrawn; published → archived."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"
    ARCHIVED = "archived"


class LifecycleStage(enum.Enum):
    """Where in the AI system's lifecycle a lesson arose."""

    DESIGN = "design"
    DEVELOPMENT = "development"
    TEST_EVALUATION = "test_evaluation"
    DEPLOYMENT = "deployment"
    USE = "use"
    RETIREMENT = "retirement"


class LessonStatus(enum.Enum):
    """NATO lessons-learnt progression: identified → remedial action under way → learnt."""

    IDENTIFIED = "identified"
    REMEDIAL_ACTION = "remedial_action"
    LEARNT = "learnt"


# Statuses every reader with the tier may see; the others are the author's (and reviewers', when submitted).
READABLE_STATUSES = (SubmissionStatus.PUBLISHED, SubmissionStatus.ARCHIVED)

# Markdown fields, each stored as `<name>_source` + `<name>_html`, per kind (order = display order).
MARKDOWN_FIELDS: dict[SubmissionKind, tuple[str, ...]] = {
    SubmissionKind.LESSON_LEARNT: (
        "observation", "discussion", "conclusion", "recommendation", "remedial_action", "evidence",
    ),
    SubmissionKind.GOOD_PRACTICE: ("challenge", "practice", "evidence_of_effect", "transfer_conditions"),
    SubmissionKind.RESPONSIBLE_AI_POLICY: ("scope", "principles"),
    SubmissionKind.OUTCOME_SYNTHESIS: ("body",),
}
ALL_MARKDOWN_FIELDS = tuple(dict.fromkeys(name for names in MARKDOWN_FIELDS.values() for name in names))
submission_paragraphs = Table(
    "submission_paragraphs",
    Base.metadata,
    Column("submission_id", ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True),
    Column("paragraph_number", ForeignKey("call_paragraphs.number"), primary_key=True, index=True),
)


class Submission(Base):
    """One contribution to the archive, at a tier, tagged with Call paragraphs; every edit is a revision."""

    __tablename__ = "submissions"
    __table_args__ = (
        # Covering index for browse counts: every column of the read rule, the filters and the facets, so that
        # counting the authorized set never reads the wide rows (Markdown sources and HTML).
        Index(
            "ix_submissions_browse",
            "status", "kind", "tier", "published_at", "lifecycle_stage", "sharing_group_id",
            "author_organisation_id", "author_id", "chatham_house", "id",
        ),
        Index("ix_submissions_author_id_updated_at", "author_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SubmissionKind] = mapped_column(_enum(SubmissionKind))
    status: Mapped[SubmissionStatus] = mapped_column(_enum(SubmissionStatus), default=SubmissionStatus.DRAFT)
    tier: Mapped[Tier] = mapped_column(TierType)
    sharing_group_id: Mapped[int | None] = mapped_column(ForeignKey("sharing_groups.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Denormalised from the author at creation: the tier rule ("author's organisation") and facets use it.
    author_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)

    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    # The language the item was written in (one of LANGUAGES); translations into the others are separate rows.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Tear lines (DESIGN.md rule 10): Markdown field name → tier code for the sections the author marked above the
    # item's tier. A section missing here has the item's tier; a section is read at max(item tier, its tier), so
    # raising the item raises it too, and lowering the item never lowers a section below the tier chosen for it.
    section_tiers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)

    # Lesson learnt (NATO format) and its context.
    observation_source: Mapped[str] = mapped_column(Text, default="")
    observation_html: Mapped[str] = mapped_column(Text, default="")
    discussion_source: Mapped[str] = mapped_column(Text, default="")
    discussion_html: Mapped[str] = mapped_column(Text, default="")
    conclusion_source: Mapped[str] = mapped_column(Text, default="")
    conclusion_html: Mapped[str] = mapped_column(Text, default="")
    recommendation_source: Mapped[str] = mapped_column(Text, default="")
    recommendation_html: Mapped[str] = mapped_column(Text, default="")
    application_area: Mapped[str] = mapped_column(String(200), default="")
    military_context: Mapped[str] = mapped_column(String(200), default="")
    lifecycle_stage: Mapped[LifecycleStage | None] = mapped_column(_enum(LifecycleStage))
    lesson_status: Mapped[LessonStatus | None] = mapped_column(_enum(LessonStatus))
    remedial_action_source: Mapped[str] = mapped_column(Text, default="")
    remedial_action_html: Mapped[str] = mapped_column(Text, default="")
    evidence_source: Mapped[str] = mapped_column(Text, default="")
    evidence_html: Mapped[str] = mapped_column(Text, default="")

    # Good practice.
    challenge_source: Mapped[str] = mapped_column(Text, default="")
    challenge_html: Mapped[str] = mapped_column(Text, default="")
    practice_source: Mapped[str] = mapped_column(Text, default="")
    practice_html: Mapped[str] = mapped_column(Text, default="")
    evidence_of_effect_source: Mapped[str] = mapped_column(Text, default="")
    evidence_of_effect_html: Mapped[str] = mapped_column(Text, default="")
    transfer_conditions_source: Mapped[str] = mapped_column(Text, default="")
    transfer_conditions_html: Mapped[str] = mapped_column(Text, default="")

    # Responsible-AI policy; versions of one policy share a `policy_series`.
    issuer: Mapped[str] = mapped_column(String(200), default="")
    scope_source: Mapped[str] = mapped_column(Text, default="")
    scope_html: Mapped[str] = mapped_column(Text, default="")
    principles_source: Mapped[str] = mapped_column(Text, default="")
    principles_html: Mapped[str] = mapped_column(Text, default="")
    effective_date: Mapped[date | None] = mapped_column(Date)
    policy_version: Mapped[str] = mapped_column(String(40), default="")
    link: Mapped[str] = mapped_column(String(500), default="")
    policy_series: Mapped[str | None] = mapped_column(String(32), index=True)
    # The published version of the same policy that replaced this one (set when it is published, only if it is at
    # least as readable as this one): lists, paragraph pages and search show the current version once.
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id", ondelete="SET NULL"))

    # Outcome synthesis of a dialogue round (published by concluding the round; its tier and text follow the round).
    body_source: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    # Key points per stakeholder type code: Markdown sources, and the same keys rendered and sanitized on write.
    key_points: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    key_points_html: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("dialogue_rounds.id", ondelete="SET NULL"), index=True)
    chatham_house: Mapped[bool] = mapped_column(Boolean, default=False)

    # Review.
    reviewer_comments_source: Mapped[str] = mapped_column(Text, default="")
    reviewer_comments_html: Mapped[str] = mapped_column(Text, default="")
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Review date (issue 14; services/review_dates.py): None until the originator sets one or the daily job fills
    # in the kind's default; the originator is reminded once (review_reminded_at) before it lapses.
    review_on: Mapped[date | None] = mapped_column(Date, default=None, index=True)
    review_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    superseded_by: Mapped["Submission | None"] = relationship(remote_side="Submission.id", lazy="raise_on_sql")
    author_organisation: Mapped[Organisation] = relationship(lazy="raise_on_sql")
    sharing_group: Mapped[SharingGroup | None] = relationship(lazy="raise_on_sql")
    paragraphs: Mapped[list[CallParagraph]] = relationship(
        secondary=submission_paragraphs, order_by=CallParagraph.number
    )
    revisions: Mapped[list[SubmissionRevision]] = relationship(
        back_populates="submission",
        order_by="SubmissionRevision.number",
        cascade="all, delete-orphan",
    )
    # Every translation, whatever its review state: pages read them through queries_archive.translations
    # (policy); the search source loads them (selectinload) to index the published ones.
    translations: Mapped[list[SubmissionTranslation]] = relationship(
        back_populates="submission", order_by="SubmissionTranslation.id", cascade="all, delete-orphan",
    )

    @property
    def paragraph_numbers(self) -> list[int]:
        """The linked paragraph numbers in order (paragraphs must be loaded)."""
        return [paragraph.number for paragraph in self.paragraphs]

    def markdown_fields(self) -> tuple[str, ...]:
        """The Markdown fields of this submission's kind, in display order."""
        return MARKDOWN_FIELDS[self.kind]

    def section_tier(self, name: str) -> Tier:
        """The tier a section is read at: its own (a tear line), never below the item's."""
        return section_tier_of(self.tier, self.section_tiers, name)


def section_tier_of(item_tier: Tier, section_tiers: dict[str, str] | None, name: str) -> Tier:
    """A section's tier from the item's tier and the stored tear lines (also used on revision snapshots)."""
    code = (section_tiers or {}).get(name)
    if not code:
        return item_tier
    try:
        return max(item_tier, Tier.from_code(code))
    except ValueError:  # an unreadable stored value fails closed: the section is read only at the top tier
        return Tier.CONFIDENTIAL
