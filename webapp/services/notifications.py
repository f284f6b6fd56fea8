"""Watches and notifications. Access is checked per recipient when sending (and again when listing):
nobody is told anything — not even a title — about what they cannot read."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from webapp import mail, policy
from webapp.db import register_after_commit, session, unit_of_work
from webapp.models import AccountStatus, CallParagraph, DialogueRound, Notification, Post, Submission, Thread, Tier, User, Watch, utcnow
from webapp.models.watch import WATCH_KINDS
from webapp.policy import Viewer
from webapp.policy.dialogue import NOTIFICATION_TARGETS, author_visible_to, register_notification_target
from webapp.services import Conflict, NotFound, ServiceError
from webapp.services.audit import record


@dataclass(frozen=True)
class TargetPresenter:
    """How a kind of notified object is named and linked (only ever called after an access check)."""

    title: Callable[[Any], str]
    endpoint: str
    url_args: Callable[[Any], dict]


_PRESENTERS: dict[str, TargetPresenter] = {}


def register_target(kind: str, entity: type, *, title: Callable[[Any], str], endpoint: str, url_args: Callable) -> None:
    """Let notifications point at `entity` objects (the archive registers "submission" this way)."""
    register_notification_target(kind, entity)
    _PRESENTERS[kind] = TargetPresenter(title=title, endpoint=endpoint, url_args=url_args)


register_target("round", DialogueRound, title=lambda r: r.title, endpoint="dialogue.round", url_args=lambda r: {"round_id": r.id})
register_target("thread", Thread, title=lambda t: t.title, endpoint="dialogue.thread", url_args=lambda t: {"thread_id": t.id})
register_target("post", Post, title=lambda p: p.thread.title, endpoint="dialogue.permalink", url_args=lambda p: {"post_id": p.id})
register_target(
    "submission", Submission, title=lambda s: s.title, endpoint="archive.show", url_args=lambda s: {"submission_id": s.id}
)

EVENT_LABELS = {
    "new_post": _l("New post"),
    "new_thread": _l("New thread"),
    "round_created": _l("New dialogue round"),
    "round_opened": _l("Round opened"),
    "round_closed": _l("Round closed"),
    "round_concluded": _l("Round concluded, outcome published"),
    "post_hidden": _l("Your post was hidden by a facilitator"),
    "post_unhidden": _l("Your post is visible again"),
    "published": _l("Newly published"),
}


def kind_of(obj: Any) -> str:
    """The notification kind of an object."""
    for kind, entity in NOTIFICATION_TARGETS.items():
        if isinstance(obj, entity):
            return kind
    raise ValueError(f"{type(obj).__name__} cannot be the object of a notification")


def target_title(obj: Any) -> str:
    """The title of a notified object (call only after can_view)."""
    return _PRESENTERS[kind_of(obj)].title(obj)


def target_url(obj: Any, *, external: bool = False) -> str:
    """The address of a notified object (call only after can_view)."""
    presenter = _PRESENTERS[kind_of(obj)]
    if not has_request_context():
        return ""
    try:
        return url_for(presenter.endpoint, _external=external, **presenter.url_args(obj))
    except BuildError:  # the kind's blueprint is not registered in this app (e.g. a CLI-only app)
        return ""


def _author_line(viewer: Viewer, obj: Any) -> str:
    author = getattr(obj, "author", None)
    if author is None or not isinstance(obj, (Post, Thread)):
        return ""
    if not author_visible_to(viewer, obj):
        return "Author: not shown (Chatham House rule)\n"
    return f"Author: {author.name} ({author.organisation.name})\n"


def _mail_for(user: User, viewer: Viewer, event: str, obj: Any) -> mail.Mail:
    """A short e-mail. Above community tier it carries no title or text: only a link to sign in and read."""
    label = str(EVENT_LABELS.get(event, event))
    tier = getattr(obj, "tier", None)
    if tier is None:  # a post: its thread's tier; anything unknown is treated as the most restricted
        tier = getattr(getattr(obj, "thread", None), "tier", None)
    tier = Tier.CONFIDENTIAL if tier is None else Tier(tier)
    link = target_url(obj, external=True)
    if tier <= Tier.COMMUNITY:
        subject = f"[REAIM Exchange] {label}: {target_title(obj)}"
        body = f"{label}: {target_title(obj)} ({tier.tlp})\n{_author_line(viewer, obj)}\n{link}\n"
    else:
        subject = f"[REAIM Exchange] {label} ({tier.tlp})"
        body = f"{label} in an item marked {tier.tlp}. Sign in to read it:\n{link}\n"
    body += "\nYou receive this because you watch this item on REAIM Exchange. Manage watches under Notifications.\n"
    return mail.Mail(to=user.email, subject=subject, body=body)


def _deliver(db: Session, user: User, event: str, obj: Any) -> bool:
    """One notification (and e-mail) to one user, if they may read `obj` now. Deduplicated per transaction."""
    if user.status is not AccountStatus.ACTIVE:
        return False
    kind = kind_of(obj)
    sent = db.info.setdefault("notified", set())
    key = (user.id, event, kind, obj.id)
    if key in sent:
        return False
    viewer = policy.viewer_for(user, db)
    if not policy.can_view(viewer, obj):
        return False
    sent.add(key)
    db.add(Notification(user_id=user.id, event=event, object_kind=kind, object_id=obj.id))
    mail.queue(db, _mail_for(user, viewer, event, obj))
    return True


def _forget_notified(app) -> None:
    session().info.pop("notified", None)


register_after_commit(_forget_notified)


@event.listens_for(Session, "after_soft_rollback")
def _forget_notified_on_rollback(db: Session, _previous_transaction) -> None:
    db.info.pop("notified", None)


def notify_watchers(
    db: Session, target_kind: str, target_id: int, event: str, obj: Any, *, actor_id: int | None = None
) -> int:
    """Tell everyone watching (target_kind, target_id) that `event` happened to `obj`, each only if they may
    read `obj`. The acting user is not told about their own act. Returns how many were told."""
    watchers = db.scalars(
        select(User).join(Watch, Watch.user_id == User.id).where(Watch.target_kind == target_kind, Watch.target_id == target_id)
    )
    return sum(_deliver(db, user, event, obj) for user in watchers if user.id != actor_id)


def notify_user(db: Session, user_id: int, event: str, obj: Any) -> bool:
    """Tell one person (e.g. an author whose post was hidden), if they may read `obj`."""
    user = db.get(User, user_id)
    return user is not None and _deliver(db, user, event, obj)


def _watch_target(db: Session, actor: Viewer, kind: str, target_id: int):
    if kind not in WATCH_KINDS:
        raise ServiceError("You can watch a thread, a round or a paragraph.")
    if kind == "paragraph":
        target = db.get(CallParagraph, target_id)
        if target is None:
            raise NotFound()
        return target
    target = db.get(DialogueRound if kind == "round" else Thread, target_id)
    if not policy.can_view(actor, target):
        raise NotFound()
    return target


def add_watch(db: Session, user_id: int, kind: str, target_id: int) -> bool:
    """Inside a caller's transaction: watch unless already watching (authors follow their threads)."""
    exists = db.scalar(select(Watch.id).where(Watch.user_id == user_id, Watch.target_kind == kind, Watch.target_id == target_id))
    if exists is None:
        db.add(Watch(user_id=user_id, target_kind=kind, target_id=target_id))
        return True
    return False


