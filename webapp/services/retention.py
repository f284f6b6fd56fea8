"""Retention (issue 14): what is kept only for a while is purged by periodic jobs (jobs/schedule.py), each period
read from the configuration (config.py RETENTION_*; documented in DESIGN.md and on the privacy notice).

Each purge is a plain system act over old rows, so it writes no audit row per row; the job_runs claim records
when it ran (/api/health shows it).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from email import message_from_string
from email.utils import parsedate_to_datetime

from flask import Flask
from sqlalchemy import and_, delete, func, or_, select, update

from webapp.db import unit_of_work
from webapp.models import AuditEvent, AuthSession, JobRun, MailStatus, OutgoingMail, Post, SearchOutboxEntry, utcnow
from webapp.services import content_deletion

log = logging.getLogger(__name__)

# The periodic jobs of this module, by name (health shows when each last ran).
RETENTION_JOBS = ("retention.audit_addresses", "retention.ended_sessions", "retention.mail_log",
                  "retention.search_outbox", "retention.data_exports", "retention.deleted_posts")


def _cutoff(app: Flask, setting: str, now: datetime | None) -> datetime:
    return (now or utcnow()) - timedelta(days=int(app.config[setting]))


def purge_audit_addresses(app: Flask, now: datetime | None = None) -> int:
    """Blank the address of audit rows older than RETENTION_AUDIT_ADDRESS_DAYS (the act itself stays)."""
    cutoff = _cutoff(app, "RETENTION_AUDIT_ADDRESS_DAYS", now)
    with unit_of_work() as db:
        # Core update: the ORM refuses to touch audit rows; only the address is rewritten, never the act.
        return db.execute(update(AuditEvent).where(AuditEvent.occurred_at < cutoff, AuditEvent.ip != "")
                          .values(ip="")).rowcount


def purge_ended_sessions(app: Flask, now: datetime | None = None) -> int:
    """Delete sessions signed out, or expired, more than RETENTION_ENDED_SESSION_DAYS ago (with their address)."""
    now = now or utcnow()
    cutoff = _cutoff(app, "RETENTION_ENDED_SESSION_DAYS", now)
    expired_before = cutoff - timedelta(seconds=int(app.config.get("PERMANENT_SESSION_LIFETIME", 8 * 3600)))
    last_activity = func.coalesce(AuthSession.last_seen_at, AuthSession.created_at)
    with unit_of_work() as db:
        return db.execute(delete(AuthSession).where(or_(AuthSession.revoked_at < cutoff,
                                                        last_activity < expired_before))).rowcount


def purge_mail(app: Flask, now: datetime | None = None) -> int:
    """Delete outgoing mail finished (sent, failed, cancelled) more than RETENTION_SENT_MAIL_DAYS ago, and drop
    older messages from the development mail log file; returns the rows and messages removed."""
    cutoff = _cutoff(app, "RETENTION_SENT_MAIL_DAYS", now)
    finished = OutgoingMail.status.in_([MailStatus.SENT, MailStatus.FAILED, MailStatus.CANCELLED])
    with unit_of_work() as db:
        rows = db.execute(delete(OutgoingMail).where(
            finished, func.coalesce(OutgoingMail.sent_at, OutgoingMail.updated_at, OutgoingMail.created_at) < cutoff
        )).rowcount
    return rows + truncate_mail_log_file(app.config.get("MAIL_OUTBOX_FILE", ""), cutoff)


def _message_date(message: str) -> datetime | None:
    try:
        header = message_from_string(message.lstrip("\n")).get("Date")
        moment = parsedate_to_datetime(header) if header else None
    except (TypeError, ValueError):
        return None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def truncate_mail_log_file(path: str, cutoff: datetime) -> int:
    """Drop the mail log's messages dated before `cutoff` (undated ones stay); returns how many were dropped."""
    from webapp.mail import rewrite_outbox_file

    return rewrite_outbox_file(path, lambda m: not ((date := _message_date(m)) is not None and date < cutoff))


def purge_search_outbox(app: Flask, now: datetime | None = None) -> int:
    """Delete search-outbox entries that kept failing for RETENTION_SEARCH_OUTBOX_DAYS (logged: `flask search
    rebuild` brings such items back); entries never tried yet are left for the indexer."""
    cutoff = _cutoff(app, "RETENTION_SEARCH_OUTBOX_DAYS", now)
    with unit_of_work() as db:
        purged = db.execute(delete(SearchOutboxEntry).where(SearchOutboxEntry.created_at < cutoff,
                                                            SearchOutboxEntry.attempts > 0)).rowcount
    if purged:
        log.warning("retention: %d search-outbox entries failed for too long and were dropped; "
                    "run `flask search rebuild` to re-index everything", purged)
    return purged


def purge_deleted_post_text(app: Flask, now: datetime | None = None) -> int:
    """Posts deleted or hidden more than RETENTION_DELETED_POST_DAYS ago lose their text and revisions."""
    cutoff = _cutoff(app, "RETENTION_DELETED_POST_DAYS", now)
    with unit_of_work() as db:
        posts = list(db.scalars(select(Post).where(
            or_(Post.deleted_at < cutoff, Post.hidden_at < cutoff),
            or_(Post.body_source != "", Post.body_html != ""))))
        for post in posts:
            content_deletion.purge_post_text(db, post)
    return len(posts)


def purge_expired_exports(app: Flask, now: datetime | None = None) -> int:
    """Personal data exports past their DATA_EXPORT_DAYS."""
    from webapp.services import data_export

    return data_export.delete_expired(now)


def last_runs(db) -> dict[str, str | None]:
    """When each retention job last finished successfully (ISO, UTC), or None if never."""
    finished = dict(db.execute(select(JobRun.name, func.max(JobRun.finished_at))
                               .where(and_(JobRun.name.in_(RETENTION_JOBS), JobRun.status == "done"))
                               .group_by(JobRun.name)).all())
    return {name: (finished[name].isoformat() if finished.get(name) else None) for name in RETENTION_JOBS}
