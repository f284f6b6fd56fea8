"""A request that an erased person's contributions be deleted: it waits for their organisation's answer."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base
from webapp.models.organisation import Organisation
from webapp.models.types import UTCDateTime, utcnow
from webapp.models.user import User

PENDING, AGREED, DECLINED = "pending", "agreed", "declined"


class ErasureRequest(Base):
    """Contributions of an erased person (the users tombstone): pending → agreed (deleted) | declined (they stay,
    credited to a former member of the organisation). Holds no name: the person is known by their reference."""

    __tablename__ = "erasure_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The documented request an administrator acted on (scrubbed of the person's name and addresses).
    reason: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(12), default=PENDING, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    note: Mapped[str] = mapped_column(String(500), default="")

    person: Mapped[User] = relationship(foreign_keys=[user_id])
    organisation: Mapped[Organisation] = relationship()
