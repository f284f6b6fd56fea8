"""One page of a thread: its posts in order of writing, nested where a reply's parent is on the same page, quotes
rendered through the policy, and what the viewer may do.

Threads paginate like Discourse or FlaskBB topics: THREAD_PAGE_SIZE posts a page (20), in order of writing
(created_at, id) — the order is the same for every reader of the thread, because every post of a readable thread is
listed (deleted and hidden ones as placeholders, DESIGN.md §5), so a page number or a post's page says nothing a
reader cannot already see on the pages themselves, and nothing about who wrote what.

A fixed number of statements whatever the number of posts and the page: the thread (with its round), the counts,
one page of posts with their authors, the quoted posts, the viewer's own flags, open flag counts for moderators,
the viewer's watch and their first unread post.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app, has_app_context
from sqlalchemy import and_, case, func, or_, select
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
from webapp.queries_dialogue.unread import first_unread_post_id
from webapp.services.dialogue_posts import thread_accepts_posts

DEFAULT_PAGE_SIZE = 20


def page_size() -> int:
    """Posts a thread page shows (THREAD_PAGE_SIZE), the default outside an application."""
    if not has_app_context():
        return DEFAULT_PAGE_SIZE
    return max(1, int(current_app.config.get("THREAD_PAGE_SIZE", DEFAULT_PAGE_SIZE)))


def page_of(position: int, size: int) -> int:
    """The page (from 1) that holds the post at `position` (from 0) of its thread."""
    return position // size + 1


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
    reply_to_earlier: int | None = None  # the parent's id when the parent is on an earlier page


@dataclass
class ThreadPage:
    """Everything a thread's page shows."""

    thread: Thread
    roots: list[PostNode]
    count: int
    can_post: bool
    can_moderate: bool
    watching: bool
    newest_post_id: int = 0  # the reader's read mark moves up to it
    number: int = 1  # this page, from 1
    pages: int = 1  # at least one, even for a thread without posts
    first_unread_id: int | None = None  # the reader's first unread post after this page, if any

    def pager(self) -> list[int | None]:
        """The page numbers the pager links: the first, the last, and two on each side of this one (None: a gap)."""
        shown = sorted({1, self.pages, *range(max(1, self.number - 2), min(self.pages, self.number + 2) + 1)})
        numbers: list[int | None] = []
        for number in shown:
            if numbers and number - numbers[-1] > 1:
                numbers.append(None)
            numbers.append(number)
        return numbers


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


def _in_order():
    return Post.created_at, Post.id


def _before(post: Post):
    """SQL: posts written before `post` in its thread's order."""
    return or_(Post.created_at < post.created_at, and_(Post.created_at == post.created_at, Post.id < post.id))


def post_location(db: Session, viewer: Viewer, post_id: int) -> tuple[int, int] | None:
    """(thread id, page) of a post the viewer may read, counting only what they are listed; None if unreadable."""
    post = db.scalars(policy.visible(select(Post).where(Post.id == post_id), viewer, Post)).one_or_none()
    if post is None:
        return None
    before = select(func.count(Post.id)).where(Post.thread_id == post.thread_id, _before(post))
    return post.thread_id, page_of(db.scalar(policy.visible(before, viewer, Post)), page_size())


def last_post_location(db: Session, viewer: Viewer, thread_id: int) -> tuple[int, int | None]:
    """(page, id) of the newest post the viewer may read in a thread (page 1 and None when it has none)."""
    listed = policy.visible(select(Post.id).where(Post.thread_id == thread_id), viewer, Post)
    ordered = listed.order_by(Post.created_at.desc(), Post.id.desc()).limit(1)
    total = select(func.count()).select_from(listed.subquery())
    row = db.execute(select(ordered.scalar_subquery(), total.scalar_subquery())).one()
    last_id, count = row
    return (page_of(count - 1, page_size()) if count else 1), last_id


def unread_location(db: Session, viewer: Viewer, thread_id: int) -> tuple[int, int | None] | None:
    """(page, post id) of the viewer's first unread post of a readable thread, else of its newest post; (1, None)
    for anonymous readers (everything is new to them); None if the thread is unreadable."""
    if visible_thread(db, viewer, thread_id) is None:
        return None
    if viewer.user_id is None:
        return 1, None
    first = first_unread_post_id(db, viewer, thread_id)
    if first is not None:
        location = post_location(db, viewer, first)
        if location is not None:
            return location[1], first
    return last_post_location(db, viewer, thread_id)


def thread_page(db: Session, viewer: Viewer, thread_id: int, number: int = 1) -> ThreadPage | None:
    """Page `number` of the thread as `viewer` may read it; None if unreadable. Past the last page, the page
    comes back empty with `number` set to the last page (the view sends the reader there)."""
    thread = visible_thread(db, viewer, thread_id)
    if thread is None:
        return None
    size = page_size()
    listed = select(func.count(Post.id), func.count(case((Post.deleted_at.is_(None), Post.id))))
    total, not_deleted = db.execute(policy.visible(listed.where(Post.thread_id == thread.id), viewer, Post)).one()
    pages = max(1, -(-total // size))
    moderator = can_moderate_thread(viewer, thread)
    common = dict(thread=thread, count=not_deleted, can_post=thread_accepts_posts(viewer, thread),
                  can_moderate=moderator, pages=pages)
    if number > pages:
        return ThreadPage(roots=[], watching=False, number=pages, **common)
    # selectinload: the few distinct authors are loaded once each, not joined into every post row.
    stmt = (
        select(Post)
        .where(Post.thread_id == thread.id)
        .options(selectinload(Post.author), defer(Post.body_source))
        .order_by(*_in_order())
        .limit(size)
        .offset((number - 1) * size)
    )
    posts = list(db.scalars(policy.visible(stmt, viewer, Post)).unique())
    ids = [post.id for post in posts]
    quotes = _quotes(db, viewer, {post.quoted_post_id for post in posts if post.quoted_post_id and not post.is_deleted})
    mine: set[int] = set()
    if viewer.user_id is not None and ids:
        mine = set(db.scalars(select(PostFlag.post_id).where(PostFlag.user_id == viewer.user_id, PostFlag.post_id.in_(ids))))
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
    newest = max(ids, default=0)
    # Asked on every page (the last one too), so the statement count does not depend on the page.
    first_unread = first_unread_post_id(db, viewer, thread.id, after=newest)

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
        if parent is None and post.parent_id:
            node.reply_to_earlier = post.parent_id  # its parent is on an earlier page: say so, with a link
        (parent.children if parent else roots).append(node)
    return ThreadPage(
        roots=roots,
        watching=watching,
        newest_post_id=newest,
        number=number,
        first_unread_id=first_unread,
        **common,
    )


def revisions(db: Session, viewer: Viewer, post_id: int) -> list[PostRevision]:
    """A post's revisions the viewer may read, newest first (each keeps the audience it was written under)."""
    stmt = select(PostRevision).where(PostRevision.post_id == post_id).order_by(PostRevision.number.desc())
    return list(db.scalars(policy.visible(stmt, viewer, PostRevision)))
