"""Helpers for the notification tests: run the scheduled jobs as a scheduler would, read the mail outbox file."""
from __future__ import annotations

from datetime import datetime

from webapp.db import unit_of_work
from webapp.models import utcnow
from webapp.services import notification_schedule


def run_digests(app, period: str = "daily", now: datetime | None = None) -> int:
    """send_due_digests in its own transaction, outside any request (as the job engine calls it)."""
    with app.app_context(), unit_of_work() as db:
        return notification_schedule.send_due_digests(db, now or utcnow(), period)


def run_round_jobs(app, now: datetime | None = None) -> int:
    """The round announcements and reminders, outside any request."""
    with app.app_context(), unit_of_work() as db:
        moment = now or utcnow()
        return (notification_schedule.announce_round_transitions(db, moment)
                + notification_schedule.remind_rounds_closing_soon(db, moment))


def outbox_text(app) -> str:
    """Everything written to the development mail outbox file so far."""
    try:
        return open(app.config["MAIL_OUTBOX_FILE"], encoding="utf-8").read()
    except FileNotFoundError:
        return ""


def received(app, user) -> list[tuple[str, str, int]]:
    """(event, object kind, object id) of every notification stored for `user`, oldest first."""
    from sqlalchemy import select

    from webapp.db import session
    from webapp.models import Notification

    with app.app_context():
        return [(n.event, n.object_kind, n.object_id) for n in session().scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]


def events_of(app, user) -> list[str]:
    """The events `user` was told of, oldest first."""
    return [event for event, _kind, _id in received(app, user)]


def set_delivery(app, user, event: str, delivery: str) -> None:
    """Choose how `user` hears of `event` (through the service, as the settings page does)."""
    from tests.dialogue_helpers import viewer
    from webapp.services import notification_prefs

    with app.test_request_context():
        notification_prefs.set_preferences(viewer(app, user), {event: delivery})
