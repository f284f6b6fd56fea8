"""The moderation log: what facilitators did in a round (or to standalone threads), with their reasons."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base
from webapp.models.types import UTCDateTime, utcnow
from webapp.models.user import User


class ModerationEvent(Base):
    """One moderation act. round_id is None for standalone threads. Appended only."""

    __tablename__ = "dialogue_moderation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("dialogue_rounds.id"), index=True)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("dialogue_threads.id"), index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("dialogue_posts.id"))
    action: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(1000), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[User] = relationship()
