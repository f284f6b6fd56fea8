"""Sharing groups: named sets of organisations and people that confidential items can be limited to."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base
from webapp.models.types import UTCDateTime, utcnow

sharing_group_users = Table(
    "sharing_group_users",
    Base.metadata,
    Column("group_id", ForeignKey("sharing_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)

sharing_group_organisations = Table(
    "sharing_group_organisations",
    Base.metadata,
    Column("group_id", ForeignKey("sharing_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class SharingGroup(Base):
    """A named group; a user belongs to it directly or through their organisation."""

    __tablename__ = "sharing_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The organisation that answers for the group: its verified facilitators are the group's owners, told of every
    # membership change an admin makes (a later issue makes them the organisation's focal points).
    owner_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True, default=None
    )

    owner_organisation = relationship("Organisation", foreign_keys=[owner_organisation_id])
    users = relationship("User", secondary=sharing_group_users, back_populates="sharing_groups", order_by="User.name")
    organisations = relationship("Organisation", secondary=sharing_group_organisations, order_by="Organisation.name")
