"""Revisions of archive submissions: a snapshot of every field after each edit."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base
from webapp.models.types import Tier, TierType, UTCDateTime, utcnow
from webapp.models.user import User

if TYPE_CHECKING:
    from webapp.models.submission import Submission


REVIEW_PENDING, REVIEW_PUBLISHED, REVIEW_RETURNED, REVIEW_REPLACED = "pending", "published", "returned", "replaced"
# Revisions every reader of the item may read; the others are proposals (their author's and the reviewers').
READER_REVIEW_STATES = ("", REVIEW_PUBLISHED)


class SubmissionRevision(Base):
    """One edit of a submission. It keeps the audience it was written under (tier, sharing group, author
    organisation): it is read under the submission's rule AND that audience, so lowering the item never lowers
    its past (DESIGN.md §7)."""

    __tablename__ = "submission_revisions"
    __table_args__ = (Index("ix_submission_revisions_submission_id_number", "submission_id", "number", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(String(200), default="")
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The audience the revision (and its note) was written under; copied from the submission when it is recorded.
    tier: Mapped[Tier] = mapped_column(TierType)
    sharing_group_id: Mapped[int | None] = mapped_column(ForeignKey("sharing_groups.id"))
    author_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    # Review of the revision (DESIGN.md rule 9): "" ordinary (draft edits, workflow steps), "published" (readers
    # were shown it), or, for an edit of a published item: "pending", "returned", "replaced" (a newer one was
    # proposed before review). Only the author and reviewers read the last three.
    review_state: Mapped[str] = mapped_column(String(16), default="", server_default="")

    submission: Mapped["Submission"] = relationship(back_populates="revisions")
    author: Mapped[User] = relationship()
