"""Clearance proposals: a focal point proposes a colleague's clearance, an admin grants or declines it."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base
from webapp.models.types import Tier, TierType, UTCDateTime, utcnow


class ProposalStatus(enum.Enum):
    """pending until an admin decides."""

    PENDING = "pending"
    GRANTED = "granted"
    DECLINED = "declined"


class ClearanceProposal(Base):
    """One proposed clearance for one person; at most one pending per person (the service keeps it so)."""

    __tablename__ = "clearance_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    clearance: Mapped[Tier] = mapped_column(TierType)
    reason: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[ProposalStatus] = mapped_column(
        Enum(ProposalStatus, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=ProposalStatus.PENDING, index=True,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    user = relationship("User", foreign_keys=[user_id])
    proposed_by = relationship("User", foreign_keys=[proposed_by_id])
