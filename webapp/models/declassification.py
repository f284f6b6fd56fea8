"""Declassification by the originator (DESIGN.md rule 8): proposals from elsewhere, and scheduled releases."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base
from webapp.models.dialogue_round import DialogueRound
from webapp.models.submission import Submission
from webapp.models.types import Tier, TierType, UTCDateTime, utcnow
from webapp.models.user import User

PROPOSAL_STATUSES = ("pending", "accepted", "refused")
# What a proposal or a release is about: an archive item, or a dialogue round (with its threads and synthesis).
TARGET_KINDS = ("submission", "round")
RELEASE_STATUSES = ("pending", "done", "skipped", "cancelled")


class TierProposal(Base):
    """'Lower this item to `tier` (and this group)', asked by someone who is not its originator; answered once.

    The item is a submission (target_kind "submission") or a dialogue round ("round": the round, its threads and
    its outcome synthesis keep one audience)."""

    __tablename__ = "tier_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_kind: Mapped[str] = mapped_column(String(12), default="submission")
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("dialogue_rounds.id", ondelete="CASCADE"), index=True)
    proposer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tier: Mapped[Tier] = mapped_column(TierType)
    sharing_group_id: Mapped[int | None] = mapped_column(ForeignKey("sharing_groups.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    answer_reason: Mapped[str] = mapped_column(Text, default="")

    submission: Mapped[Submission | None] = relationship()
    round: Mapped[DialogueRound | None] = relationship()
    proposer: Mapped[User] = relationship(foreign_keys=[proposer_id])


class ScheduledRelease(Base):
    """'Release this item to `tier` at `release_at`', set by its originator; carried out once by the job engine.

    The item (a submission, or a dialogue round with its threads and synthesis: target_kind) keeps its row when
    it is deleted (submission_id or round_id becomes NULL) so that the job can say, in the audit log, that the
    release did nothing."""

    __tablename__ = "scheduled_releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_kind: Mapped[str] = mapped_column(String(12), default="submission")
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id", ondelete="SET NULL"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("dialogue_rounds.id", ondelete="SET NULL"), index=True)
    item_id: Mapped[int] = mapped_column()  # the target's id, kept for the audit log after a deletion
    scheduled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    tier: Mapped[Tier] = mapped_column(TierType)
    release_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    outcome: Mapped[str] = mapped_column(Text, default="")
