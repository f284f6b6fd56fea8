"""Posts (a tree under a thread) and their revisions."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base
from webapp.models.thread import Thread
from webapp.models.types import Tier, TierType, UTCDateTime, utcnow
from webapp.models.user import User

MAX_REPLY_DEPTH = 6  # a post replying to the thread has depth 1


class Post(Base):
    """One post. Deleting is soft (a placeholder keeps the tree); hiding is a moderator's act with a reason."""

    __tablename__ = "dialogue_posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("dialogue_threads.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("dialogue_posts.id"), index=True)
    depth: Mapped[int] = mapped_column(Integer, default=1)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # A quote is a reference, rendered at read time through the policy; its text is never copied here.
    quoted_post_id: Mapped[int | None] = mapped_column(ForeignKey("dialogue_posts.id"), index=True)
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    hidden_reason: Mapped[str] = mapped_column(String(500), default="")
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    thread: Mapped[Thread] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class PostRevision(Base):
    """One version of a post's text; the first is the original, each edit adds one. It keeps the audience of its
    thread when it was written (tier, sharing group, organisation): a round or thread lowered or moved later never
    lowers the versions written before (DESIGN.md §7)."""

    __tablename__ = "dialogue_post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("dialogue_posts.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    tier: Mapped[Tier] = mapped_column(TierType)
    sharing_group_id: Mapped[int | None] = mapped_column(ForeignKey("sharing_groups.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))

    post: Mapped[Post] = relationship()
