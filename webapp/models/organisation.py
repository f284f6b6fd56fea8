"""Organisations: ministries and missions, companies, universities, civil society, international organisations."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base
from webapp.models.stakeholder_type import StakeholderType
from webapp.models.types import UTCDateTime, utcnow


class Organisation(Base):
    """An organisation; its members may post only once an admin has verified it."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    stakeholder_type_code: Mapped[str] = mapped_column(ForeignKey("stakeholder_types.code"), index=True)
    country: Mapped[str] = mapped_column(String(2), index=True)  # ISO 3166-1 alpha-2
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    stakeholder_type: Mapped[StakeholderType] = relationship(lazy="joined")

    @property
    def country_name(self) -> str:
        """The country's English short name (the code when unknown)."""
        import pycountry

        found = pycountry.countries.get(alpha_2=self.country)
        return found.name if found else self.country
