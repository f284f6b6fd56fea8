"""Single-use links mailed to a person: e-mail verification and password reset (only their hash is stored)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from webapp.links import public_url
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp import mail
from webapp.models import AccountToken, User, utcnow
from webapp.models.account_token import RESET_PASSWORD, VERIFY_EMAIL
from webapp.services.mail_language import in_recipients_language

RESET_LIFETIME = timedelta(minutes=30)
VERIFY_LIFETIME = timedelta(hours=48)


class LinkRefused(Exception):
    """A link that is unknown (forged), spent or expired; `status` is what the view answers."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


def token_hash(token: str) -> str:
    """The stored form of a mailed secret."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue(db: Session, user: User, purpose: str, *, email: str | None = None) -> str:
    """A new link of `purpose` for `user` (inside the caller's transaction); earlier unused ones stop working."""
    db.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == purpose, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    token = secrets.token_urlsafe(32)
    lifetime = RESET_LIFETIME if purpose == RESET_PASSWORD else VERIFY_LIFETIME
    db.add(
        AccountToken(
            user_id=user.id, purpose=purpose, token_hash=token_hash(token), email=email,
            expires_at=utcnow() + lifetime,
        )
    )
    return token


def find(db: Session, purpose: str, token: str) -> AccountToken:
    """The live link behind `token`; raises LinkRefused(404) when forged, (410) when spent or expired."""
    if not token or len(token) > 100:
        raise LinkRefused(404)
    row = db.scalar(
        select(AccountToken).where(AccountToken.token_hash == token_hash(token), AccountToken.purpose == purpose)
    )
    if row is None:
        raise LinkRefused(404)
    if row.used_at is not None or row.expires_at <= utcnow():
        raise LinkRefused(410)
    return row


def spend(db: Session, purpose: str, token: str) -> AccountToken:
    """Use a link once: marks it spent in the caller's transaction (a second use answers 410)."""
    row = find(db, purpose, token)
    # Conditional update: of two concurrent uses only one changes the row.
    spent = db.execute(
        update(AccountToken).where(AccountToken.id == row.id, AccountToken.used_at.is_(None)).values(used_at=utcnow())
    )
    if spent.rowcount != 1:
        raise LinkRefused(410)
    return row


def send_account_mail(db: Session, to: str, subject: str, body: str, *, recipient_id: int | None) -> None:
    """Queue one account e-mail. `recipient_id` is None for a link to an address not verified yet."""
    # Call it inside `in_recipients_language(person)`, with subject and body composed there too.
    footer = "\n\n-- \n" + _("REAIM Exchange. You receive this because of an action on your account.") + "\n"
    mail.queue(db, mail.Mail(to=to, subject=f"[REAIM Exchange] {subject}", body=body + footer, recipient_id=recipient_id))


def mail_verification_link(db: Session, user: User, address: str) -> None:
    """Mail `address` a link that proves the person reads it."""
    token = issue(db, user, VERIFY_EMAIL, email=address)
    link = public_url("auth.verify_email", token=token)
    with in_recipients_language(user):
        send_account_mail(
            db, address, _("Confirm your e-mail address"),
            _("Hello %(name)s,\n\nplease confirm that this address is yours by opening this link within 48 hours:"
              "\n\n%(link)s\n\nIf you did not ask for this, ignore this message: nothing will change.",
              name=user.name, link=link),
            recipient_id=None,  # not verified yet, by definition
        )


def mail_reset_link(db: Session, user: User) -> None:
    """Mail the person a password reset link (valid 30 minutes, once)."""
    token = issue(db, user, RESET_PASSWORD)
    link = public_url("auth.reset_password", token=token)
    with in_recipients_language(user):
        send_account_mail(
            db, user.email, _("Reset your password"),
            _("Hello %(name)s,\n\nto choose a new password, open this link within 30 minutes:\n\n%(link)s\n\n"
              "It works once. Using it signs you out everywhere. If you did not ask for this, ignore this message.",
              name=user.name, link=link),
            # an account whose address is unconfirmed proves it with this very link (see accounts.reset_password)
            recipient_id=user.id if user.email_verified else None,
        )
