"""Access rules of the dialogue domain: rounds, threads, posts, moderation, Chatham House, notifications.

Reading follows the tier rule of the round (threads in a round carry the round's tier, group and organisation,
and are additionally checked against the round itself, so a thread is never visible beyond its round). Posts,
flags and moderation events are readable exactly when their thread is; a post revision also needs the tier rule
for the audience its thread had when it was written (recorded on the revision), so lowering or moving a round or
thread never lowers the versions written before (DESIGN.md §7). Posting further needs an
invitation when the round has any. Moderating needs the facilitator role AND being one of the round's facilitators
(any facilitator for standalone threads). Admins manage people, not content: being admin grants nothing here.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session, object_session
from sqlalchemy.sql.elements import ColumnElement

from webapp.models import (
    DialogueRound,
    ModerationEvent,
    Notification,
    Post,
    PostFlag,
    PostRevision,
    Thread,
    Tier,
    User,
    Watch,
)
from webapp.models.dialogue_round import round_facilitators
from webapp.policy import (
    Viewer,
    can_view,
    max_authoring_tier,
    read_clause,
    read_rule,
    tier_allows,
    tier_clause,
    viewer_for,
)
from webapp.policy.audience import Audience, AudienceRefusal, audience_change_refusal

# ---------------------------------------------------------------- rounds


def _round_clause(viewer: Viewer) -> ColumnElement[bool]:
    return tier_clause(
        viewer,
        tier=DialogueRound.tier,
        sharing_group_id=DialogueRound.sharing_group_id,
        author_organisation_id=DialogueRound.organisation_id,
    )


def _round_predicate(viewer: Viewer, round_: DialogueRound) -> bool:
    return tier_allows(viewer, round_.tier, round_.sharing_group_id, round_.organisation_id)


read_rule(DialogueRound, clause=_round_clause, predicate=_round_predicate)

# ---------------------------------------------------------------- threads


def _thread_clause(viewer: Viewer) -> ColumnElement[bool]:
    own = tier_clause(
        viewer, tier=Thread.tier, sharing_group_id=Thread.sharing_group_id, author_organisation_id=Thread.organisation_id
    )
    readable_rounds = select(DialogueRound.id).where(_round_clause(viewer))
    return and_(own, or_(Thread.round_id.is_(None), Thread.round_id.in_(readable_rounds)))


def _thread_predicate(viewer: Viewer, thread: Thread) -> bool:
    if not tier_allows(viewer, thread.tier, thread.sharing_group_id, thread.organisation_id):
        return False
    return thread.round_id is None or _round_predicate(viewer, thread.round)


read_rule(Thread, clause=_thread_clause, predicate=_thread_predicate)

# ---------------------------------------------------------------- posts and what hangs off them


def _readable_thread_ids(viewer: Viewer):
    return select(Thread.id).where(_thread_clause(viewer))


def _post_clause(viewer: Viewer) -> ColumnElement[bool]:
    return Post.thread_id.in_(_readable_thread_ids(viewer))


def _readable_post_ids(viewer: Viewer):
    return select(Post.id).where(_post_clause(viewer))


read_rule(Post, clause=_post_clause, predicate=lambda viewer, post: _thread_predicate(viewer, post.thread))


def _post_revision_clause(viewer: Viewer) -> ColumnElement[bool]:
    written_under = tier_clause(
        viewer,
        tier=PostRevision.tier,
        sharing_group_id=PostRevision.sharing_group_id,
        author_organisation_id=PostRevision.organisation_id,
    )
    return and_(written_under, PostRevision.post_id.in_(_readable_post_ids(viewer)))


def _post_revision_predicate(viewer: Viewer, revision: PostRevision) -> bool:
    if not tier_allows(viewer, revision.tier, revision.sharing_group_id, revision.organisation_id):
        return False
    return can_view(viewer, revision.post)


read_rule(PostRevision, clause=_post_revision_clause, predicate=_post_revision_predicate)
read_rule(
    PostFlag,
    clause=lambda viewer: PostFlag.post_id.in_(_readable_post_ids(viewer)),
    predicate=lambda viewer, flag: can_view(viewer, flag.post),
)


def _moderation_event_clause(viewer: Viewer) -> ColumnElement[bool]:
    readable_rounds = select(DialogueRound.id).where(_round_clause(viewer))
    return and_(
        or_(ModerationEvent.round_id.is_(None), ModerationEvent.round_id.in_(readable_rounds)),
        or_(ModerationEvent.thread_id.is_(None), ModerationEvent.thread_id.in_(_readable_thread_ids(viewer))),
    )


def _moderation_event_predicate(viewer: Viewer, event: ModerationEvent) -> bool:
    db = object_session(event)
    if event.round_id is not None and not can_view(viewer, db.get(DialogueRound, event.round_id)):
        return False
    return event.thread_id is None or can_view(viewer, db.get(Thread, event.thread_id))


read_rule(ModerationEvent, clause=_moderation_event_clause, predicate=_moderation_event_predicate)

# ---------------------------------------------------------------- watches and notifications

# What a notification may point at: kind → entity with a read rule. The archive registers "submission".
NOTIFICATION_TARGETS: dict[str, type] = {"round": DialogueRound, "thread": Thread, "post": Post}


def register_notification_target(kind: str, entity: type) -> None:
    """Let notifications point at another kind of object (its read rule decides who is told)."""
    NOTIFICATION_TARGETS[kind] = entity


def _notification_clause(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.user_id is None:
        return false()
    readable_targets = [
        and_(
            Notification.object_kind == kind,
            Notification.object_id.in_(select(entity.id).where(read_clause(viewer, entity))),
        )
        for kind, entity in sorted(NOTIFICATION_TARGETS.items())
    ]
    return and_(Notification.user_id == viewer.user_id, or_(false(), *readable_targets))


def notification_target(notification: Notification) -> Any | None:
    """The object a notification points at (None if unknown kind or gone)."""
    entity = NOTIFICATION_TARGETS.get(notification.object_kind)
    if entity is None:
        return None
    return object_session(notification).get(entity, notification.object_id)


def _notification_predicate(viewer: Viewer, notification: Notification) -> bool:
    if viewer.user_id is None or notification.user_id != viewer.user_id:
        return False
    return can_view(viewer, notification_target(notification))


read_rule(Notification, clause=_notification_clause, predicate=_notification_predicate)
read_rule(
    Watch,
    clause=lambda viewer: Watch.user_id == viewer.user_id if viewer.user_id is not None else false(),
    predicate=lambda viewer, watch: viewer.user_id is not None and watch.user_id == viewer.user_id,
)

# ---------------------------------------------------------------- facilitation and moderation


def can_create_round(viewer: Viewer) -> bool:
    """Facilitators create rounds."""
    return viewer.is_verified and viewer.is_facilitator


def facilitates(viewer: Viewer, round_: DialogueRound | None) -> bool:
    """Is the viewer one of this round's facilitators (and still holds the role, and may read the round)?"""
    if round_ is None or viewer.user_id is None or not (viewer.is_verified and viewer.is_facilitator):
        return False
    return viewer.user_id in round_.facilitator_ids and _round_predicate(viewer, round_)


