"""Idempotency keys: one row per form submission that created something, so a repeated POST finds it (PRG)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base
from webapp.models.types import UTCDateTime, utcnow


class FormSubmission(Base):
    """"User U's form F with key K created what lives at `result_url`." Unique per (user, key) across workers;
    a key another user sends is simply a different row, so it never leads to this user's item."""

    __tablename__ = "form_submissions"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_form_submissions_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    form: Mapped[str] = mapped_column(String(40))
    result_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
