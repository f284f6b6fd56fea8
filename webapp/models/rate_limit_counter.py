"""Rate-limit counters kept in the application database, shared by every worker of a node (DESIGN.md §7)."""
from __future__ import annotations

from sqlalchemy import Double, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base


class RateLimitCounter(Base):
    """One fixed window of one limit: `hits` so far, counted until `expires_at` (Unix seconds)."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Double, index=True)  # the purge deletes by it
