"""Single-use links mailed to a person (e-mail verification, password reset) and second-factor recovery codes.

Only a SHA-256 of each secret is stored: a copy of the database opens no mailbox link and spends no recovery code.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base
from webapp.models.types import UTCDateTime, utcnow
from webapp.models.user import User

VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"
TOKEN_PURPOSES = (VERIFY_EMAIL, RESET_PASSWORD)


class AccountToken(Base):
    """One mailed link: valid until `expires_at`, spent at `used_at`."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The address being verified (the registration address, or the new address of a change).
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    user: Mapped[User] = relationship()


class RecoveryCode(Base):
    """A one-time code that replaces the TOTP code once, when the phone is lost."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
