"""One thread's page: the post tree, quotes rendered through the policy, and what the viewer may do.

A fixed number of statements whatever the number of posts: the thread (with its round), the posts with their
authors, the quoted posts, the viewer's own flags, open flag counts for moderators, and the viewer's watch.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer, joinedload, selectinload

from webapp import policy
from webapp.models import DialogueRound, Post, PostFlag, PostRevision, Thread, Watch
from webapp.policy import Viewer
from webapp.policy.dialogue import (
    author_visible_to,
    can_edit_post,
    can_flag_post,
    can_moderate_thread,
    can_read_hidden_post,
    can_suspend_users,
)
from webapp.services.dialogue_posts import thread_accepts_posts


@dataclass
class QuoteView:
    """A quoted post as this reader may see it: nothing of it unless they can read it and it is shown."""

    post: Post | None  # None: shows "quoted post not available"


@dataclass
class PostNode:
    """One post in the tree with what this viewer may see and do."""

    post: Post
    body_shown: bool  # False for deleted posts, and hidden ones unless author or moderator
    can_edit: bool
    can_flag: bool
    flagged_by_me: bool
    open_flags: int
    quote: QuoteView | None
    can_suspend_author: bool = False
    children: list["PostNode"] = field(default_factory=list)


@dataclass
class ThreadPage:
    """Everything a thread's page shows."""

    thread: Thread
    roots: list[PostNode]
    count: int
    can_post: bool
    can_moderate: bool
    watching: bool


def _thread_options():
    return (
        joinedload(Thread.round).selectinload(DialogueRound.facilitators),
        joinedload(Thread.round).selectinload(DialogueRound.paragraphs),
        selectinload(Thread.paragraphs),
        joinedload(Thread.author),
    )


def visible_thread(db: Session, viewer: Viewer, thread_id: int) -> Thread | None:
    """One thread (with its round and facilitators) if the viewer may read it."""
    stmt = select(Thread).where(Thread.id == thread_id).options(*_thread_options())
    return db.scalars(policy.visible(stmt, viewer, Thread)).unique().one_or_none()


def visible_post(db: Session, viewer: Viewer, post_id: int) -> Post | None:
    """One post (with thread and round) if the viewer may read it."""
    stmt = (
        select(Post)
        .where(Post.id == post_id)
        .options(joinedload(Post.author), joinedload(Post.thread).joinedload(Thread.round).selectinload(DialogueRound.facilitators))
    )
    return db.scalars(policy.visible(stmt, viewer, Post)).unique().one_or_none()


def _quotes(db: Session, viewer: Viewer, ids: set[int]) -> dict[int, Post]:
    if not ids:
        return {}
    stmt = (
        select(Post)
        .where(Post.id.in_(sorted(ids)), Post.deleted_at.is_(None), Post.hidden_at.is_(None))
        .options(joinedload(Post.author), joinedload(Post.thread).joinedload(Thread.round).selectinload(DialogueRound.facilitators))
    )
    return {post.id: post for post in db.scalars(policy.visible(stmt, viewer, Post)).unique()}


def thread_page(db: Session, viewer: Viewer, thread_id: int) -> ThreadPage | None:
    """The thread and its post tree as `viewer` may read it; None if unreadable."""
    thread = visible_thread(db, viewer, thread_id)
    if thread is None:
        return None
    # selectinload: the few distinct authors are loaded once each, not joined into every post row.
    stmt = (
        select(Post)
        .where(Post.thread_id == thread.id)
        .options(selectinload(Post.author), defer(Post.body_source))
        .order_by(Post.created_at, Post.id)
    )
    posts = list(db.scalars(policy.visible(stmt, viewer, Post)).unique())
    ids = [post.id for post in posts]
    quotes = _quotes(db, viewer, {post.quoted_post_id for post in posts if post.quoted_post_id and not post.is_deleted})
    mine: set[int] = set()
    if viewer.user_id is not None and ids:
        mine = set(db.scalars(select(PostFlag.post_id).where(PostFlag.user_id == viewer.user_id, PostFlag.post_id.in_(ids))))
    moderator = can_moderate_thread(viewer, thread)
    open_flags: dict[int, int] = {}
    if moderator and ids:
        open_flags = dict(db.execute(
            select(PostFlag.post_id, func.count(PostFlag.id))
            .where(PostFlag.post_id.in_(ids), PostFlag.resolved_at.is_(None))
            .group_by(PostFlag.post_id)
        ).all())
    watching = viewer.user_id is not None and db.scalar(
        select(Watch.id).where(Watch.user_id == viewer.user_id, Watch.target_kind == "thread", Watch.target_id == thread.id)
    ) is not None

    suspender = can_suspend_users(viewer)
    nodes: dict[int, PostNode] = {}
    roots: list[PostNode] = []
    for post in posts:
        body_shown = not post.is_deleted and (not post.is_hidden or can_read_hidden_post(viewer, post))
        quote = None
        if post.quoted_post_id and body_shown:
            quote = QuoteView(quotes.get(post.quoted_post_id))
        node = PostNode(
            post=post,
            body_shown=body_shown,
            can_edit=not post.is_deleted and can_edit_post(viewer, post),
            can_flag=not post.is_deleted and post.id not in mine and can_flag_post(viewer, post),
            flagged_by_me=post.id in mine,
            open_flags=open_flags.get(post.id, 0),
            quote=quote,
            can_suspend_author=suspender and post.author_id != viewer.user_id and author_visible_to(viewer, post),
        )
        nodes[post.id] = node
        parent = nodes.get(post.parent_id) if post.parent_id else None
        (parent.children if parent else roots).append(node)
    return ThreadPage(
        thread=thread,
        roots=roots,
        count=sum(1 for post in posts if not post.is_deleted),
        can_post=thread_accepts_posts(viewer, thread),
        can_moderate=moderator,
        watching=watching,
    )


def revisions(db: Session, viewer: Viewer, post_id: int) -> list[PostRevision]:
    """A post's revisions, newest first (readable like the post)."""
    stmt = select(PostRevision).where(PostRevision.post_id == post_id).order_by(PostRevision.number.desc())
    return list(db.scalars(policy.visible(stmt, viewer, PostRevision)))