def can_manage_round(viewer: Viewer, round_: DialogueRound) -> bool:
    """Edit, open, close, conclude a round: its facilitators."""
    return facilitates(viewer, round_)


def is_round_originator(viewer: Viewer, round_: DialogueRound) -> bool:
    """The facilitating organisation acting (DESIGN.md rule 8): the creating facilitator, or a co-facilitator of the
    round's organisation. Co-facilitators from elsewhere may raise the round, never lower, widen or regroup it."""
    if not facilitates(viewer, round_):
        return False
    return viewer.user_id == round_.created_by_id or viewer.organisation_id == round_.organisation_id


def can_propose_round_declassification(viewer: Viewer, round_: DialogueRound) -> bool:
    """A facilitator from elsewhere who may read the round may propose lowering or widening it (and so its
    synthesis); the facilitating organisation decides (DESIGN.md rule 8). The originator itself just changes it."""
    return (viewer.is_verified and viewer.is_facilitator and _round_predicate(viewer, round_)
            and not is_round_originator(viewer, round_))


def round_audience_refusal(
    viewer: Viewer, round_: DialogueRound, tier: Tier, sharing_group_id: int | None, creator: Viewer
) -> AudienceRefusal | None:
    """Why `viewer` may not give the round (and so its threads, posts and synthesis) this tier and group."""
    if not can_manage_round(viewer, round_):
        return AudienceRefusal.NOT_ALLOWED
    return audience_change_refusal(
        viewer,
        originator=is_round_originator(viewer, round_),
        old=(round_.tier, round_.sharing_group_id, round_.organisation_id),
        new=(tier, sharing_group_id, round_.organisation_id),
        authors=[creator],
    )


