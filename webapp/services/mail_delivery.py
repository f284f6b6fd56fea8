"""Delivering the outgoing_mail queue: claim a row with a lease, check its recipient, send, record the outcome.

Never twice for one row: a row is sent only by whoever claimed it (status sending, a fresh claim token, a lease);
the outcome is recorded only under that token. A sender that dies mid-send leaves the claim to expire, and the sweep
sends again: the one remaining duplicate window is "accepted by the SMTP server, then the process died before it
could record so" — the stable Message-ID lets the receiving side recognise that copy.

SMTP answers: 4xx, a refused or dropped connection, a timeout → queued again with exponential back-off
(MAIL_RETRY_BASE_SECONDS · 2^(attempts-1), at most MAIL_RETRY_MAX_SECONDS) until MAIL_MAX_ATTEMPTS, then failed.
5xx is permanent (RFC 5321): failed at once with the server's reply as the reason. An authentication failure is a
configuration fault, not the message's, and is retried.
"""
from __future__ import annotations

import logging
import smtplib
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from webapp import mail, policy
from webapp.db import unit_of_work
from webapp.models import AccountStatus, MailStatus, Notification, OutgoingMail, User, utcnow
from webapp.policy import Viewer
from webapp.services import Conflict, Forbidden, NotFound
from webapp.services.audit import record

log = logging.getLogger(__name__)
SWEEP_BATCH = 200
DRAIN_BATCH = 50


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    skipped: int = 0  # not due, or claimed by another sender
    server_unreachable: bool = False


class _Transient(Exception):
    """Worth trying again later; `connection_lost` when the connection cannot be used for the next message."""

    def __init__(self, reason: str, *, connection_lost: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.connection_lost = connection_lost


class _Permanent(Exception):
    """The server refused this message for good (5xx)."""


def _reply(code: int, text: bytes | str) -> str:
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}".strip()[:1000]


