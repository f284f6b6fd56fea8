"""Threads and posts: start a thread, reply, edit (with revisions), delete (soft)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from webapp import policy
from webapp.db import unit_of_work
from webapp.models import DialogueRound, Post, PostRevision, RoundState, Thread, Tier, utcnow
from webapp.models.post import MAX_REPLY_DEPTH
from webapp.policy import Viewer
from webapp.policy.dialogue import (
    can_contribute_to_thread,
    can_edit_post,
    can_moderate_thread,
    can_start_thread_in_round,
    facilitates,
)
from webapp.search.outbox import enqueue
from webapp.services import Conflict, Forbidden, NotFound, ServiceError
from webapp.services import content_deletion
from webapp.services import dialogue_inputs as inputs
from webapp.services.audit import record
from webapp.services.dialogue_pseudonyms import assign_pseudonym
from webapp.services.notification_events import post_mentions
from webapp.services.notifications import add_watch, notify_watchers


def _round_window(actor: Viewer, round_: DialogueRound) -> None:
    """Outside the open window only the round's facilitators may post (enforced here, on every post)."""
    if facilitates(actor, round_):
        return
    state = round_.state
    if state is RoundState.SCHEDULED:
        raise Conflict(_l("This round has not opened yet: posting starts when it opens."))
    if state in (RoundState.CLOSED, RoundState.CONCLUDED):
        raise Conflict(_l("This round is closed: no more posts can be added."))


def _writable_thread(actor: Viewer, thread: Thread) -> None:
    if thread.round is not None:
        _round_window(actor, thread.round)
    if thread.locked and not can_moderate_thread(actor, thread):
        raise Conflict(_l("This thread is locked: no more posts can be added."))


def thread_accepts_posts(actor: Viewer, thread: Thread) -> bool:
    """Would a post by `actor` in `thread` be accepted now (invitation, window, lock)? For showing forms."""
    if not can_contribute_to_thread(actor, thread):
        return False
    try:
        _writable_thread(actor, thread)
    except ServiceError:
        return False
    return True


def _body(value: str) -> tuple[str, str]:
    return inputs.markdown(value, limit=inputs.MAX_POST_CHARS, what=_l("The post"))


def _quoted(db: Session, actor: Viewer, quoted_post_id: int | None) -> int | None:
    if quoted_post_id is None:
        return None
    quoted = db.get(Post, quoted_post_id)
    if not policy.can_view(actor, quoted) or quoted.is_deleted or quoted.is_hidden:
        raise ServiceError(_l("The post you quote does not exist or cannot be quoted."))
    return quoted.id


def _revision(post: Post, thread: Thread, number: int, source: str, html: str, actor: Viewer) -> PostRevision:
    """A version of a post's text, keeping the audience of its thread now: moving or lowering the thread (or its
    round) later never lowers this version (DESIGN.md §7)."""
    return PostRevision(post_id=post.id, number=number, body_source=source, body_html=html, editor_id=actor.user_id,
                        tier=thread.tier, sharing_group_id=thread.sharing_group_id,
                        organisation_id=thread.organisation_id)


def _add_post(db: Session, actor: Viewer, thread: Thread, source: str, html: str, *, parent: Post | None,
              quoted_post_id: int | None) -> Post:
    post = Post(
        thread=thread,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 1,
        author_id=actor.user_id,
        quoted_post_id=quoted_post_id,
        body_source=source,
        body_html=html,
    )
    db.add(post)
    db.flush()
    db.add(_revision(post, thread, 1, source, html, actor))
    thread.last_post_at = post.created_at
    db.flush()  # the thread row is now locked (PostgreSQL): letters are taken one poster after the other
    assign_pseudonym(db, thread, actor.user_id)
    enqueue(db, "post", post.id)
    return post


def create_thread(
    actor: Viewer,
    *,
    title: str,
    body_source: str,
    round_id: int | None = None,
    paragraphs=(),
    tier: Tier | None = None,
    sharing_group_id: int | None = None,
) -> Thread:
    """Start a thread with its first post: in a round (taking the round's tier) or standalone (own paragraphs
    and tier)."""
    if not actor.is_verified:
        raise Forbidden(_l("Only verified members can start threads."))
    with unit_of_work() as db:
        if round_id is not None:
            round_ = db.get(DialogueRound, round_id)
            if not policy.can_view(actor, round_):
                raise NotFound()
            if not can_start_thread_in_round(actor, round_):
                raise Forbidden(_l("This round is open to invited participants only."))
            _round_window(actor, round_)
            thread = Thread(round=round_, tier=round_.tier, sharing_group_id=round_.sharing_group_id,
                            organisation_id=round_.organisation_id, paragraphs=[])
        else:
            tier, sharing_group_id = inputs.tier_choice(db, actor, tier if tier is not None else Tier.COMMUNITY,
                                                        sharing_group_id)
            thread = Thread(tier=tier, sharing_group_id=sharing_group_id, organisation_id=actor.organisation_id,
                            paragraphs=inputs.paragraphs(db, paragraphs))
        thread.title = inputs.title(title)
        thread.author_id = actor.user_id
        source, html = _body(body_source)
        db.add(thread)
        db.flush()
        post = _add_post(db, actor, thread, source, html, parent=None, quoted_post_id=None)
        record(db, actor.user_id, "thread.created", "dialogue_thread", thread.id, round_id=round_id,
               tier=thread.tier.code, first_post_id=post.id)
        enqueue(db, "thread", thread.id)
        add_watch(db, actor.user_id, "thread", thread.id)
        if thread.round_id is not None:
            notify_watchers(db, "round", thread.round_id, "new_thread", thread, actor_id=actor.user_id)
        for paragraph in thread.paragraphs:
            notify_watchers(db, "paragraph", paragraph.number, "new_thread", thread, actor_id=actor.user_id)
        post_mentions(db, post, actor_id=actor.user_id)
    return thread


