"""People and their sign-in sessions."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base
from webapp.models.organisation import Organisation
from webapp.models.sharing_group import SharingGroup, sharing_group_users
from webapp.models.types import Tier, TierType, UTCDateTime, utcnow


class AccountStatus(enum.Enum):
    """pending until an admin verifies; deactivated accounts cannot sign in."""

    PENDING = "pending"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


class User(Base):
    """A person in one organisation; every user is a member, facilitator and admin roles add to that."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[AccountStatus] = mapped_column(
        Enum(AccountStatus, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        default=AccountStatus.PENDING,
    )
    is_facilitator: Mapped[bool] = mapped_column(Boolean, default=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    clearance: Mapped[Tier] = mapped_column(TierType, default=Tier.COMMUNITY)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    sharing_groups: Mapped[list[SharingGroup]] = relationship(
        secondary=sharing_group_users, back_populates="users", order_by="SharingGroup.name"
    )

    # Flask-Login protocol. The session cookie carries an opaque sign-in token, not the user id,
    # so that revoking the AuthSession row revokes the cookie (see services/accounts.py).
    auth_token = None  # set per request by the user loader; not a column

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.status is not AccountStatus.DEACTIVATED

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self.auth_token

    @property
    def is_verified(self) -> bool:
        """Active account in a verified organisation: may read community material and post."""
        return self.status is AccountStatus.ACTIVE and self.organisation.verified

    @property
    def role_names(self) -> list[str]:
        return ["member"] + (["facilitator"] if self.is_facilitator else []) + (["admin"] if self.is_admin else [])


class AuthSession(Base):
    """One signed-in browser; revoked on sign-out, password change and deactivation."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    ip: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship()
