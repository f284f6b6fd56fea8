"""Per-thread pseudonyms of a Chatham House round ("Participant A"): assigned by first post, stored, never
recomputed, so hiding or deleting posts never renames anyone."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base


class ThreadPseudonym(Base):
    """Who is "Participant <letter of position>" in one thread (position 0 = A, in the order of first posts)."""

    __tablename__ = "thread_pseudonyms"
    __table_args__ = (UniqueConstraint("thread_id", "position", name="uq_thread_pseudonyms_thread_position"),)

    thread_id: Mapped[int] = mapped_column(ForeignKey("dialogue_threads.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


def pseudonym_letters(position: int) -> str:
    """0 → A, 25 → Z, 26 → AA: spreadsheet-style letters, never reused within a thread."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
