"""People and their sign-in sessions."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String
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
    # None until the person opened the link mailed to `email` (registration; a password reset proves it too).
    # A changed address replaces `email` only once confirmed, so `email` is verified for everyone past sign-up.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # TOTP (RFC 6238). `totp_pending_secret` is shown as a QR code until confirmed with a code and the password;
    # `totp_last_counter` is the time step of the last accepted code, so a code is never accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_last_counter: Mapped[int | None] = mapped_column(Integer, default=None)
    second_factor_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    locale: Mapped[str | None] = mapped_column(String(10), default=None)  # None: the browser's language
    time_zone: Mapped[str | None] = mapped_column(String(64), default=None)  # IANA name; None: UTC
    # Erasure (services/erasure.py): the row stays so that contributions and audit rows keep a referent, but
    # holds nothing personal; `erased_ref` ("person #…") is the pseudonymous reference the audit log shows.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    erased_ref: Mapped[str | None] = mapped_column(String(40), default=None)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    sharing_groups: Mapped[list[SharingGroup]] = relationship(
        secondary=sharing_group_users, back_populates="users", order_by="SharingGroup.name"
    )

    # Flask-Login protocol. The session cookie carries an opaque sign-in token, not the user id,
    # so that revoking the AuthSession row revokes the cookie (see services/accounts.py).
    auth_token = None  # set per request by the user loader; not a column
    auth_session_id = None  # the AuthSession row of this request (ditto)

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
    def is_erased(self) -> bool:
        """Personal data removed on request (it cannot be undone)."""
        return self.erased_at is not None

    @property
    def is_verified(self) -> bool:
        """Active account in a verified organisation: may read community material and post."""
        return self.status is AccountStatus.ACTIVE and self.organisation.verified

    @property
    def email_verified(self) -> bool:
        """Has the person proved they read mail at `email`? Only then may it receive notifications."""
        return self.email_verified_at is not None

    @property
    def has_second_factor(self) -> bool:
        """Enrolled in TOTP: every sign-in asks for a code after the password."""
        return self.totp_secret is not None and self.second_factor_enrolled_at is not None

    @property
    def requires_second_factor(self) -> bool:
        """DESIGN §3.12: clearance above community, and the facilitator and admin roles, need a second factor."""
        return self.clearance > Tier.COMMUNITY or self.is_facilitator or self.is_admin

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
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Password accepted, code not yet: such a row signs nobody in (see services/accounts.user_for_token).
    second_factor_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_codes: Mapped[int] = mapped_column(Integer, default=0)

    user: Mapped[User] = relationship()
