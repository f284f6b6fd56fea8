"""Discussion threads, in a round or standing alone."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base
from webapp.models.call_paragraph import CallParagraph
from webapp.models.dialogue_round import DialogueRound
from webapp.models.types import Tier, TierType, UTCDateTime, utcnow
from webapp.models.user import User

thread_paragraphs = Table(
    "dialogue_thread_paragraphs",
    Base.metadata,
    Column("thread_id", ForeignKey("dialogue_threads.id", ondelete="CASCADE"), primary_key=True),
    Column("paragraph_number", ForeignKey("call_paragraphs.number"), primary_key=True, index=True),
)


class Thread(Base):
    """A thread. In a round its tier, group and owner organisation are the round's (kept in step by the services)."""

    __tablename__ = "dialogue_threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("dialogue_rounds.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    tier: Mapped[Tier] = mapped_column(TierType, default=Tier.COMMUNITY, index=True)
    sharing_group_id: Mapped[int | None] = mapped_column(ForeignKey("sharing_groups.id"), index=True)
    # The organisation the tier rule treats as the author's (the round's for threads in a round).
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_post_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    round: Mapped[DialogueRound | None] = relationship()
    author: Mapped[User] = relationship()
    paragraphs: Mapped[list[CallParagraph]] = relationship(secondary=thread_paragraphs, order_by=CallParagraph.number)
