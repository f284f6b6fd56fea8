"""Translations of archive submissions (issue 13): an item in another language, reviewed like a revision."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base
from webapp.models.types import Tier, TierType, UTCDateTime, utcnow
from webapp.models.user import User

if TYPE_CHECKING:
    from webapp.models.submission import Submission

# Review states, as for a revision of a published item (DESIGN.md rule 9): readers see only a published one.
TRANSLATION_PENDING = "pending"
TRANSLATION_PUBLISHED = "published"
TRANSLATION_RETURNED = "returned"
# A newer translation into the same language was proposed before review, or was published over this one.
TRANSLATION_REPLACED = "replaced"


class SubmissionTranslation(Base):
    """The title, summary and Markdown sections of a submission in one language. Like a revision it keeps the
    audience (and the tear lines) it was written under: it is read under the item's rule AND that audience, and
    each section at the higher of its tier then and now, so lowering the item never lowers a translation."""

    __tablename__ = "submission_translations"
    __table_args__ = (Index("ix_submission_translations_submission_language", "submission_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    # Markdown field name → source, and the same keys rendered and sanitized on write (webapp.sanitize).
    sections: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    sections_html: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(String(200), default="")
    review_state: Mapped[str] = mapped_column(String(16), default=TRANSLATION_PENDING)
    reviewer_comments: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The audience and tear lines the translation was written under (copied from the item when it is proposed).
    tier: Mapped[Tier] = mapped_column(TierType)
    sharing_group_id: Mapped[int | None] = mapped_column(ForeignKey("sharing_groups.id"))
    author_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    section_tiers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)

    submission: Mapped["Submission"] = relationship(back_populates="translations")
    author: Mapped[User] = relationship(foreign_keys=[author_id])
