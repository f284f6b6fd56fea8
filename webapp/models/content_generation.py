"""The data generation of counts and facets: one row that every content write bumps in its own transaction."""
from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base


class ContentGeneration(Base):
    """One row (id 1). `token` is new random text at every bump (cached counts are keyed by it: a database restored
    from a backup brings back a token whose cached counts were computed from exactly that state, where a plain
    counter would reach numbers again that once meant newer data); `generation` counts the bumps, for people."""

    __tablename__ = "content_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(32))
    generation: Mapped[int] = mapped_column(BigInteger, default=0)
