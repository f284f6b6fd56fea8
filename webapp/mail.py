"""Outgoing e-mail: queued durably in the caller's transaction, delivered by the job engine after it commits.

`queue(db, Mail(...))` writes one `outgoing_mail` row inside the caller's transaction: a rolled-back action mails
nobody, and a committed one is never lost (even if the process dies right after the commit, the periodic sweep
finds the row). After the commit a job delivers it (webapp/services/mail_delivery.py): SMTP when MAIL_SERVER is
set, else appended to MAIL_OUTBOX_FILE (development), through the same queue either way.
"""
from __future__ import annotations

import fcntl
import logging
import os
import smtplib
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formatdate, make_msgid

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from webapp import db as database
from webapp.models import OutgoingMail

log = logging.getLogger(__name__)
_PENDING = "pending_mail"
MESSAGE_ID_DOMAIN = "reaim-exchange"


@dataclass(frozen=True)
class Mail:
    """One message to one recipient: a plain-text body, optionally an HTML alternative and extra headers."""

    to: str
    subject: str
    body: str
    html: str | None = None
    # e.g. (("List-Unsubscribe", "<https://…>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    headers: tuple[tuple[str, str], ...] = ()
    # The recipient account, checked again at send time (a deactivated or unverified recipient gets nothing).
    recipient_id: int | None = None
    # One message per key, ever (e.g. "notification:123"): a retried or replayed event never mails twice.
    dedup_key: str | None = None
    # The notice of the account's own closing (e.g. a refused registration): delivered despite the deactivation.
    closing_notice: bool = False


def _insert_statement(db: Session):
    if db.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(OutgoingMail.__table__)


def _check(mail: Mail) -> None:
    """Refuse what could never be sent (or would inject headers) now, in the caller's transaction."""
    if not mail.to or not mail.to.strip():
        raise ValueError("a mail needs a recipient address")
    fields = [mail.to, mail.subject, *(part for pair in mail.headers for part in pair)]
    if any("\r" in field or "\n" in field for field in fields):
        raise ValueError("mail headers may not contain line breaks")
    if any(not name or ":" in name or " " in name for name, _value in mail.headers):
        raise ValueError("malformed mail header name")


def queue(db: Session, mail: Mail) -> int | None:
    """Queue `mail` in the caller's transaction; it is delivered after the commit. Returns the row id, or None when
    a message with the same dedup_key was queued before (nothing new is queued). Raises ValueError on a malformed
    message (e.g. a line break in a header), before anything is written."""
    _check(mail)
    message_id = make_msgid(domain=MESSAGE_ID_DOMAIN)
    table = OutgoingMail.__table__
    statement = _insert_statement(db).values(
        to_address=mail.to.strip(),
        subject=mail.subject,
        body=mail.body,
        html=mail.html,
        headers=[list(pair) for pair in mail.headers],
        recipient_id=mail.recipient_id,
        dedup_key=mail.dedup_key,
        closing_notice=mail.closing_notice,
        message_id=message_id,
    )
    if mail.dedup_key is not None:
        # Concurrent or replayed events: the second insert does nothing (and never fails the caller's transaction).
        statement = statement.on_conflict_do_nothing(index_elements=["dedup_key"])
    mail_id = db.execute(statement.returning(table.c.id)).scalar()
    if mail_id is not None:
        deliver_after_commit(db, mail_id)
    return mail_id


def deliver_after_commit(db: Session, mail_id: int) -> None:
    """Ask the job engine to deliver outgoing mail `mail_id` once the current transaction commits."""
    db.info.setdefault(_PENDING, []).append(mail_id)


@event.listens_for(Session, "after_soft_rollback")
def _forget_pending(session: Session, _previous_transaction) -> None:
    session.info.pop(_PENDING, None)


def build_message(app: Flask | None, mail: Mail, *, message_id: str, date: datetime | None = None) -> EmailMessage:
    """The RFC 5322 message for `mail` (From from the app's MAIL_FROM; a stable Message-ID per queued row)."""
    message = EmailMessage()
    message["From"] = app.config["MAIL_FROM"] if app is not None else "validation@localhost"
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(date, usegmt=True) if date is not None else formatdate(usegmt=True)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    for name, value in mail.headers:
        message[name] = value
    message.set_content(mail.body)
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html")
    return message


