"""Notifications that time brings, as plain service functions a scheduler calls (each inside one transaction it
owns: `with unit_of_work() as db: announce_round_transitions(db, utcnow())`).

Each is idempotent: an announced event leaves a NotificationMark ("round_opened:12", "digest:daily:2026-12-01"), so
running a job twice, on two nodes or after a restart tells nobody twice. Access is checked again at send time.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from webapp import mail, policy
from webapp.models import AccountStatus, DialogueRound, Notification, NotificationMark, User
from webapp.policy.dialogue import NOTIFICATION_TARGETS
from webapp.services.notification_events import round_event
from webapp.services.notification_mail import digest_mail
from webapp.services.notification_prefs import DIGEST_PERIODS
from webapp.services.notifications import target_url

# A transition older than this is not announced any more (after an outage, or when this feature is first deployed).
ANNOUNCE_WINDOW = timedelta(days=2)
CLOSING_SOON = timedelta(hours=24)


def claim(db: Session, key: str) -> bool:
    """Record that the one-off event `key` is being announced; False if it already was."""
    if db.get(NotificationMark, key) is not None:
        return False
    db.add(NotificationMark(key=key))
    db.flush()
    return True


def announce_round(db: Session, round_: DialogueRound, event: str, *, actor_id: int | None = None) -> int:
    """Tell a round's audience of `event` once (a facilitator's act and the scheduler share the mark)."""
    if not claim(db, f"{event}:{round_.id}"):
        return 0
    return round_event(db, round_, event, actor_id=actor_id)


def announce_round_transitions(db: Session, now: datetime) -> int:
    """Rounds that opened or closed by their times since the last run → their audience. Returns how many told."""
    recent = now - ANNOUNCE_WINDOW
    live = DialogueRound.concluded_at.is_(None)
    opened = select(DialogueRound).where(live, DialogueRound.closed_at.is_(None), DialogueRound.opens_at <= now,
                                         DialogueRound.opens_at > recent, DialogueRound.closes_at > now)
    closed = select(DialogueRound).where(live, or_(
        and_(DialogueRound.closed_at.is_not(None), DialogueRound.closed_at > recent),
        and_(DialogueRound.closed_at.is_(None), DialogueRound.closes_at <= now, DialogueRound.closes_at > recent)))
    told = sum(announce_round(db, round_, "round_opened") for round_ in db.scalars(opened.order_by(DialogueRound.id)))
    told += sum(announce_round(db, round_, "round_closed") for round_ in db.scalars(closed.order_by(DialogueRound.id)))
    return told


def remind_rounds_closing_soon(db: Session, now: datetime) -> int:
    """Open rounds closing within 24 hours → their audience, once per round."""
    stmt = select(DialogueRound).where(
        DialogueRound.concluded_at.is_(None), DialogueRound.closed_at.is_(None), DialogueRound.opens_at <= now,
        DialogueRound.closes_at > now, DialogueRound.closes_at <= now + CLOSING_SOON).order_by(DialogueRound.id)
    return sum(announce_round(db, round_, "round_closing_soon") for round_ in db.scalars(stmt))


def period_key(now: datetime, period: str) -> str:
    """The digest period `now` falls in: a date for daily digests, an ISO week for weekly ones."""
    if period == "daily":
        return now.date().isoformat()
    year, week, _day = now.isocalendar()
    return f"{year}-W{week:02d}"


def send_due_digests(db: Session, now: datetime, period: str) -> int:
    """One digest mail per person with unmailed notifications of this period, once per period. Each item is
    checked against the recipient's access now; items they lost access to (and people no longer active) are
    dropped silently. Returns how many digests were queued."""
    if period not in DIGEST_PERIODS:
        raise ValueError(f"unknown digest period {period!r}")
    if not claim(db, f"digest:{period}:{period_key(now, period)}"):
        return 0
    rows = list(db.scalars(select(Notification).where(
        Notification.delivery == period, Notification.mailed_at.is_(None), Notification.created_at <= now)
        .order_by(Notification.user_id, Notification.id)))
    by_user: dict[int, list[Notification]] = defaultdict(list)
    for row in rows:
        by_user[row.user_id].append(row)
        row.mailed_at = now  # mailed or dropped: never considered again
    queued = 0
    for user_id, notifications in by_user.items():
        user = db.get(User, user_id)
        if user is None or user.status is not AccountStatus.ACTIVE:
            continue
        viewer = policy.viewer_for(user, db)
        entries = []
        for notification in notifications:
            entity = NOTIFICATION_TARGETS.get(notification.object_kind)
            target = db.get(entity, notification.object_id) if entity else None
            if policy.can_view(viewer, target):
                entries.append((notification, target, target_url(target, external=True, event=notification.event)))
        if entries:
            key = f"digest:{period}:{user.id}:{notifications[-1].id}"
            mail.queue(db, digest_mail(user, period, entries, dedup_key=key))
            queued += 1
    return queued
