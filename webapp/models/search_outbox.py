"""Pending search-index updates, written in the same transaction as the change they describe (DESIGN.md §4)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base
from webapp.models.types import UTCDateTime, utcnow


class SearchOutboxEntry(Base):
    """'Re-read object (kind, object_id) and update the index.' Deleted only once applied."""

    __tablename__ = "search_outbox"
    # Ids are never reused (SQLite otherwise hands a deleted highest id to the next row). Two appliers may read the
    # same entry (the second reads before the first deletes); the second then deletes "its" id — which, reused,
    # would be a newer entry for an object it never indexed, lost for good. PostgreSQL sequences never reuse.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
