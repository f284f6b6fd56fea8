"""What is new for one person: posts since their last visit of each thread, and the signed-in home page's
"what changed for you" (reviews waiting, rounds closing soon, new posts in what they watch) — all through the policy.

A post counts as new when it is readable, not deleted, not the viewer's own, and newer than the viewer's read mark
of its thread (every post of a thread they never opened is new).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from webapp import policy
from webapp.models import DialogueRound, Post, Submission, Thread, ThreadRead, Watch, utcnow
from webapp.policy import Viewer
from webapp.queries_archive.listing import review_queue
from webapp.queries_dialogue.notifications import unread_count

CLOSING_SOON = timedelta(hours=48)
HOME_LIST_SIZE = 10


def _new_posts(viewer: Viewer):
    mark = select(ThreadRead.last_post_id).where(ThreadRead.user_id == viewer.user_id,
                                                 ThreadRead.thread_id == Post.thread_id).scalar_subquery()
    return and_(Post.deleted_at.is_(None), Post.author_id != viewer.user_id, Post.id > func.coalesce(mark, 0))


def new_posts_by_thread(db: Session, viewer: Viewer, thread_ids: list[int]) -> dict[int, int]:
    """{thread id: readable posts new since the viewer's last visit}; empty for anonymous readers."""
    if viewer.user_id is None or not thread_ids:
        return {}
    stmt = (select(Post.thread_id, func.count(Post.id)).where(Post.thread_id.in_(thread_ids), _new_posts(viewer))
            .group_by(Post.thread_id))
    return dict(db.execute(policy.visible(stmt, viewer, Post)).all())


def first_unread_post_id(db: Session, viewer: Viewer, thread_id: int, after: int = 0) -> int | None:
    """The viewer's first new post of a thread, in the thread's order, newer than their read mark and than post
    `after` (the newest one just shown); None when there is none or for anonymous readers."""
    if viewer.user_id is None:
        return None
    stmt = (select(Post.id).where(Post.thread_id == thread_id, _new_posts(viewer), Post.id > after)
            .order_by(Post.created_at, Post.id).limit(1))
    return db.scalar(policy.visible(stmt, viewer, Post))


def new_posts_by_round(db: Session, viewer: Viewer, round_ids: list[int]) -> dict[int, int]:
    """{round id: readable posts new since the viewer's last visit of their threads}."""
    if viewer.user_id is None or not round_ids:
        return {}
    stmt = (select(Thread.round_id, func.count(Post.id)).join(Thread, Thread.id == Post.thread_id)
            .where(Thread.round_id.in_(round_ids), _new_posts(viewer)).group_by(Thread.round_id))
    return dict(db.execute(policy.visible(stmt, viewer, Post)).all())


@dataclass
class WhatChanged:
    """The signed-in home page's summary for one person."""

    to_review: list[Submission] = field(default_factory=list)
    closing_soon: list[DialogueRound] = field(default_factory=list)
    watched_threads: list[tuple[Thread, int]] = field(default_factory=list)  # (thread, new posts)
    unread_notifications: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.to_review or self.closing_soon or self.watched_threads or self.unread_notifications)


def what_changed(db: Session, viewer: Viewer) -> WhatChanged | None:
    """Reviews waiting, open rounds closing within 48 hours, watched threads with new posts (None if anonymous)."""
    if viewer.user_id is None:
        return None
    now = utcnow()
    closing = policy.visible(select(DialogueRound).where(
        DialogueRound.closed_at.is_(None), DialogueRound.concluded_at.is_(None), DialogueRound.opens_at <= now,
        DialogueRound.closes_at > now, DialogueRound.closes_at <= now + CLOSING_SOON), viewer, DialogueRound)
    watched_ids = select(Watch.target_id).where(Watch.user_id == viewer.user_id, Watch.target_kind == "thread")
    threads = list(db.scalars(policy.visible(select(Thread).where(Thread.id.in_(watched_ids)), viewer, Thread)
                              .order_by(Thread.last_post_at.desc())))
    counts = new_posts_by_thread(db, viewer, [thread.id for thread in threads])
    return WhatChanged(
        to_review=review_queue(db, viewer)[:HOME_LIST_SIZE],
        closing_soon=list(db.scalars(closing.order_by(DialogueRound.closes_at).limit(HOME_LIST_SIZE))),
        watched_threads=[(thread, counts[thread.id]) for thread in threads if counts.get(thread.id)][:HOME_LIST_SIZE],
        unread_notifications=unread_count(db, viewer),
    )
