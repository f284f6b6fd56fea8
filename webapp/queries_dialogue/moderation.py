"""The facilitators' flag queue and the moderation logs."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from webapp import policy
from webapp.counts.cache import cached
from webapp.models import DialogueRound, ModerationEvent, Post, PostFlag, Thread
from webapp.policy import Viewer
from webapp.policy.dialogue import can_see_moderation_queue, moderated_thread_clause, move_refusal, thread_authors


@dataclass
class FlaggedPost:
    """A post with its open flags."""

    post: Post
    flags: list[PostFlag]


def flag_queue(db: Session, viewer: Viewer) -> list[FlaggedPost]:
    """Open flags on posts in threads the viewer moderates, oldest first, grouped by post."""
    moderated = select(Thread.id).where(moderated_thread_clause(viewer))
    stmt = (
        select(PostFlag)
        .join(Post, Post.id == PostFlag.post_id)
        .where(PostFlag.resolved_at.is_(None), Post.thread_id.in_(moderated))
        .options(
            joinedload(PostFlag.user),
            joinedload(PostFlag.post).joinedload(Post.author),
            joinedload(PostFlag.post).joinedload(Post.thread).joinedload(Thread.round).selectinload(DialogueRound.facilitators),
        )
        .order_by(PostFlag.created_at, PostFlag.id)
    )
    grouped: dict[int, FlaggedPost] = {}
    for flag in db.scalars(policy.visible(stmt, viewer, PostFlag)).unique():
        grouped.setdefault(flag.post_id, FlaggedPost(flag.post, [])).flags.append(flag)
    return list(grouped.values())


def open_flag_count(db: Session, viewer: Viewer) -> int:
    """How many flagged posts wait in the viewer's queue (the navigation's count): one counting statement."""
    if not can_see_moderation_queue(viewer):
        return 0

    def compute() -> int:
        moderated = select(Thread.id).where(moderated_thread_clause(viewer))
        stmt = (
            select(func.count(func.distinct(PostFlag.post_id)))
            .select_from(PostFlag)
            .join(Post, Post.id == PostFlag.post_id)
            .where(PostFlag.resolved_at.is_(None), Post.thread_id.in_(moderated))
        )
        return int(db.scalar(policy.visible(stmt, viewer, PostFlag)) or 0)

    # Which threads one moderates is the person's (the rounds they facilitate): cached per viewer and generation.
    return cached(db, "open-flags", policy.viewer_key(viewer), None, compute)


def moderation_log(db: Session, viewer: Viewer, round_id: int | None, *, limit: int = 500) -> list[ModerationEvent]:
    """A round's moderation log (round_id None: standalone threads), newest first."""
    condition = ModerationEvent.round_id.is_(None) if round_id is None else ModerationEvent.round_id == round_id
    stmt = (
        select(ModerationEvent)
        .where(condition)
        .options(joinedload(ModerationEvent.actor))
        .order_by(ModerationEvent.id.desc())
        .limit(limit)
    )
    return list(db.scalars(policy.visible(stmt, viewer, ModerationEvent)))


def log_threads(db: Session, viewer: Viewer, events: list[ModerationEvent]) -> dict[int, Thread]:
    """The readable threads named in log entries (titles are shown only for those)."""
    ids = {event.thread_id for event in events if event.thread_id}
    if not ids:
        return {}
    stmt = select(Thread).where(Thread.id.in_(sorted(ids))).options(selectinload(Thread.paragraphs))
    return {thread.id: thread for thread in db.scalars(policy.visible(stmt, viewer, Thread))}


def allowed_move_targets(db: Session, viewer: Viewer, thread: Thread, rounds: list[DialogueRound]) -> list[DialogueRound]:
    """The rounds among `rounds` the viewer may move `thread` into (the move form offers only these)."""
    authors = thread_authors(db, thread)
    return [r for r in rounds if move_refusal(
        viewer, thread, (r.tier, r.sharing_group_id, r.organisation_id),
        originating_author=authors.originating_author, posters=authors.posters) is None]
