"""Revisions of archive submissions: a snapshot of every field after each edit."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base
from webapp.models.types import UTCDateTime, utcnow
from webapp.models.user import User

if TYPE_CHECKING:
    from webapp.models.submission import Submission


class SubmissionRevision(Base):
    """One edit of a submission; read under the submission's rule, never less restricted."""

    __tablename__ = "submission_revisions"
    __table_args__ = (Index("ix_submission_revisions_submission_id_number", "submission_id", "number", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(String(200), default="")
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    submission: Mapped["Submission"] = relationship(back_populates="revisions")
    author: Mapped[User] = relationship()
