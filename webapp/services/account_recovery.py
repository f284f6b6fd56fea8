"""Password reset and verified e-mail addresses: links mailed to the person, the same answer whoever asks."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import gettext as _
from sqlalchemy import func, select

from webapp.db import unit_of_work
from webapp.models import AccountStatus, User, utcnow
from webapp.models.account_token import RESET_PASSWORD, VERIFY_EMAIL
from webapp.services import ServiceError, notification_events
from webapp.services.account_links import (
    LinkRefused,
    find,
    mail_reset_link,
    mail_verification_link,
    send_account_mail,
    spend,
    token_hash,
)
from webapp.services.accounts import normalise_email, revoke_all_sessions
from webapp.services.audit import record
from webapp.services.mail_language import in_recipients_language
from webapp.services.passwords import hash_password, password_problem, verify_password

__all__ = ["LinkRefused", "request_password_reset", "reset_password", "check_reset_link", "request_email_change",
           "confirm_email", "resend_verification"]


def request_password_reset(email: str) -> None:
    """Mail a reset link if `email` belongs to an active account; otherwise do the same work and mail nobody.
    The caller answers the same either way (DESIGN §7, neutral answers)."""
    email = normalise_email(email)
    with unit_of_work() as db:
        user = db.scalar(select(User).where(func.lower(User.email) == email))
        if user is None or user.status is AccountStatus.DEACTIVATED:
            token_hash(email)  # the hash the other path computes; the lookup above is the same query
            return
        mail_reset_link(db, user)
        record(db, None, "user.password_reset_requested", "user", user.id)


def check_reset_link(token: str) -> None:
    """Raise LinkRefused unless `token` is a live reset link (for showing the form)."""
    from webapp.db import session

    find(session(), RESET_PASSWORD, token)


def reset_password(token: str, new_password: str) -> User:
    """Set a new password through a reset link: the link is spent, every session ends, the owner is told.
    Opening the mailed link also proves the address, so an unconfirmed address becomes confirmed."""
    from webapp.db import session

    row = find(session(), RESET_PASSWORD, token)
    problem = password_problem(new_password, user_inputs=[row.user.name, row.user.email])
    if problem:
        raise ServiceError(problem)
    with unit_of_work() as db:
        row = spend(db, RESET_PASSWORD, token)
        user = db.get(User, row.user_id)
        user.password_hash = hash_password(new_password)
        user.password_changed_at = utcnow()
        if user.email_verified_at is None:
            user.email_verified_at = utcnow()
        revoke_all_sessions(db, user.id)
        record(db, user.id, "user.password_reset", "user", user.id)
        with in_recipients_language(user):
            send_account_mail(
                db, user.email, _("Your password was changed"),
                _("Hello %(name)s,\n\nthe password of your account was changed with a reset link, and every "
                  "session was signed out. If this was not you, ask for a new reset link at once and tell an "
                  "administrator.", name=user.name),
                recipient_id=user.id,
            )
    return user


def request_email_change(user: User, *, current_password: str, new_email: str) -> None:
    """Mail a confirmation link to the new address; the address changes only when it is opened.
    An address another account holds gets the same answer (its owner is told instead)."""
    if not verify_password(user.password_hash, current_password):
        raise ServiceError(_l("Your current password is not correct."))
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise ServiceError(_l("That is already your address."))
    with unit_of_work() as db:
        holder = db.scalar(select(User).where(func.lower(User.email) == new_email))
        stored = db.get(User, user.id)
        if holder is not None:
            record(db, user.id, "user.email_change_to_taken_address", "user", user.id)
            with in_recipients_language(holder):
                send_account_mail(
                    db, holder.email, _("Someone tried to use your address"),
                    _("Hello %(name)s,\n\nanother REAIM Exchange account tried to change its address to this one. "
                      "Nothing was changed; you need do nothing.", name=holder.name),
                    recipient_id=holder.id if holder.email_verified else None,
                )
            return
        mail_verification_link(db, stored, new_email)
        record(db, user.id, "user.email_change_requested", "user", user.id)


def resend_verification(user: User) -> None:
    """Mail a new link for the registration address of an account that has not confirmed it."""
    with unit_of_work() as db:
        stored = db.get(User, user.id)
        if stored.email_verified:
            raise ServiceError(_l("Your address is already confirmed."), status=409)
        mail_verification_link(db, stored, stored.email)
        record(db, user.id, "user.verification_resent", "user", user.id)


def check_verification_link(token: str) -> str:
    """The address a live verification link confirms (raises LinkRefused)."""
    from webapp.db import session

    return find(session(), VERIFY_EMAIL, token).email


def confirm_email(token: str) -> User:
    """Open a verification link: confirms the registration address, or completes a change of address (the old
    address is told). Raises LinkRefused for forged (404), spent or expired (410) links."""
    with unit_of_work() as db:
        row = spend(db, VERIFY_EMAIL, token)
        user = db.get(User, row.user_id)
        address = row.email
        if address == user.email:
            first_confirmation = user.email_verified_at is None
            user.email_verified_at = user.email_verified_at or utcnow()
            record(db, user.id, "user.email_verified", "user", user.id)
            if first_confirmation and user.status is AccountStatus.PENDING:
                # Admins hear of a registration once its address is proven: typing someone else's address into
                # the form must not make the platform nag its admins (nor reveal anything to the typist).
                notification_events.user_registered(db, user)
            return user
        taken = db.scalar(select(User.id).where(func.lower(User.email) == address, User.id != user.id))
        if taken is not None:  # someone took the address since the link was sent
            raise LinkRefused(410)
        old = user.email
        user.email, user.email_verified_at = address, utcnow()
        record(db, user.id, "user.email_changed", "user", user.id)
        with in_recipients_language(user):
            send_account_mail(
                db, old, _("Your e-mail address was changed"),
                _("Hello %(name)s,\n\nthe address of your REAIM Exchange account was changed from this one to "
                  "%(address)s. If this was not you, tell an administrator at once.", name=user.name, address=address),
                recipient_id=None,  # this address is no longer the account's
            )
    return user
