"""Claims of scheduled job slots: one row per (job, slot), so each slot runs once across every consumer and node."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base
from webapp.models.types import UTCDateTime, utcnow


class JobRun(Base):
    """'Job `name` for the period starting at `slot` is taken by `node`'; status running → done | failed."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("name", "slot", name="uq_job_runs_name_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    slot: Mapped[str] = mapped_column(String(32))  # ISO start of the period, UTC, e.g. 2026-12-01T10:05
    node: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(12), default="running")
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    error: Mapped[str] = mapped_column(Text, default="")
