"""The 25 paragraphs of the REAIM Call to Action, the archive's main axis."""
from __future__ import annotations

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base

FIRST_PARAGRAPH = 1
LAST_PARAGRAPH = 25


class CallParagraph(Base):
    """One numbered paragraph of the Call; featured ones (14, 16, 23, 24) lead the home page."""

    __tablename__ = "call_paragraphs"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
