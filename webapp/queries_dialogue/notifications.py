"""A person's notifications, re-checked through the policy on every listing (tier changes apply at once)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from webapp import policy
from webapp.models import CallParagraph, DialogueRound, Notification, Post, Thread, Watch
from webapp.policy import Viewer
from webapp.policy.dialogue import NOTIFICATION_TARGETS


@dataclass
class NotificationItem:
    """A notification with the object it points at (readable by the viewer)."""

    notification: Notification
    target: Any


def unread_count(db: Session, viewer: Viewer) -> int:
    """Unread notifications about things the viewer may read now."""
    if viewer.user_id is None:
        return 0
    stmt = select(func.count(Notification.id)).where(Notification.read_at.is_(None))
    return db.scalar(policy.visible(stmt, viewer, Notification)) or 0


def notifications(db: Session, viewer: Viewer, *, limit: int = 100) -> list[NotificationItem]:
    """Newest first; each target loaded in one query per kind, through the policy."""
    if viewer.user_id is None:
        return []
    stmt = select(Notification).order_by(Notification.id.desc()).limit(limit)
    rows = list(db.scalars(policy.visible(stmt, viewer, Notification)))
    targets: dict[tuple[str, int], Any] = {}
    by_kind: dict[str, set[int]] = {}
    for row in rows:
        by_kind.setdefault(row.object_kind, set()).add(row.object_id)
    for kind, ids in by_kind.items():
        entity = NOTIFICATION_TARGETS.get(kind)
        if entity is None:
            continue
        stmt = select(entity).where(entity.id.in_(sorted(ids)))
        if entity is Post:  # a post is named by its thread's title: load the threads with the posts
            stmt = stmt.options(joinedload(Post.thread))
        for obj in db.scalars(policy.visible(stmt, viewer, entity)):
            targets[(kind, obj.id)] = obj
    return [NotificationItem(row, targets[(row.object_kind, row.object_id)]) for row in rows
            if (row.object_kind, row.object_id) in targets]


def visible_notification(db: Session, viewer: Viewer, notification_id: int) -> NotificationItem | None:
    """One notification of the viewer, with its target, if both are readable."""
    row = db.scalar(policy.visible(select(Notification).where(Notification.id == notification_id), viewer, Notification))
    if row is None:
        return None
    entity = NOTIFICATION_TARGETS.get(row.object_kind)
    target = db.get(entity, row.object_id) if entity else None
    return NotificationItem(row, target) if policy.can_view(viewer, target) else None


@dataclass
class WatchItem:
    """A watch with a readable label."""

    watch: Watch
    target: Any


def watches(db: Session, viewer: Viewer) -> list[WatchItem]:
    """The viewer's watches on things they may still read."""
    if viewer.user_id is None:
        return []
    rows = list(db.scalars(policy.visible(select(Watch).order_by(Watch.id.desc()), viewer, Watch)))
    found: dict[tuple[str, int], Any] = {}
    for kind, entity in (("round", DialogueRound), ("thread", Thread)):
        ids = sorted({w.target_id for w in rows if w.target_kind == kind})
        if ids:
            for obj in db.scalars(policy.visible(select(entity).where(entity.id.in_(ids)), viewer, entity)):
                found[(kind, obj.id)] = obj
    numbers = sorted({w.target_id for w in rows if w.target_kind == "paragraph"})
    if numbers:
        for paragraph in db.scalars(select(CallParagraph).where(CallParagraph.number.in_(numbers))):
            found[("paragraph", paragraph.number)] = paragraph
    return [WatchItem(w, found[(w.target_kind, w.target_id)]) for w in rows if (w.target_kind, w.target_id) in found]


def is_watching(db: Session, viewer: Viewer, kind: str, target_id: int) -> bool:
    """Does the viewer watch this?"""
    if viewer.user_id is None:
        return False
    stmt = select(Watch.id).where(Watch.target_kind == kind, Watch.target_id == target_id)
    return db.scalar(policy.visible(stmt, viewer, Watch)) is not None
