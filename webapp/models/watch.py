"""Watches: a person follows a thread, a round or a Call paragraph."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base
from webapp.models.types import UTCDateTime, utcnow
from webapp.models.user import User

WATCH_KINDS = ("thread", "round", "paragraph")


class Watch(Base):
    """(user, target_kind, target_id), at most once."""

    __tablename__ = "watches"
    __table_args__ = (UniqueConstraint("user_id", "target_kind", "target_id", name="uq_watches_user_target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    target_kind: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
