"""Who is told of which event. Each function runs inside the caller's transaction and hands every candidate to
notifications.notify_users, which checks the recipient's access (policy.can_view) before anything is stored or sent.

Mentions: a post names a person as `@[Full Name]` (their name as shown on the platform, any case). It notifies
that person only if exactly one active account bears the name and they may read the post; otherwise, and always in
the rendered post, it is plain text — the author learns nothing about who exists or who can read what.
"""
from __future__ import annotations

import re

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from webapp.models import AccountStatus, DialogueRound, Organisation, Post, Submission, Thread, User, Watch
from webapp.models.dialogue_round import round_facilitators
from webapp.policy.archive import can_review, can_review_revision
from webapp.policy.dialogue import can_moderate_post
from webapp.policy.translations import can_review_translation
from webapp import mail
from webapp.services.notification_mail import refusal_mail
from webapp.services.notification_prefs import IN_APP, OFF, delivery_for
from webapp.services.notifications import notify_user, notify_users

MENTION = re.compile(r"@\[([^\[\]\n]{1,120})\](?!\()")
MAX_MENTIONS_PER_POST = 20


def _active(stmt):
    return stmt.where(User.status == AccountStatus.ACTIVE).order_by(User.id)


def active_admins(db: Session, *, besides: int | None = None) -> list[User]:
    """The administrators who can act now (active, not erased), by id; `besides` leaves one person out."""
    stmt = select(User).where(User.is_admin.is_(True), User.erased_at.is_(None))
    if besides is not None:
        stmt = stmt.where(User.id != besides)
    return list(db.scalars(_active(stmt)))


# ---------------------------------------------------------------- archive workflow


def submission_submitted(db: Session, submission: Submission, *, actor_id: int | None) -> int:
    """Submitted → the reviewers who may read (and review) it."""
    reviewers = db.scalars(_active(select(User).where(User.is_facilitator.is_(True))))
    return notify_users(db, reviewers, "review_requested", submission, actor_id=actor_id,
                        may=lambda viewer: can_review(viewer, submission))


def revision_pending(db: Session, submission: Submission, *, actor_id: int | None, revision=None) -> int:
    """A pending revision of a published item → the reviewers who may read (and review) it: all of it."""
    reviewers = db.scalars(_active(select(User).where(User.is_facilitator.is_(True))))
    return notify_users(db, reviewers, "revision_pending", submission, actor_id=actor_id,
                        may=lambda viewer: can_review_revision(viewer, submission, revision))


def translation_pending(db: Session, submission: Submission, translation, *, actor_id: int | None) -> int:
    """A proposed translation → the reviewers who may review it (who read every section of it)."""
    reviewers = db.scalars(_active(select(User).where(User.is_facilitator.is_(True))))
    return notify_users(db, reviewers, "translation_pending", submission, actor_id=actor_id,
                        may=lambda viewer: can_review_translation(viewer, submission, translation))


def translation_decided(db: Session, submission: Submission, translation, event: str, *,
                        actor_id: int | None) -> bool:
    """A translation published or returned → its translator."""
    if translation.author_id == actor_id:
        return False
    return notify_user(db, translation.author_id, event, submission)


def submission_decided(db: Session, submission: Submission, event: str, *, actor_id: int | None) -> bool:
    """Returned (with the comments) or published → the author."""
    if submission.author_id == actor_id:
        return False
    return notify_user(db, submission.author_id, event, submission)


# ---------------------------------------------------------------- moderation


def post_flagged(db: Session, post: Post, *, actor_id: int | None) -> int:
    """Flag → the round's facilitators, or the moderators (facilitators) of a standalone thread."""
    thread = post.thread
    if thread.round_id is not None:
        stmt = select(User).join(round_facilitators, round_facilitators.c.user_id == User.id).where(
            round_facilitators.c.round_id == thread.round_id)
    else:
        stmt = select(User).where(User.is_facilitator.is_(True))
    return notify_users(db, db.scalars(_active(stmt)), "post_flagged", post, actor_id=actor_id,
                        may=lambda viewer: can_moderate_post(viewer, post))


# ---------------------------------------------------------------- accounts