def watch(actor: Viewer, kind: str, target_id: int) -> Watch:
    """Start watching a thread, a round or a paragraph."""
    if actor.user_id is None:
        raise NotFound()
    with unit_of_work() as db:
        _watch_target(db, actor, kind, target_id)
        if not add_watch(db, actor.user_id, kind, target_id):
            raise Conflict("You already watch this.")
        db.flush()
        created = db.scalar(select(Watch).where(Watch.user_id == actor.user_id, Watch.target_kind == kind, Watch.target_id == target_id))
        record(db, actor.user_id, "watch.added", kind, target_id)
    return created


def unwatch(actor: Viewer, kind: str, target_id: int) -> None:
    """Stop watching."""
    if actor.user_id is None:
        raise NotFound()
    with unit_of_work() as db:
        _watch_target(db, actor, kind, target_id)
        existing = db.scalar(select(Watch).where(Watch.user_id == actor.user_id, Watch.target_kind == kind, Watch.target_id == target_id))
        if existing is None:
            raise Conflict("You do not watch this.")
        db.delete(existing)
        record(db, actor.user_id, "watch.removed", kind, target_id)


def mark_read(actor: Viewer, notification_id: int) -> Notification:
    """Mark one of the actor's (visible) notifications read."""
    with unit_of_work() as db:
        notification = db.get(Notification, notification_id)
        if not policy.can_view(actor, notification):
            raise NotFound()
        if notification.read_at is None:
            notification.read_at = utcnow()
    return notification


def mark_all_read(actor: Viewer) -> int:
    """Mark every notification of the actor read."""
    if actor.user_id is None:
        raise NotFound()
    with unit_of_work() as db:
        result = db.execute(
            update(Notification)
            .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )
        return result.rowcount or 0