def round_tier_choices(viewer: Viewer, round_: DialogueRound, creator: Viewer) -> list[Tier]:
    """The tiers the round form offers `viewer` at the round's current group: its own and every allowed one."""
    return [
        tier for tier in Tier
        if tier is round_.tier or (
            tier <= max_authoring_tier(viewer)
            and round_audience_refusal(viewer, round_, tier, round_.sharing_group_id, creator) is None
        )
    ]


def keeps_originating_facilitators(viewer: Viewer, round_: DialogueRound, facilitator_ids) -> bool:
    """A co-facilitator from elsewhere never removes the round's creator or its organisation's facilitators."""
    if is_round_originator(viewer, round_):
        return True
    kept = {int(i) for i in facilitator_ids or ()} | {viewer.user_id}
    originating = {user.id for user in round_.facilitators
                   if user.id == round_.created_by_id or user.organisation_id == round_.organisation_id}
    return originating <= kept


def can_moderate_thread(viewer: Viewer, thread: Thread) -> bool:
    """Hide, lock, pin, move: the round's facilitators; any facilitator who can read a standalone thread."""
    if not can_view(viewer, thread):
        return False
    if thread.round_id is None:
        return viewer.is_verified and viewer.is_facilitator
    return facilitates(viewer, thread.round)


def can_moderate_post(viewer: Viewer, post: Post) -> bool:
    """Moderating a post is moderating its thread."""
    return can_moderate_thread(viewer, post.thread)


def can_see_moderation_queue(viewer: Viewer) -> bool:
    """The flag queue and moderation logs are for facilitators."""
    return viewer.is_verified and viewer.is_facilitator


def moderated_thread_clause(viewer: Viewer) -> ColumnElement[bool]:
    """SQL: threads the viewer moderates (for the flag queue); readable ones only."""
    if not can_see_moderation_queue(viewer):
        return false()
    my_rounds = select(round_facilitators.c.round_id).where(round_facilitators.c.user_id == viewer.user_id)
    return and_(_thread_clause(viewer), or_(Thread.round_id.is_(None), Thread.round_id.in_(my_rounds)))


def can_view_moderation_log(viewer: Viewer, round_: DialogueRound | None) -> bool:
    """A round's log: its facilitators. The standalone log (round None): any facilitator."""
    if round_ is None:
        return can_see_moderation_queue(viewer)
    return facilitates(viewer, round_)


def is_invited(viewer: Viewer, round_: DialogueRound) -> bool:
    """With no invitation set, every reader is welcome; otherwise only invited types or organisations."""
    if not round_.has_invitations:
        return True
    if viewer.organisation_id in {organisation.id for organisation in round_.invited_organisations}:
        return True
    return viewer.stakeholder_type in {kind.code for kind in round_.invited_types}


def can_contribute_to_thread(viewer: Viewer, thread: Thread) -> bool:
    """Who may post in a thread, leaving aside the round's window and locks (the services enforce those)."""
    if not (viewer.is_verified and can_view(viewer, thread)):
        return False
    if thread.round_id is None:
        return True
    return facilitates(viewer, thread.round) or is_invited(viewer, thread.round)


def can_start_thread_in_round(viewer: Viewer, round_: DialogueRound) -> bool:
    """Invited readers and facilitators start threads in a round."""
    return viewer.is_verified and can_view(viewer, round_) and (facilitates(viewer, round_) or is_invited(viewer, round_))


def can_edit_post(viewer: Viewer, post: Post) -> bool:
    """Authors edit and delete their own posts, while they can still read them."""
    return viewer.user_id is not None and viewer.user_id == post.author_id and viewer.is_verified and can_view(viewer, post)


def can_flag_post(viewer: Viewer, post: Post) -> bool:
    """Verified readers flag posts (not their own)."""
    return viewer.is_verified and viewer.user_id != post.author_id and can_view(viewer, post)


def can_suspend_users(viewer: Viewer) -> bool:
    """Suspending people is an admin act (webapp.services.people.deactivate_user)."""
    return viewer.is_admin


def can_read_hidden_post(viewer: Viewer, post: Post) -> bool:
    """A hidden post's text (and the reason) is shown to its author and its moderators."""
    return viewer.user_id == post.author_id or can_moderate_post(viewer, post)


# ---------------------------------------------------------------- Chatham House: the one presentation rule


