"""Periodic jobs: the one place where recurring work is declared (digests, reminders, releases, retention, sweeps).

Each PeriodicJob names a plain function `run(app)`, a cron line ("minute hour day month day_of_week", UTC) saying
when the scheduler enqueues it, and a `slot`: the period it covers. Every consumer on every node enqueues it, but
only the first to claim (job, slot) in the database runs it (claims.py): a daily digest with slot=timedelta(days=1)
runs once per UTC day however many nodes there are. Write `run` so that it catches up on what a missed slot left
(e.g. "everything not yet digested"), since a crashed run's slot is not run again.

To add one (e.g. the daily digest):
    PeriodicJob("notifications.daily_digest", "0 7 * * *", timedelta(days=1), _daily_digest)
with `def _daily_digest(app): digests.send_daily()` importing its service lazily.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import Flask
from huey import crontab

# Slots are counted from a Monday at midnight UTC, so that weekly slots are calendar weeks.
_SLOT_ORIGIN = datetime(1970, 1, 5, tzinfo=timezone.utc)


@dataclass(frozen=True)
class PeriodicJob:
    """A recurring job: `run(app)` when `cron` matches, at most once per `slot` across all consumers."""

    name: str
    cron: str
    slot: timedelta
    run: Callable[[Flask], object]
    retries: int = 2  # a failed run is retried (and may re-claim its failed slot) before it stays failed
    retry_delay: int = 20

    def crontab(self):
        """Huey's validator for the cron line."""
        minute, hour, day, month, day_of_week = self.cron.split()
        return crontab(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week, strict=True)

    def slot_for(self, moment: datetime) -> str:
        """The start of the slot containing `moment` (UTC), as the claim's key, e.g. '2026-12-01T10:05'."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        periods = (moment - _SLOT_ORIGIN) // self.slot
        return (_SLOT_ORIGIN + periods * self.slot).strftime("%Y-%m-%dT%H:%M")


def _sweep_mail(app: Flask) -> object:
    from webapp.services import mail_delivery

    return mail_delivery.sweep(app)


def _drain_search_outbox(app: Flask) -> object:
    from webapp.search import outbox_worker, repair

    repaired = repair.heal(app)  # a missing, damaged or out-of-step index is rebuilt before anything is applied
    report = outbox_worker.drain_idle(app)
    report.repaired = repaired
    return report


def _in_transaction(service_name: str, *args) -> Callable[[Flask], object]:
    """A job running one notification-schedule service in its own transaction at the current time."""

    def run(_app: Flask) -> object:
        from webapp.db import unit_of_work
        from webapp.models import utcnow
        from webapp.services import notification_schedule

        with unit_of_work() as db:
            return getattr(notification_schedule, service_name)(db, utcnow(), *args)

    run.__name__ = f"_{service_name}"
    return run


def _purge_rate_limit_windows(app: Flask) -> object:
    from webapp import rate_limits

    return rate_limits.purge_expired_windows(app)


def _purge_form_keys(app: Flask) -> object:
    from webapp.services import idempotency

    with app.app_context():
        return idempotency.purge_expired()


def _release_due(_app: Flask) -> object:
    from webapp.services import declassification

    return declassification.release_due_now()


def _retention(service_name: str) -> Callable[[Flask], object]:
    """A job running one retention purge (services/retention.py) at the current time."""

    def run(app: Flask) -> object:
        from webapp.services import retention

        return getattr(retention, service_name)(app)

    run.__name__ = f"_{service_name}"
    return run


def _review_reminders(app: Flask) -> object:
    from webapp.services import review_dates

    return review_dates.remind_due(app)


PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    # Scheduled releases whose time has come → lowered as the originator's act, each once (DESIGN.md rule 8).
    PeriodicJob("archive.scheduled_releases", "* * * * *", timedelta(minutes=1), _release_due),
    # Rounds that opened or closed by their times → their audience (each transition announced once).
    PeriodicJob("notifications.round_transitions", "*/5 * * * *", timedelta(minutes=5),
                _in_transaction("announce_round_transitions")),
    # Open rounds closing within 24 hours → their audience, once per round.
    PeriodicJob("notifications.closing_soon", "*/15 * * * *", timedelta(minutes=15),
                _in_transaction("remind_rounds_closing_soon")),
    # Digests of everything not yet mailed (each digest service also claims its own period, so a rerun is harmless).
    PeriodicJob("notifications.daily_digest", "0 7 * * *", timedelta(days=1), _in_transaction("send_due_digests", "daily")),
    PeriodicJob("notifications.weekly_digest", "0 7 * * 1", timedelta(days=7),
                _in_transaction("send_due_digests", "weekly")),
    # Due retries, and mail whose delivery job was lost (process died after commit, queue unreachable).
    PeriodicJob("mail.sweep", "* * * * *", timedelta(minutes=1), _sweep_mail),
    # Search-index repair (missing, damaged, out of step with the database), then the updates the after-commit
    # path left (lock busy, indexer down, read-only worker, SEARCH_APPLY_AFTER_COMMIT off), without any traffic.
    PeriodicJob("search.drain_outbox", "* * * * *", timedelta(minutes=1), _drain_search_outbox),
    # Expired rate-limit windows in the database (once across nodes, instead of now and then in every worker).
    PeriodicJob("rate_limits.purge", "*/10 * * * *", timedelta(minutes=10), _purge_rate_limit_windows),
    # Idempotency keys of form submissions older than FORM_KEY_RETENTION_HOURS (a repeat after that is new).
    PeriodicJob("forms.purge_idempotency_keys", "23 * * * *", timedelta(hours=1), _purge_form_keys),
    # Retention (issue 14; periods RETENTION_* in config.py): daily, staggered so that they never pile up.
    PeriodicJob("retention.audit_addresses", "10 3 * * *", timedelta(days=1), _retention("purge_audit_addresses")),
    PeriodicJob("retention.ended_sessions", "15 3 * * *", timedelta(days=1), _retention("purge_ended_sessions")),
    PeriodicJob("retention.mail_log", "20 3 * * *", timedelta(days=1), _retention("purge_mail")),
    PeriodicJob("retention.search_outbox", "25 3 * * *", timedelta(days=1), _retention("purge_search_outbox")),
    PeriodicJob("retention.deleted_posts", "30 3 * * *", timedelta(days=1), _retention("purge_deleted_post_text")),
    # Review dates: defaults filled in, originators told once before an item lapses (services/review_dates.py).
    PeriodicJob("archive.review_reminders", "0 6 * * *", timedelta(days=1), _review_reminders),
    # Personal data exports past DATA_EXPORT_DAYS: hourly, so none outlives its stated time by much.
    PeriodicJob("retention.data_exports", "5 * * * *", timedelta(hours=1), _retention("purge_expired_exports")),
)


def periodic_job(name: str) -> PeriodicJob:
    """The periodic job called `name` (KeyError if none)."""
    for job in PERIODIC_JOBS:
        if job.name == name:
            return job
    raise KeyError(name)
