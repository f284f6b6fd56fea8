"""Watches and notifications. Access is checked per recipient when sending (and again when listing):
nobody is told anything — not even a title — about what they cannot read."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from webapp import mail, policy
from webapp.db import register_after_commit, session, unit_of_work
from webapp.models import AccountStatus, CallParagraph, DialogueRound, Notification, Post, Submission, Thread, User, Watch, utcnow
from webapp.models.watch import WATCH_KINDS
from webapp.policy import Viewer
from webapp.policy.dialogue import NOTIFICATION_TARGETS, register_notification_target
from webapp.services import Conflict, NotFound, ServiceError
from webapp.services.audit import record
from webapp.services.mail_language import in_recipients_language
from webapp.services.notification_mail import event_mail, external_url
from webapp.services.notification_prefs import EVENT_KINDS, IMMEDIATE, OFF, delivery_for


@dataclass(frozen=True)
class TargetPresenter:
    """How a kind of notified object is named and linked (only ever called after an access check)."""

    title: Callable[[Any], str]
    endpoint: str | Callable[[str | None], str]  # or a function of the event (an account: admin page or own page)
    url_args: Callable[[Any], dict]


_PRESENTERS: dict[str, TargetPresenter] = {}


def register_target(kind: str, entity: type, *, title: Callable[[Any], str], endpoint, url_args: Callable) -> None:
    """Let notifications point at `entity` objects (the archive registers "submission" this way)."""
    register_notification_target(kind, entity)
    _PRESENTERS[kind] = TargetPresenter(title=title, endpoint=endpoint, url_args=url_args)


register_target("round", DialogueRound, title=lambda r: r.title, endpoint="dialogue.round", url_args=lambda r: {"round_id": r.id})
register_target("thread", Thread, title=lambda t: t.title, endpoint="dialogue.thread", url_args=lambda t: {"thread_id": t.id})
register_target("post", Post, title=lambda p: p.thread.title, endpoint="dialogue.permalink", url_args=lambda p: {"post_id": p.id})
register_target(
    "submission", Submission, title=lambda s: s.title, endpoint="archive.show", url_args=lambda s: {"submission_id": s.id}
)
# Registrations point admins at the person's admin page; verification notices point the person at their account.
register_target(
    "account", User, title=lambda u: u.name,
    endpoint=lambda event: "admin.user" if event == "registration" else "auth.account",
    url_args=lambda u: {"user_id": u.id},
)

EVENT_LABELS = {event: kind.label for event, kind in EVENT_KINDS.items()}


def kind_of(obj: Any) -> str:
    """The notification kind of an object."""
    for kind, entity in NOTIFICATION_TARGETS.items():
        if isinstance(obj, entity):
            return kind
    raise ValueError(f"{type(obj).__name__} cannot be the object of a notification")


def target_title(obj: Any) -> str:
    """The title of a notified object (call only after can_view)."""
    return _PRESENTERS[kind_of(obj)].title(obj)


def target_url(obj: Any, *, external: bool = False, event: str | None = None) -> str:
    """The address of a notified object (call only after can_view)."""
    presenter = _PRESENTERS[kind_of(obj)]
    endpoint = presenter.endpoint(event) if callable(presenter.endpoint) else presenter.endpoint
    args = presenter.url_args(obj) if endpoint != "auth.account" else {}
    if external:
        return external_url(endpoint, **args)
    if not has_request_context():
        return ""
    try:
        return url_for(endpoint, **args)
    except BuildError:  # the kind's blueprint is not registered in this app (e.g. a CLI-only app)
        return ""


def _deliver(db: Session, user: User, event: str, obj: Any, *, may: Callable[[Viewer], bool] | None = None) -> bool:
    """One notification (and, per the person's preference, an e-mail now or in a digest) to one user, if they may
    read `obj` now (and pass `may`, e.g. "moderates this post"). Deduplicated per transaction."""
    if user.status is not AccountStatus.ACTIVE:
        return False
    kind = kind_of(obj)
    sent = db.info.setdefault("notified", set())
    key = (user.id, event, kind, obj.id)
    if key in sent:
        return False
    viewer = policy.viewer_for(user, db)
    if not policy.can_view(viewer, obj) or (may is not None and not may(viewer)):
        return False
    sent.add(key)
    delivery = delivery_for(db, user.id, event)
    if delivery == OFF:
        return False
    notification = Notification(user_id=user.id, event=event, object_kind=kind, object_id=obj.id, delivery=delivery)
    db.add(notification)
    # An address nobody proved to read gets no mail (the list under Notifications still shows it).
    if delivery == IMMEDIATE and user.email_verified:
        db.flush()  # the id is the mail's deduplication key
        notification.mailed_at = utcnow()
        mail.queue(db, event_mail(user, viewer, notification, obj, target_url(obj, external=True, event=event)))
    return True


def notify_users(db: Session, users: Iterable[User], event: str, obj: Any, *, actor_id: int | None = None,
                 may: Callable[[Viewer], bool] | None = None) -> int:
    """Tell each of `users` (but the actor) that `event` happened to `obj`, each only if they may read it."""
    return sum(_deliver(db, user, event, obj, may=may) for user in users if user.id != actor_id)


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


def notify_user(db: Session, user_id: int | None, event: str, obj: Any) -> bool:
    """Tell one person (e.g. an author whose post was hidden), if they may read `obj`."""
    user = db.get(User, user_id) if user_id is not None else None
    return user is not None and _deliver(db, user, event, obj)


def _watch_target(db: Session, actor: Viewer, kind: str, target_id: int):
    if kind not in WATCH_KINDS:
        raise ServiceError(_l("You can watch a thread, a round or a paragraph."))
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
            raise Conflict(_l("You already watch this."))
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
            raise Conflict(_l("You do not watch this."))
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


# ---------------------------------------------------------------- sharing groups: owners hear of admins' changes

from webapp.models import SharingGroup  # noqa: E402  (this section is what notifies about groups)

register_target(
    "sharing_group", SharingGroup, title=lambda g: g.name, endpoint="groups.show", url_args=lambda g: {"group_id": g.id}
)
GROUP_EVENT_LABELS = {
    "group_user_added": _l("An administrator added a person to your sharing group"),
    "group_user_removed": _l("An administrator removed a person from your sharing group"),
    "group_organisation_added": _l("An administrator added an organisation to your sharing group"),
    "group_organisation_removed": _l("An administrator removed an organisation from your sharing group"),
}
EVENT_LABELS.update(GROUP_EVENT_LABELS)


def notify_group_owners(db: Session, owners: list[User], event: str, group: SharingGroup, *, actor_name: str,
                        member: str) -> int:
    """Tell each owner of `group` (in-app and by e-mail) which member an administrator added or removed."""
    told = 0
    for owner in owners:
        if owner.status is not AccountStatus.ACTIVE or not policy.can_view(policy.viewer_for(owner, db), group):
            continue
        db.add(Notification(user_id=owner.id, event=event, object_kind="sharing_group", object_id=group.id))
        with in_recipients_language(owner):
            label = str(GROUP_EVENT_LABELS[event])
            headline = str(_l("%(event)s: %(title)s", event=label, title=group.name))
            body = (f"{headline}\n{member}\n"
                    + str(_l("By: %(name)s", name=actor_name or _l("an administrator"))) + "\n\n"
                    + target_url(group, external=True) + "\n\n"
                    + str(_l("You receive this because your organisation owns this sharing group on REAIM Exchange."))
                    + "\n")
            subject = f"[REAIM Exchange] {headline}"
        mail.queue(db, mail.Mail(to=owner.email, subject=subject, body=body, recipient_id=owner.id))
        told += 1
    return told
