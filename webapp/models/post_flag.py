"""Flags: a member's report that a post needs a facilitator's attention."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base
from webapp.models.post import Post
from webapp.models.types import UTCDateTime, utcnow
from webapp.models.user import User


class PostFlag(Base):
    """One flag per user per post; open until a facilitator resolves it."""

    __tablename__ = "dialogue_post_flags"
    __table_args__ = (UniqueConstraint("post_id", "user_id", name="uq_dialogue_post_flags_post_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("dialogue_posts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str] = mapped_column(String(40), default="")

    post: Mapped[Post] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
