"""Which database this is, and up to which change the search index has been brought (DESIGN.md §4)."""
from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base


class DatabaseIdentity(Base):
    """One row (id 1). `database_id` is random per database (a restored backup keeps it, another database has its
    own); `search_position` counts the index commits, bumped before each one, so an index stamped with a higher
    position than this row was built on a newer state of the database than the one now in place."""

    __tablename__ = "database_identity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    database_id: Mapped[str] = mapped_column(String(32))
    search_position: Mapped[int] = mapped_column(BigInteger, default=0)
