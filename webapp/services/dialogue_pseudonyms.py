"""Per-thread pseudonyms: stored in the order people first post in a thread, inside the posting transaction."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp.models import Post, Thread, ThreadPseudonym


def assign_pseudonym(db: Session, thread: Thread, user_id: int) -> None:
    """Give `user_id` the next letter of `thread` unless they have one. Every round thread gets them, so turning
    pseudonyms on later needs no renumbering. Called after the thread row was updated (locked on PostgreSQL),
    so concurrent first posts in one thread take letters one after the other."""
    if thread.round_id is None or db.get(ThreadPseudonym, (thread.id, user_id)) is not None:
        return
    taken = db.scalar(select(func.max(ThreadPseudonym.position)).where(ThreadPseudonym.thread_id == thread.id))
    db.add(ThreadPseudonym(thread_id=thread.id, user_id=user_id, position=0 if taken is None else taken + 1))
    db.flush()


def backfill_pseudonyms(db: Session, thread: Thread) -> None:
    """Letters for everyone who posted before letters were stored (hidden and deleted posts count: first post
    order, never the order of what is visible now)."""
    first_posts = (select(Post.author_id, func.min(Post.id).label("first"))
                   .where(Post.thread_id == thread.id).group_by(Post.author_id).order_by("first"))
    for author_id, _first in db.execute(first_posts).all():
        assign_pseudonym(db, thread, author_id)