def registration_recipients(db: Session, user: User) -> list[User]:
    """Who is told of a registration: the admins and the focal points of the person's organisation."""
    from webapp.services.organisations import focal_points

    admins = active_admins(db, besides=user.id)
    known = {admin.id for admin in admins}
    return admins + [fp for fp in focal_points(db, user.organisation_id) if fp.id not in known and fp.id != user.id]


def user_registered(db: Session, user: User) -> int:
    """Registration → registration_recipients."""
    return notify_users(db, registration_recipients(db, user), "registration", user)


def account_verified(db: Session, user: User) -> bool:
    """Verified → the person."""
    return notify_user(db, user.id, "account_verified", user)


def account_refused(db: Session, user: User, reason: str) -> bool:
    """Refused → the person, by e-mail only: a refused account cannot sign in to read an in-app notice."""
    if delivery_for(db, user.id, "account_refused") in (OFF, IN_APP):
        return False
    mail.queue(db, refusal_mail(user, reason))
    return True


# ---------------------------------------------------------------- rounds


def invited_members(db: Session, round_: DialogueRound) -> set[int]:
    """Ids of the active members of the round's invited organisations and stakeholder types."""
    org_ids = [organisation.id for organisation in round_.invited_organisations]
    type_codes = [kind.code for kind in round_.invited_types]
    if not org_ids and not type_codes:
        return set()
    stmt = select(User.id).join(Organisation, Organisation.id == User.organisation_id).where(
        User.status == AccountStatus.ACTIVE,
        or_(Organisation.id.in_(org_ids), Organisation.stakeholder_type_code.in_(type_codes)))
    return set(db.scalars(stmt))


def round_invited(db: Session, round_: DialogueRound, *, actor_id: int | None, already: set[int] = frozenset()) -> int:
    """Invitation → members of the invited organisations and types (those in `already` were told before)."""
    ids = sorted(invited_members(db, round_) - set(already))
    users = db.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)) if ids else []
    return notify_users(db, users, "round_invitation", round_, actor_id=actor_id)


def round_audience(db: Session, round_: DialogueRound) -> list[User]:
    """Participants (facilitators, invited members, everyone who posted) and watchers of a round."""
    ids = {user.id for user in round_.facilitators} | invited_members(db, round_)
    ids |= set(db.scalars(select(Post.author_id).join(Thread, Thread.id == Post.thread_id)
                          .where(Thread.round_id == round_.id).distinct()))
    ids |= set(db.scalars(select(Watch.user_id).where(Watch.target_kind == "round", Watch.target_id == round_.id)))
    return list(db.scalars(_active(select(User).where(User.id.in_(sorted(ids)))))) if ids else []


def round_event(db: Session, round_: DialogueRound, event: str, *, actor_id: int | None = None) -> int:
    """Opened, closing soon, closed, concluded (the mail carries the synthesis) → the round's audience."""
    return notify_users(db, round_audience(db, round_), event, round_, actor_id=actor_id)


# ---------------------------------------------------------------- mentions


def mentioned_names(source: str) -> list[str]:
    """The distinct names mentioned as @[Name] in a post's Markdown, in order."""
    names: list[str] = []
    for match in MENTION.finditer(source or ""):
        name = " ".join(match.group(1).split())
        if name and name.lower() not in {n.lower() for n in names}:
            names.append(name)
    return names[:MAX_MENTIONS_PER_POST]


def _person_named(db: Session, name: str) -> User | None:
    matches = list(db.scalars(select(User).where(func.lower(User.name) == name.lower(),
                                                 User.status == AccountStatus.ACTIVE).limit(2)))
    return matches[0] if len(matches) == 1 else None


def post_mentions(db: Session, post: Post, *, actor_id: int | None, previous_source: str = "") -> int:
    """@mentions → each named person who may read the post (an edit tells only the newly mentioned)."""
    before = {name.lower() for name in mentioned_names(previous_source)}
    people = [_person_named(db, name) for name in mentioned_names(post.body_source) if name.lower() not in before]
    return notify_users(db, [person for person in people if person is not None], "mention", post, actor_id=actor_id)
