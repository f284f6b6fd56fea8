"""The durable mail queue: one row per message, written in the transaction of the event it reports."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base
from webapp.models.types import UTCDateTime, utcnow


class MailStatus(enum.Enum):
    """queued → sending (claimed, with a lease) → sent | queued again (retry) | failed | cancelled."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class OutgoingMail(Base):
    """One message to one recipient, delivered by the job engine after the commit that queued it."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (
        Index("ix_outgoing_mail_status_due", "status", "next_attempt_at"),
        {"sqlite_autoincrement": True},  # an id names one message for good (its Message-ID, the admin's retry)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text, default=None)
    headers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # One message per key, ever: a replayed event queues nothing the second time.
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # A notice that the account itself was closed (a refused registration): sent although that account is now
    # deactivated, which would otherwise cancel any mail to its address.
    closing_notice: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Stable across retries, so a receiver can recognise a message it already has.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[MailStatus] = mapped_column(
        Enum(MailStatus, native_enum=False, length=12, values_callable=lambda e: [m.value for m in e]),
        default=MailStatus.QUEUED,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # While status is sending: the claim's owner and until when it holds (a crashed sender's claim expires).
    claim_token: Mapped[str | None] = mapped_column(String(36), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
