"""Stakeholder types of the Call (states, private sector, academia, civil society, international organisations)."""
from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base

STAKEHOLDER_CODES = ("state", "international_organisation", "private_sector", "academia", "civil_society")


class StakeholderType(Base):
    """One stakeholder type, loaded from seeds/stakeholder_types.json."""

    __tablename__ = "stakeholder_types"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(400), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def display_label(self) -> str:
        """The label in the reader's language (the database keeps the English label of the seed)."""
        from flask_babel import gettext

        return gettext(self.label)
