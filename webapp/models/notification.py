"""In-app notifications. They store only a reference: title and text are read, through the policy, when listed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base
from webapp.models.types import UTCDateTime, utcnow


class Notification(Base):
    """'Something happened to (object_kind, object_id)' for one user; read_at once seen."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_unread", "user_id", "read_at"),
        # Digests look up the unmailed rows of one delivery period.
        Index("ix_notifications_digest", "delivery", "mailed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    object_kind: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # How the recipient chose to hear of this kind of event when it happened: "in_app", "immediate", "daily" or
    # "weekly"; digests collect the "daily"/"weekly" rows not yet mailed (mailed_at is None).
    delivery: Mapped[str] = mapped_column(String(10), default="in_app", server_default="in_app")
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class NotificationPreference(Base):
    """How one person wants to hear of one kind of event (absent: the kind's default)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "event", name="uq_notification_preferences_user_event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    delivery: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationMark(Base):
    """A one-off event that has been announced (e.g. "round_opened:12"): scheduled announcements and reminders
    run any number of times, each event is told once."""

    __tablename__ = "notification_marks"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ThreadRead(Base):
    """The newest post of a thread one person has seen: posts after it are "new since your last visit"."""

    __tablename__ = "thread_reads"
    __table_args__ = (UniqueConstraint("user_id", "thread_id", name="uq_thread_reads_user_thread"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("dialogue_threads.id", ondelete="CASCADE"), index=True)
    last_post_id: Mapped[int] = mapped_column(Integer, default=0)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