def _round_of(item: Any) -> DialogueRound | None:
    if isinstance(item, DialogueRound):
        return item
    if isinstance(item, Thread):
        return item.round
    if isinstance(item, Post):
        return item.thread.round
    return getattr(item, "round", None)


def author_visible_to(viewer: Viewer, item: Any) -> bool:
    """May `viewer` see who wrote `item` (a post or thread)? Not in Chatham House rounds, except for the
    round's facilitators and the author themself. Used by the one author partial, notifications and e-mail."""
    round_ = _round_of(item)
    if round_ is None:
        # Items that carry the rule themselves (a round's outcome synthesis in the archive): only the author.
        if not getattr(item, "chatham_house", False):
            return True
        return viewer.user_id is not None and getattr(item, "author_id", None) == viewer.user_id
    if not round_.chatham_house:
        return True
    author_id = getattr(item, "author_id", None)
    if viewer.user_id is not None and author_id == viewer.user_id:
        return True
    return facilitates(viewer, round_)


def pseudonyms_apply(round_: DialogueRound | None) -> bool:
    """Do this round's posts carry per-thread pseudonyms? Chatham House rounds whose facilitators chose them. They
    are shown to every reader; the round's facilitators see them beside the names (the mapping, no one else)."""
    return round_ is not None and round_.chatham_house and round_.thread_pseudonyms


def roster_visible_to(viewer: Viewer, round_: DialogueRound) -> bool:
    """May `viewer` see which organisations a round invited? Unless its roster is hidden; its facilitators always."""
    return not round_.hidden_roster or facilitates(viewer, round_)


# ---------------------------------------------------------------- moving: never widen the audience silently


def audience_within(new: tuple[Tier, int | None, int], old: tuple[Tier, int | None, int]) -> bool:
    """Is every reader of (tier, group, organisation) `new` already a reader of `old`? Conservative."""
    new_tier, new_group, new_org = new
    old_tier, old_group, old_org = old
    if old_tier is Tier.PUBLIC:
        return True
    if new_tier < old_tier:
        return False
    if old_tier is Tier.CONFIDENTIAL:
        return new_group == old_group and (old_group is not None or new_org == old_org)
    if old_group is None:
        return True  # below confidential without a group every cleared member already reads it
    if new_group != old_group:
        return False
    return new_org == old_org or new_tier is Tier.CONFIDENTIAL


def is_thread_originator(viewer: Viewer, thread: Thread) -> bool:
    """Who decides who else reads a thread: in a round, the round's originator; standing alone, its author or a
    facilitator of its organisation (until focal points exist), who may read it."""
    if not (viewer.is_verified and can_view(viewer, thread)):
        return False
    if thread.round_id is not None:
        return is_round_originator(viewer, thread.round)
    return viewer.user_id == thread.author_id or (
        viewer.is_facilitator and viewer.organisation_id == thread.organisation_id)


def move_refusal(
    viewer: Viewer, thread: Thread, new: Audience, *, originating_author: Viewer, posters: Iterable[Viewer]
) -> AudienceRefusal | None:
    """Why `viewer` may not move `thread` to audience `new` (None: allowed). Anyone but the originator may only move
    it to the same group and organisation at the same tier or higher, and never takes it away from anyone who wrote
    in it (`posters`); the originator decides, but never locks out its own author (`originating_author`: the
    round's creator, or the author of a standalone thread)."""
    if not can_moderate_thread(viewer, thread):
        return AudienceRefusal.NOT_ALLOWED
    originator = is_thread_originator(viewer, thread)
    return audience_change_refusal(
        viewer,
        originator=originator,
        old=(thread.tier, thread.sharing_group_id, thread.organisation_id),
        new=new,
        authors=[originating_author] if originator else [originating_author, *posters],
    )


@dataclass(frozen=True)
class ThreadAuthors:
    """Whose reach a move must keep (move_refusal), as the tier rule sees them now."""

    originating_author: Viewer
    posters: list[Viewer]


def thread_authors(db: Session, thread: Thread) -> ThreadAuthors:
    """The originator's person (its round's creator, or the thread's own author) and everyone who wrote in it."""
    ids = set(db.scalars(select(Post.author_id).where(Post.thread_id == thread.id))) | {thread.author_id}
    posters = [viewer_for(user, db) for user in db.scalars(select(User).where(User.id.in_(sorted(ids))))]
    originating_id = thread.round.created_by_id if thread.round_id is not None else thread.author_id
    return ThreadAuthors(viewer_for(db.get(User, originating_id), db), posters)