def _classify(error: Exception) -> Exception:
    """SMTP and network errors → _Transient or _Permanent."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()), (450, b"recipient refused"))
        reply = _reply(code, text)
        return _Permanent(reply) if code >= 500 else _Transient(reply, connection_lost=False)
    if isinstance(error, (smtplib.SMTPConnectError, smtplib.SMTPAuthenticationError)):
        return _Transient(_reply(error.smtp_code, error.smtp_error), connection_lost=True)
    if isinstance(error, smtplib.SMTPResponseException):
        reply = _reply(error.smtp_code, error.smtp_error)
        if error.smtp_code >= 500:
            return _Permanent(reply)
        return _Transient(reply, connection_lost=error.smtp_code == 421)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return _Transient(f"connection dropped: {error}"[:1000], connection_lost=True)
    if isinstance(error, OSError):
        return _Transient(f"server unreachable: {error!r}"[:1000], connection_lost=True)
    return _Transient(f"{error!r}"[:1000], connection_lost=True)


def _sessionmaker(app: Flask):
    return app.extensions["db_sessionmaker"]


def _refusals(db: Session, rows: list[OutgoingMail]) -> dict[int, str]:
    """Row id → why its recipient must get nothing now. With recipient_id: the account must still be active.
    Without: an account at the address that was deactivated gets nothing either."""
    accounts = {row.recipient_id for row in rows if row.recipient_id is not None}
    addresses = {row.to_address.lower() for row in rows if row.recipient_id is None}
    by_id = dict(db.execute(select(User.id, User.status).where(User.id.in_(accounts))).all()) if accounts else {}
    by_address = (dict(db.execute(select(User.email, User.status).where(User.email.in_(addresses))).all())
                  if addresses else {})
    refusals = {}
    for row in rows:
        if row.recipient_id is not None:
            status = by_id.get(row.recipient_id)
            if status is None:
                refusals[row.id] = "recipient account no longer exists"
            elif status is not AccountStatus.ACTIVE:
                refusals[row.id] = f"recipient account is {status.value}"
        elif by_address.get(row.to_address.lower()) is AccountStatus.DEACTIVATED and not row.closing_notice:
            refusals[row.id] = "recipient account is deactivated"
    refusals.update(_lost_access(db, [row for row in rows if row.id not in refusals]))
    return refusals


_NOTIFICATION_KEY = "notification:"


def _lost_access(db: Session, rows: list[OutgoingMail]) -> dict[int, str]:
    """A mail about a notification goes out only if its recipient may still read what it is about: access is
    checked again at send time (a retry may come hours after the event; the clearance or tier may have changed)."""
    refusals = {}
    for row in rows:
        if row.recipient_id is None or not (row.dedup_key or "").startswith(_NOTIFICATION_KEY):
            continue
        notification_id = row.dedup_key[len(_NOTIFICATION_KEY):]
        notification = db.get(Notification, int(notification_id)) if notification_id.isdigit() else None
        recipient = db.get(User, row.recipient_id)
        if notification is None or not policy.can_view(policy.viewer_for(recipient, db), notification):
            refusals[row.id] = "recipient may no longer read what the notification is about"
    return refusals


@dataclass(frozen=True)
class _Claim:
    id: int
    token: str
    mail: mail.Mail
    message_id: str
    created_at: datetime
    attempts: int  # including this one


def _claim_batch(app: Flask, now: datetime, *, ids: list[int] | None = None,
                 limit: int = SWEEP_BATCH) -> tuple[list[_Claim], int]:
    """Claim due rows (queued and due, or sending with an expired lease) for this sender, in one statement: the
    given ids, or the `limit` oldest due. Rows whose recipient must get nothing are cancelled here.
    Returns (claims in id order, number cancelled)."""
    token = str(uuid.uuid4())
    lease = timedelta(seconds=float(app.config.get("MAIL_SEND_LEASE_SECONDS", 300)))
    chosen = select(OutgoingMail.id).where(_due(now))
    if ids is not None:
        chosen = chosen.where(OutgoingMail.id.in_(ids))
    # SKIP LOCKED: concurrent senders on PostgreSQL take different rows instead of queueing behind each other
    # (SQLite serialises writers anyway; the statement is a write from its start, so it waits, never fails).
    chosen = chosen.order_by(OutgoingMail.next_attempt_at, OutgoingMail.id).limit(limit).with_for_update(skip_locked=True)
    with _sessionmaker(app).begin() as db:
        claimed = db.scalars(
            update(OutgoingMail)
            .where(OutgoingMail.id.in_(chosen.scalar_subquery()), _due(now))
            .values(status=MailStatus.SENDING, claim_token=token, lease_until=now + lease,
                    attempts=OutgoingMail.attempts + 1, updated_at=now)
            .returning(OutgoingMail.id)
            .execution_options(synchronize_session=False)
        ).all()
        if not claimed:
            return [], 0
        rows = list(db.scalars(select(OutgoingMail).where(OutgoingMail.id.in_(claimed)).order_by(OutgoingMail.id)))
        refusals = _refusals(db, rows)
        claims = []
        for row in rows:
            if row.id in refusals:
                row.status, row.last_error, row.claim_token, row.lease_until = (
                    MailStatus.CANCELLED, refusals[row.id], None, None)
                log.info("outgoing mail %s cancelled: %s", row.id, refusals[row.id])
                continue
            message = mail.Mail(to=row.to_address, subject=row.subject, body=row.body, html=row.html,
                                headers=tuple(tuple(pair) for pair in row.headers or ()),
                                recipient_id=row.recipient_id, dedup_key=row.dedup_key,
                                closing_notice=row.closing_notice)
            claims.append(_Claim(row.id, token, message, row.message_id, row.created_at, row.attempts))
        return claims, len(refusals)


def _claim(app: Flask, mail_id: int, now: datetime) -> _Claim | None:
    """Claim one row (see _claim_batch); None if it is not due, taken, or cancelled."""
    claims, _cancelled = _claim_batch(app, now, ids=[mail_id], limit=1)
    return claims[0] if claims else None


def _release(app: Flask, claims: list[_Claim]) -> None:
    """Give back claimed rows that were never tried (the server went away first): queued, as they were."""
    if not claims:
        return
    try:
        with _sessionmaker(app).begin() as db:
            db.execute(
                update(OutgoingMail)
                .where(OutgoingMail.id.in_([c.id for c in claims]), OutgoingMail.claim_token == claims[0].token)
                .values(status=MailStatus.QUEUED, claim_token=None, lease_until=None,
                        attempts=OutgoingMail.attempts - 1)
                .execution_options(synchronize_session=False)
            )
    except Exception:  # noqa: BLE001 - their lease expires and the sweep takes them: later, never lost
        log.exception("could not release %d claimed mail(s)", len(claims))


def _due(now: datetime):
    return or_(
        and_(OutgoingMail.status == MailStatus.QUEUED, OutgoingMail.next_attempt_at <= now),
        and_(OutgoingMail.status == MailStatus.SENDING, OutgoingMail.lease_until < now),
    )


def _record(app: Flask, mail_id: int, token: str, **values) -> bool:
    """Record the outcome under our claim; a few quick retries ride out a database hiccup. False if it could not
    be recorded (the lease then expires and the row is tried again: at least once, never lost)."""
    values.update(claim_token=None, lease_until=None, updated_at=utcnow())
    for pause in (0.0, 0.2, 0.5, 1.0):
        time.sleep(pause)
        try:
            with _sessionmaker(app).begin() as db:
                result = db.execute(
                    update(OutgoingMail).where(OutgoingMail.id == mail_id, OutgoingMail.claim_token == token)
                    .values(**values).execution_options(synchronize_session=False)
                )
            if result.rowcount != 1:
                log.warning("outgoing mail %s: our claim expired before its outcome was recorded", mail_id)
            return result.rowcount == 1
        except Exception:  # noqa: BLE001 - the database may be down or full; try again, then give up
            log.exception("outgoing mail %s: recording the outcome failed", mail_id)
    return False


def _retry_or_fail(app: Flask, mail_id: int, token: str, reason: str, attempts_after: int) -> str:
    config = app.config
    if attempts_after >= int(config.get("MAIL_MAX_ATTEMPTS", 8)):
        _record(app, mail_id, token, status=MailStatus.FAILED, last_error=f"gave up after {attempts_after} attempts: {reason}")
        return "failed"
    base = float(config.get("MAIL_RETRY_BASE_SECONDS", 60))
    delay = min(base * 2 ** (attempts_after - 1), float(config.get("MAIL_RETRY_MAX_SECONDS", 6 * 3600)))
    _record(app, mail_id, token, status=MailStatus.QUEUED, last_error=reason,
            next_attempt_at=utcnow() + timedelta(seconds=delay))
    return "retried"


def _send_batch(app: Flask, transport, claims: list[_Claim], report: DeliveryReport) -> bool:
    """Send claimed rows over `transport`; False (and the untried rest released) once the server is unreachable."""
    for position, claim in enumerate(claims):
        try:
            try:
                transport.send(mail.build_message(app, claim.mail, message_id=claim.message_id, date=claim.created_at))
            except Exception as error:  # noqa: BLE001 - classified below
                raise _classify(error) from error
        except _Permanent as refusal:
            _record(app, claim.id, claim.token, status=MailStatus.FAILED, last_error=str(refusal))
            report.failed += 1
            log.warning("outgoing mail %s refused for good: %s", claim.id, refusal)
            continue
        except _Transient as trouble:
            outcome = _retry_or_fail(app, claim.id, claim.token, trouble.reason, claim.attempts)
            setattr(report, outcome, getattr(report, outcome) + 1)
            log.info("outgoing mail %s not delivered (%s): %s", claim.id, outcome, trouble.reason)
            if trouble.connection_lost:
                transport.close()
                report.server_unreachable = True
                _release(app, claims[position + 1:])
                return False
            continue
        _record(app, claim.id, claim.token, status=MailStatus.SENT, last_error="", sent_at=utcnow())
        report.sent += 1
    return True


def deliver(app: Flask, mail_ids: list[int], *, now: datetime | None = None, drain_seconds: float = 0.0,
            time_budget: float | None = None) -> DeliveryReport:
    """Send the given rows that are due over one connection; then, for up to `drain_seconds`, other due rows too
    (under a backlog one job then carries many mails per connection). Stops at the first unreachable server: the
    rest stay queued for the sweep (an outage costs one attempt per run, not one per message)."""
    report = DeliveryReport()
    transport = mail.open_transport(app)
    try:
        for start in range(0, len(mail_ids), SWEEP_BATCH):
            claims, cancelled = _claim_batch(app, now or utcnow(), ids=mail_ids[start:start + SWEEP_BATCH])
            report.cancelled += cancelled
            report.skipped += len(mail_ids[start:start + SWEEP_BATCH]) - len(claims) - cancelled
            if not _send_batch(app, transport, claims, report):
                return report
        deadline = time.monotonic() + (drain_seconds if time_budget is None else time_budget)
        while time.monotonic() < deadline:
            claims, cancelled = _claim_batch(app, now or utcnow(), limit=DRAIN_BATCH if time_budget is None else SWEEP_BATCH)
            report.cancelled += cancelled
            if not claims and not cancelled:
                break
            if not _send_batch(app, transport, claims, report):
                break
    finally:
        transport.close()
    return report


def sweep(app: Flask, *, now: datetime | None = None, time_budget: float = 40.0) -> DeliveryReport:
    """Periodic job: deliver due retries and rows whose delivery job was lost, in batches, within a time budget."""
    report = deliver(app, [], now=now, time_budget=time_budget)
    if report.sent or report.retried or report.failed or report.cancelled:
        log.info("mail sweep: %s", report)
    return report


def retry(actor: Viewer, mail_id: int) -> OutgoingMail:
    """An admin sends a failed mail again: queued now with a fresh set of attempts (audited)."""
    if not policy.can_administer(actor):
        raise Forbidden(_l("Only administrators can do this."))
    with unit_of_work() as db:
        row = db.get(OutgoingMail, mail_id)
        if row is None:
            raise NotFound(_l("No such mail."))
        if row.status is not MailStatus.FAILED:
            raise Conflict(_l("Only a failed mail can be sent again."))
        previous_error = row.last_error
        now = utcnow()
        row.status, row.attempts, row.next_attempt_at, row.updated_at = MailStatus.QUEUED, 0, now, now
        record(db, actor.user_id, "mail.retried", "outgoing_mail", row.id, previous_error=previous_error[:500])
        mail.deliver_after_commit(db, row.id)
    return row
