"""Organisations: ministries and missions, companies, universities, civil society, international organisations."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base
from webapp.models.stakeholder_type import StakeholderType
from webapp.models.types import UTCDateTime, utcnow

# An organisation's focal points: members an admin named to verify colleagues, deactivate leavers, keep the
# profile and sharing groups, and propose clearances — for their own organisation only (policy/organisations.py).
organisation_focal_points = Table(
    "organisation_focal_points",
    Base.metadata,
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Organisation(Base):
    """An organisation; its members may post only once an admin has verified it."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    stakeholder_type_code: Mapped[str] = mapped_column(ForeignKey("stakeholder_types.code"), index=True)
    country: Mapped[str] = mapped_column(String(2), index=True)  # ISO 3166-1 alpha-2
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The public profile, kept by the organisation's focal points (plain text; shown escaped).
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    # Set when an admin merged this duplicate into another organisation: it keeps its id for old links and
    # audit rows, holds nobody and nothing, and is left out of every list.
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), default=None, index=True
    )

    stakeholder_type: Mapped[StakeholderType] = relationship(lazy="joined")

    @property
    def country_name(self) -> str:
        """The country's short name in the reader's language (the code when unknown)."""
        from webapp.locale_names import country_name

        return country_name(self.country)