OUTBOX_SEPARATOR = "\n" + "=" * 72 + "\n"


def _write_replacement(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as replacement:
        replacement.write(text)
        replacement.flush()
        os.fsync(replacement.fileno())


def rewrite_outbox_file(path: str, keep) -> int:
    """Keep only the development mail log's messages for which `keep(message)` is true; returns how many were
    dropped. The kept ones are written to a new file that replaces the log only once complete, so a full disk
    fails the rewrite (OSError) and leaves the log as it was — never half-written."""
    if not path or not os.path.exists(path):
        return 0
    separator = OUTBOX_SEPARATOR
    with open(path, "r", encoding="utf-8") as log_file:
        fcntl.flock(log_file, fcntl.LOCK_EX)
        messages = log_file.read().split(separator)
        kept = [message for message in messages if keep(message)]
        if len(kept) == len(messages):
            return 0
        replacement = f"{path}.rewrite-{os.getpid()}"
        try:
            _write_replacement(replacement, separator.join(kept))
            os.replace(replacement, path)
        except OSError:
            if os.path.exists(replacement):
                os.remove(replacement)
            raise
    return len(messages) - len(kept)


class OutboxFileTransport:
    """Development: append each message to MAIL_OUTBOX_FILE (locked, so workers never interleave)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def send(self, message: EmailMessage) -> None:
        while True:
            with open(self.path, "a", encoding="utf-8") as outbox:
                fcntl.flock(outbox, fcntl.LOCK_EX)
                # A rewrite (rewrite_outbox_file) may have replaced the file while we waited for its lock:
                # appending to the replaced one would lose the message, so open the current one again.
                if os.path.exists(self.path) and os.fstat(outbox.fileno()).st_ino != os.stat(self.path).st_ino:
                    continue
                outbox.write(message.as_string() + OUTBOX_SEPARATOR)
                return

    def close(self) -> None:
        pass


class SMTPTransport:
    """One SMTP connection, opened on first use and reused for the following messages."""

    def __init__(self, app: Flask) -> None:
        self.config = app.config
        self.smtp: smtplib.SMTP | None = None
        self._connection = ExitStack()

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        timeout = float(config.get("MAIL_TIMEOUT", 10))
        smtp = self._connection.enter_context(smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout))
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self.smtp is None:
            try:
                self.smtp = self._connect()
            except BaseException:
                self.close()
                raise
        self.smtp.send_message(message)

    def close(self) -> None:
        """QUIT and close; a connection the server already dropped is just closed."""
        self.smtp = None
        try:
            self._connection.close()
        except (smtplib.SMTPException, OSError):
            pass
        self._connection = ExitStack()


def open_transport(app: Flask) -> OutboxFileTransport | SMTPTransport:
    """SMTP when MAIL_SERVER is set, else the development outbox file."""
    if not app.config.get("MAIL_SERVER"):
        return OutboxFileTransport(app.config["MAIL_OUTBOX_FILE"])
    return SMTPTransport(app)


def send(app: Flask, mail: Mail) -> None:
    """Deliver one message now, bypassing the queue (diagnostics; services use queue())."""
    transport = open_transport(app)
    try:
        transport.send(build_message(app, mail, message_id=make_msgid(domain=MESSAGE_ID_DOMAIN)))
    finally:
        transport.close()


def enqueue_pending(app: Flask) -> None:
    """After-commit hook: hand what the committed transaction queued to the job engine (never raises: the rows
    are committed, and the periodic sweep delivers them if the engine cannot be reached now)."""
    pending = database.session().info.pop(_PENDING, [])
    if not pending:
        return
    from webapp import jobs

    try:
        jobs.enqueue(app, "mail.deliver", pending)
    except Exception:  # noqa: BLE001 - the sweep picks the rows up
        log.exception("could not hand %d queued mail(s) to the job engine; the sweep will deliver them", len(pending))


database.register_after_commit(enqueue_pending)
