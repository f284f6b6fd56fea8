"""Reading per-thread pseudonyms ("Participant A"), one query per thread and request."""
from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Post, Thread, ThreadPseudonym
from webapp.models.thread_pseudonym import pseudonym_letters
from webapp.policy.dialogue import pseudonyms_apply


def thread_pseudonyms(db: Session, thread_id: int) -> dict[int, str]:
    """{user id: "A"} for one thread (cached for the request)."""
    cache = g.setdefault("_thread_pseudonyms", {}) if has_request_context() else {}
    if thread_id not in cache:
        rows = db.execute(select(ThreadPseudonym.user_id, ThreadPseudonym.position)
                          .where(ThreadPseudonym.thread_id == thread_id))
        cache[thread_id] = {user_id: pseudonym_letters(position) for user_id, position in rows}
    return cache[thread_id]


def pseudonym_of(db: Session, item: Any) -> str | None:
    """The letter of a post's or thread's author in its thread, when its round uses pseudonyms; else None."""
    thread = item if isinstance(item, Thread) else item.thread if isinstance(item, Post) else None
    if thread is None or not pseudonyms_apply(thread.round):
        return None
    return thread_pseudonyms(db, thread.id).get(item.author_id)