def create_post(
    actor: Viewer, thread_id: int, *, body_source: str, parent_id: int | None = None, quoted_post_id: int | None = None,
    watch: bool = False,
) -> Post:
    """Reply to a thread or to a post of the same thread; optionally quote another post (by reference). Replying
    watches the thread only when asked (`watch`)."""
    with unit_of_work() as db:
        thread = db.get(Thread, thread_id)
        if not policy.can_view(actor, thread):
            raise NotFound()
        if not can_contribute_to_thread(actor, thread):
            if not actor.is_verified:
                raise Forbidden(_l("Only verified members can post."))
            raise Forbidden(_l("This round is open to invited participants only."))
        _writable_thread(actor, thread)
        parent = None
        if parent_id is not None:
            parent = db.get(Post, parent_id)
            if parent is None or parent.thread_id != thread.id:
                raise ServiceError(_l("You can only reply to a post in the same thread."))
            if parent.is_deleted:
                raise Conflict(_l("This post was deleted; reply to the thread instead."))
            if parent.depth >= MAX_REPLY_DEPTH:
                raise ServiceError(_l("Replies can be nested at most %(n)d levels deep. Reply to an earlier post in the "
                                      "conversation instead.", n=MAX_REPLY_DEPTH))
        source, html = _body(body_source)
        post = _add_post(db, actor, thread, source, html, parent=parent, quoted_post_id=_quoted(db, actor, quoted_post_id))
        record(db, actor.user_id, "post.created", "dialogue_post", post.id, thread_id=thread.id, parent_id=parent_id,
               quoted_post_id=quoted_post_id)
        if watch:
            add_watch(db, actor.user_id, "thread", thread.id)
        notify_watchers(db, "thread", thread.id, "new_post", post, actor_id=actor.user_id)
        post_mentions(db, post, actor_id=actor.user_id)
    return post


def _own_post(db: Session, actor: Viewer, post_id: int) -> Post:
    post = db.get(Post, post_id)
    if not policy.can_view(actor, post):
        raise NotFound()
    if not can_edit_post(actor, post):
        raise Forbidden(_l("Only the author can change this post."))
    if post.is_deleted:
        raise Conflict(_l("This post was deleted."))
    return post


def edit_post(actor: Viewer, post_id: int, *, body_source: str) -> Post:
    """The author edits a post; the new text becomes a new revision."""
    with unit_of_work() as db:
        post = _own_post(db, actor, post_id)
        _writable_thread(actor, post.thread)
        source, html = _body(body_source)
        if source == post.body_source:
            raise ServiceError(_l("Nothing was changed."))
        previous_source = post.body_source
        number = (db.scalar(select(func.max(PostRevision.number)).where(PostRevision.post_id == post.id)) or 0) + 1
        db.add(_revision(post, post.thread, number, source, html, actor))
        # Only if still not deleted: a deletion committed meanwhile wins, and the edit never brings words back.
        edited = db.execute(update(Post).where(Post.id == post.id, Post.deleted_at.is_(None))
                            .values(body_source=source, body_html=html, edited_at=utcnow()))
        if edited.rowcount != 1:
            raise Conflict(_l("This post was deleted meanwhile; your edit was not saved."))
        record(db, actor.user_id, "post.edited", "dialogue_post", post.id, revision=number)
        post_mentions(db, post, actor_id=actor.user_id, previous_source=previous_source)
        enqueue(db, "post", post.id)
    return post


def delete_post(actor: Viewer, post_id: int) -> Post:
    """The author deletes a post: a placeholder keeps the tree of replies intact."""
    with unit_of_work() as db:
        post = _own_post(db, actor, post_id)
        _writable_thread(actor, post.thread)
        post.deleted_at = utcnow()
        # Deletion deletes (issue 14): the words, their revisions, notifications and quotes in syntheses go now.
        content_deletion.remove_quotes_in_syntheses(db, post.body_source)
        content_deletion.purge_post_text(db, post)
        record(db, actor.user_id, "post.deleted", "dialogue_post", post.id, thread_id=post.thread_id)
    return post
