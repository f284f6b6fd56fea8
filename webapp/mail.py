"""Outgoing e-mail: SMTP when MAIL_SERVER is set, else appended to MAIL_OUTBOX_FILE (development).

Messages are queued on the database session inside a transaction and sent only after it commits, so a rolled-back
action mails nobody. A failed send is logged, never raised: the action it reports on has already happened.
"""
from __future__ import annotations

import fcntl
import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from webapp import db as database

log = logging.getLogger(__name__)
_PENDING = "pending_mail"


@dataclass(frozen=True)
class Mail:
    """One plain-text message to one recipient."""

    to: str
    subject: str
    body: str


def queue(db: Session, mail: Mail) -> None:
    """Send `mail` once the current transaction commits."""
    db.info.setdefault(_PENDING, []).append(mail)


@event.listens_for(Session, "after_soft_rollback")
def _forget_pending(session: Session, _previous_transaction) -> None:
    session.info.pop(_PENDING, None)


def _message(app: Flask, mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = app.config["MAIL_FROM"]
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain="reaim-exchange")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.body)
    return message


def send(app: Flask, mail: Mail) -> None:
    """Deliver one message now (SMTP or the outbox file)."""
    message = _message(app, mail)
    if not app.config.get("MAIL_SERVER"):
        with open(app.config["MAIL_OUTBOX_FILE"], "a", encoding="utf-8") as outbox:
            fcntl.flock(outbox, fcntl.LOCK_EX)
            outbox.write(message.as_string() + "\n" + "=" * 72 + "\n")
        return
    with smtplib.SMTP(app.config["MAIL_SERVER"], app.config["MAIL_PORT"], timeout=10) as smtp:
        if app.config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if app.config.get("MAIL_USERNAME"):
            smtp.login(app.config["MAIL_USERNAME"], app.config["MAIL_PASSWORD"])
        smtp.send_message(message)


def send_pending(app: Flask) -> None:
    """After-commit hook: deliver what the committed transaction queued."""
    pending = database.session().info.pop(_PENDING, [])
    for mail in pending:
        try:
            send(app, mail)
        except Exception:  # noqa: BLE001 - mail trouble must not undo or fail the committed action
            log.exception("could not send mail to %s", mail.to)


database.register_after_commit(send_pending)
