"""Dialogue rounds: facilitated, time-boxed discussions with an outcome synthesis."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base
from webapp.models.call_paragraph import CallParagraph
from webapp.models.organisation import Organisation
from webapp.models.stakeholder_type import StakeholderType
from webapp.models.types import Tier, TierType, UTCDateTime, utcnow
from webapp.models.user import User

round_paragraphs = Table(
    "dialogue_round_paragraphs",
    Base.metadata,
    Column("round_id", ForeignKey("dialogue_rounds.id", ondelete="CASCADE"), primary_key=True),
    Column("paragraph_number", ForeignKey("call_paragraphs.number"), primary_key=True, index=True),
)

round_facilitators = Table(
    "dialogue_round_facilitators",
    Base.metadata,
    Column("round_id", ForeignKey("dialogue_rounds.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)

round_invited_types = Table(
    "dialogue_round_invited_types",
    Base.metadata,
    Column("round_id", ForeignKey("dialogue_rounds.id", ondelete="CASCADE"), primary_key=True),
    Column("stakeholder_type_code", ForeignKey("stakeholder_types.code"), primary_key=True),
)

round_invited_organisations = Table(
    "dialogue_round_invited_organisations",
    Base.metadata,
    Column("round_id", ForeignKey("dialogue_rounds.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class RoundState(enum.Enum):
    """Where a round is in its life; derived from its times and explicit close/conclude acts."""

    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    CONCLUDED = "concluded"


class DialogueRound(Base):
    """A facilitated round: guiding questions, paragraphs, invitations, a window, and an outcome synthesis."""

    __tablename__ = "dialogue_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    questions_source: Mapped[str] = mapped_column(Text, default="")
    questions_html: Mapped[str] = mapped_column(Text, default="")
    tier: Mapped[Tier] = mapped_column(TierType, default=Tier.COMMUNITY, index=True)
    sharing_group_id: Mapped[int | None] = mapped_column(ForeignKey("sharing_groups.id"), index=True)
    # The organisation the tier rule treats as the author's: the creating facilitator's.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    chatham_house: Mapped[bool] = mapped_column(Boolean, default=False)
    # Participants see how many organisations of each type were invited, not which (facilitators see the list).
    hidden_roster: Mapped[bool] = mapped_column(Boolean, default=False)
    # Chatham House only: posts read "Participant A", "Participant B"… per thread (webapp/policy/pseudonyms.py).
    thread_pseudonyms: Mapped[bool] = mapped_column(Boolean, default=False)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    synthesis_source: Mapped[str] = mapped_column(Text, default="")
    synthesis_html: Mapped[str] = mapped_column(Text, default="")
    # {stakeholder type code: key points (plain text)}.
    synthesis_key_points: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Paragraph numbers the synthesis speaks to.
    synthesis_paragraphs: Mapped[list[int]] = mapped_column(JSON, default=list)

    paragraphs: Mapped[list[CallParagraph]] = relationship(secondary=round_paragraphs, order_by=CallParagraph.number)
    facilitators: Mapped[list[User]] = relationship(secondary=round_facilitators, order_by=User.name)
    invited_types: Mapped[list[StakeholderType]] = relationship(
        secondary=round_invited_types, order_by=StakeholderType.position
    )
    invited_organisations: Mapped[list[Organisation]] = relationship(
        secondary=round_invited_organisations, order_by=Organisation.name
    )
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    organisation: Mapped[Organisation] = relationship(foreign_keys=[organisation_id])

    def state_at(self, now: datetime) -> RoundState:
        """The state at `now` (aware UTC)."""
        if self.concluded_at is not None:
            return RoundState.CONCLUDED
        if self.closed_at is not None or now >= self.closes_at:
            return RoundState.CLOSED
        if now < self.opens_at:
            return RoundState.SCHEDULED
        return RoundState.OPEN

    @property
    def state(self) -> RoundState:
        """The state now."""
        return self.state_at(utcnow())

    @property
    def facilitator_ids(self) -> frozenset[int]:
        return frozenset(user.id for user in self.facilitators)

    @property
    def has_invitations(self) -> bool:
        return bool(self.invited_types or self.invited_organisations)
