"""Moderation: flags, hide/unhide, lock/unlock, pin/unpin, move. Every act: audit row + moderation log entry."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import policy
from webapp.db import unit_of_work
from webapp.models import DialogueRound, ModerationEvent, Post, PostFlag, Thread, utcnow
from webapp.policy import Viewer
from webapp.policy.audience import AudienceRefusal
from webapp.policy.dialogue import (
    audience_within,
    can_flag_post,
    can_moderate_post,
    can_moderate_thread,
    facilitates,
    is_thread_originator,
    move_refusal,
    thread_authors,
)
from webapp.search.outbox import enqueue
from webapp.services import Conflict, Forbidden, NotFound, ServiceError
from webapp.services import dialogue_inputs as inputs
from webapp.services.audit import record
from webapp.services import notification_events
from webapp.services.notifications import notify_user


def _log(db: Session, actor: Viewer, action: str, *, thread: Thread, post: Post | None = None, reason: str = "",
         round_id: int | None | bool = False, **details) -> None:
    db.add(ModerationEvent(
        actor_id=actor.user_id,
        round_id=thread.round_id if round_id is False else round_id,
        thread_id=thread.id,
        post_id=post.id if post else None,
        action=action,
        reason=reason,
        details=details,
    ))
    object_type, object_id = ("dialogue_post", post.id) if post else ("dialogue_thread", thread.id)
    record(db, actor.user_id, action, object_type, object_id, reason=reason, round_id=thread.round_id, **details)


def _moderated_post(db: Session, actor: Viewer, post_id: int) -> Post:
    post = db.get(Post, post_id)
    if not policy.can_view(actor, post):
        raise NotFound()
    if not can_moderate_post(actor, post):
        raise Forbidden(_l("Only the facilitators of this round can moderate it."))
    return post


def _moderated_thread(db: Session, actor: Viewer, thread_id: int) -> Thread:
    thread = db.get(Thread, thread_id)
    if not policy.can_view(actor, thread):
        raise NotFound()
    if not can_moderate_thread(actor, thread):
        raise Forbidden(_l("Only the facilitators of this round can moderate it."))
    return thread


def _resolve_flags(db: Session, actor: Viewer, post: Post, resolution: str) -> int:
    flags = list(db.scalars(select(PostFlag).where(PostFlag.post_id == post.id, PostFlag.resolved_at.is_(None))))
    for flag in flags:
        flag.resolved_at, flag.resolved_by_id, flag.resolution = utcnow(), actor.user_id, resolution
    return len(flags)


def flag_post(actor: Viewer, post_id: int, *, reason: str) -> PostFlag:
    """A reader reports a post to the facilitators; once per person per post."""
    with unit_of_work() as db:
        post = db.get(Post, post_id)
        if not policy.can_view(actor, post):
            raise NotFound()
        if not can_flag_post(actor, post):
            raise Forbidden("You cannot flag this post." if actor.is_verified else "Only verified members can flag posts.")
        if post.is_deleted:
            raise Conflict(_l("This post was deleted."))
        cleaned = inputs.reason(reason)
        if db.scalar(select(PostFlag.id).where(PostFlag.post_id == post.id, PostFlag.user_id == actor.user_id)):
            raise Conflict(_l("You have already flagged this post."))
        flag = PostFlag(post_id=post.id, user_id=actor.user_id, reason=cleaned)
        db.add(flag)
        db.flush()
        record(db, actor.user_id, "post.flagged", "dialogue_post", post.id, flag_id=flag.id)
        notification_events.post_flagged(db, post, actor_id=actor.user_id)
    return flag


def dismiss_flags(actor: Viewer, post_id: int, *, reason: str = "") -> int:
    """A facilitator decides a flagged post needs no action."""
    with unit_of_work() as db:
        post = _moderated_post(db, actor, post_id)
        count = _resolve_flags(db, actor, post, "dismissed")
        if not count:
            raise Conflict(_l("This post has no open flags."))
        _log(db, actor, "post.flags_dismissed", thread=post.thread, post=post, reason=inputs.reason(reason, required=False),
             flags=count)
    return count


def hide_post(actor: Viewer, post_id: int, *, reason: str) -> Post:
    """Hide a post with a reason its author sees; its open flags are resolved."""
    with unit_of_work() as db:
        post = _moderated_post(db, actor, post_id)
        if post.is_hidden:
            raise Conflict(_l("This post is already hidden."))
        cleaned = inputs.reason(reason)
        post.hidden_at, post.hidden_reason, post.hidden_by_id = utcnow(), cleaned, actor.user_id
        flags = _resolve_flags(db, actor, post, "hidden")
        _log(db, actor, "post.hidden", thread=post.thread, post=post, reason=cleaned, flags=flags)
        enqueue(db, "post", post.id)
        if post.author_id != actor.user_id:
            notify_user(db, post.author_id, "post_hidden", post)
    return post


def unhide_post(actor: Viewer, post_id: int, *, reason: str = "") -> Post:
    """Show a hidden post again."""
    with unit_of_work() as db:
        post = _moderated_post(db, actor, post_id)
        if not post.is_hidden:
            raise Conflict(_l("This post is not hidden."))
        post.hidden_at, post.hidden_reason, post.hidden_by_id = None, "", None
        _log(db, actor, "post.unhidden", thread=post.thread, post=post, reason=inputs.reason(reason, required=False))
        enqueue(db, "post", post.id)
        if post.author_id != actor.user_id:
            notify_user(db, post.author_id, "post_unhidden", post)
    return post


def _set_thread_flag(actor: Viewer, thread_id: int, attribute: str, value: bool, action: str, reason: str) -> Thread:
    with unit_of_work() as db:
        thread = _moderated_thread(db, actor, thread_id)
        if getattr(thread, attribute) is value:
            raise Conflict(ALREADY_SET[action])
        setattr(thread, attribute, value)
        _log(db, actor, action, thread=thread, reason=inputs.reason(reason, required=False))
        enqueue(db, "thread", thread.id)
    return thread


def lock_thread(actor: Viewer, thread_id: int, *, reason: str = "") -> Thread:
    """No more posts (except by its moderators)."""
    return _set_thread_flag(actor, thread_id, "locked", True, "thread.locked", reason)


def unlock_thread(actor: Viewer, thread_id: int, *, reason: str = "") -> Thread:
    """Allow posts again (the round's window still applies)."""
    return _set_thread_flag(actor, thread_id, "locked", False, "thread.unlocked", reason)


def pin_thread(actor: Viewer, thread_id: int, *, reason: str = "") -> Thread:
    """Keep a thread at the top of its list."""
    return _set_thread_flag(actor, thread_id, "pinned", True, "thread.pinned", reason)


def unpin_thread(actor: Viewer, thread_id: int, *, reason: str = "") -> Thread:
    """Let a thread take its place by activity again."""
    return _set_thread_flag(actor, thread_id, "pinned", False, "thread.unpinned", reason)


ALREADY_SET = {
    "thread.locked": _l("This thread is already locked."),
    "thread.unlocked": _l("This thread is already unlocked."),
    "thread.pinned": _l("This thread is already pinned."),
    "thread.unpinned": _l("This thread is already unpinned."),
}
MOVE_REFUSALS: dict[AudienceRefusal, tuple[type[ServiceError], str]] = {
    AudienceRefusal.NOT_ALLOWED: (Forbidden, _l("Only the facilitators of this round can moderate it.")),
    AudienceRefusal.ONLY_ORIGINATOR: (Forbidden,
        _l("Only the originator of this thread (its round's facilitating organisation, or for a standalone thread its "
        "author's organisation) can move it somewhere with a lower tier, another sharing group or another "
        "organisation's round. You may move it to a place with the same group at the same tier or higher.")),
    AudienceRefusal.LOCKS_OUT_AUTHOR: (Conflict,
        _l("Someone who wrote in this thread, or its originator, could no longer read it there: a move never takes "
        "a thread away from its authors. Nothing was changed.")),
    AudienceRefusal.LOCKS_OUT_ORGANISATION: (Conflict,
        _l("Moving the thread there would take it away from its originating organisation. Nothing was changed.")),
}


def move_thread(
    actor: Viewer, thread_id: int, *, target_round_id: int | None, reason: str = "", confirm_declassification: bool = False
) -> Thread:
    """Move a thread into a round (taking its tier) or out to stand alone. Never widens the audience unless the
    facilitator confirms a declassification."""
    with unit_of_work() as db:
        thread = _moderated_thread(db, actor, thread_id)
        if target_round_id == thread.round_id:
            raise Conflict(_l("The thread is already there."))
        old = (thread.tier, thread.sharing_group_id, thread.organisation_id)
        old_round_id = thread.round_id
        if target_round_id is not None:
            target = db.get(DialogueRound, target_round_id)
            if not policy.can_view(actor, target) or not facilitates(actor, target):
                raise ServiceError(_l("There is no round you facilitate with this number to move the thread to."))
            new = (target.tier, target.sharing_group_id, target.organisation_id)
        else:
            target = None
            new = old
        if thread.round is not None and thread.round.chatham_house and not (target is not None and target.chatham_house):
            # Names were given under the rule: moving would show them to everyone (author_visible_to follows the
            # thread's round). Like lifting the rule on a round with posts, this is never allowed.
            raise Conflict(_l("This thread was written under the Chatham House rule: it can only be moved into "
                           "another round held under the rule."))
        authors = thread_authors(db, thread)
        refusal = move_refusal(actor, thread, new, originating_author=authors.originating_author,
                               posters=authors.posters)
        if refusal is not None:
            error_class, message = MOVE_REFUSALS[refusal]
            raise error_class(message)
        by_originator = is_thread_originator(actor, thread)
        declassified = not audience_within(new, old)
        if declassified and not confirm_declassification:
            raise Conflict(_l("Moving the thread there would let people read it who cannot read it now. "
                           "Confirm the declassification to go ahead."))
        cleaned = inputs.reason(reason, required=False)
        if target is None and not thread.paragraphs:
            thread.paragraphs = list(thread.round.paragraphs)
        thread.round = target
        thread.tier, thread.sharing_group_id, thread.organisation_id = new
        db.flush()
        details = {"from_round_id": old_round_id, "to_round_id": target_round_id, "declassified": declassified,
                   "tier_before": old[0].code, "tier_after": new[0].code, "by_originator": by_originator}
        _log(db, actor, "thread.moved", thread=thread, reason=cleaned, round_id=old_round_id, **details)
        # The destination's log (another round's, or the standalone threads' log) shows the move too.
        db.add(ModerationEvent(actor_id=actor.user_id, round_id=target_round_id, thread_id=thread.id,
                               action="thread.moved", reason=cleaned, details=details))
        enqueue(db, "thread", thread.id)
        for post_id in db.scalars(select(Post.id).where(Post.thread_id == thread.id)):
            enqueue(db, "post", post_id)
        if new != old and thread.author_id != actor.user_id:
            # Its author hears of a change of the thread's audience made by someone else (mail and in-app).
            notify_user(db, thread.author_id, "tier_changed", thread)
    return thread
