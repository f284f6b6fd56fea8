"""TOTP two-factor sign-in (RFC 6238, pyotp) and one-time recovery codes (stored hashed).

A code is accepted for the current 30-second step and one step either side (clock drift), and only for a step
later than the last accepted one: a code seen over a shoulder or replayed within its window is refused.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from datetime import datetime, timezone

import pyotp
import segno
from flask_babel import lazy_gettext as _l
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.db import unit_of_work
from webapp.models import AuthSession, RecoveryCode, User, utcnow
from webapp.services import Conflict, ServiceError
from webapp.services.account_links import send_account_mail
from webapp.services.audit import record
from webapp.services.mail_language import in_recipients_language
from webapp.services.passwords import verify_password

ISSUER = "REAIM Exchange"
RECOVERY_CODE_COUNT = 10
DRIFT_STEPS = 1

# Where "now" comes from. The tests replace it with a clock they can move on by whole 30-second steps, so a test
# that signs one person in many times does not sleep until that person's phone shows a code not yet used.
clock = time.time


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(_normalise_recovery(code).encode()).hexdigest()


def new_recovery_code() -> str:
    """Sixteen base-32 characters (80 bits) in four groups: typed by hand, guessed never."""
    raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def accepted_step(secret: str, code: str, last_step: int | None, *, now: float | None = None) -> int | None:
    """The time step `code` belongs to, if it is valid now and later than `last_step`; else None."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(datetime.fromtimestamp(clock() if now is None else now, tz=timezone.utc))
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step if last_step is None or step > last_step else None
    return None


def qr_svg_data_uri(user: User) -> str:
    """The pending secret as an otpauth:// QR code, an SVG data: URI (the CSP allows img-src data:)."""
    uri = pyotp.TOTP(user.totp_pending_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def start_enrolment(user: User) -> None:
    """Make a new secret to show as a QR code; the current factor (if any) stays until the new one is confirmed."""
    with unit_of_work() as db:
        stored = db.get(User, user.id)
        stored.totp_pending_secret = pyotp.random_base32()
        user.totp_pending_secret = stored.totp_pending_secret


def confirm_enrolment(user: User, *, current_password: str, code: str, keep_session_id: int | None) -> list[str]:
    """Enrol the pending secret after the current password and a valid code; returns fresh recovery codes (shown
    once). Every other session is signed out: from now on each session of the account has passed the second factor."""
    if not verify_password(user.password_hash, current_password):
        raise ServiceError(_l("Your current password is not correct."))
    with unit_of_work() as db:
        stored = db.get(User, user.id)
        if stored.totp_pending_secret is None:
            raise Conflict(_l("Start the set-up again: scan a new code first."))
        step = accepted_step(stored.totp_pending_secret, code, None)
        if step is None:
            raise ServiceError(_l("That code is not valid. Enter the 6-digit code your app shows now."))
        stored.totp_secret, stored.totp_pending_secret = stored.totp_pending_secret, None
        stored.totp_last_counter = step
        stored.second_factor_enrolled_at = utcnow()
        codes = _replace_recovery_codes(db, stored.id)
        _revoke_other_sessions(db, stored.id, keep_session_id)
        record(db, stored.id, "user.second_factor_enrolled", "user", stored.id)
        with in_recipients_language(stored):
            send_account_mail(
                db, stored.email, _("Two-factor sign-in is on"),
                _("Hello %(name)s,\n\ntwo-factor sign-in was set up for your account. Your other sessions were "
                  "signed out. If this was not you, reset your password and tell an administrator.", name=stored.name),
                recipient_id=stored.id,
            )
    for name in ("totp_secret", "totp_pending_secret", "totp_last_counter", "second_factor_enrolled_at"):
        setattr(user, name, getattr(stored, name))
    return codes


def _replace_recovery_codes(db: Session, user_id: int) -> list[str]:
    db.execute(update(RecoveryCode).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
               .values(used_at=utcnow()))
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.add_all(RecoveryCode(user_id=user_id, code_hash=_recovery_hash(code)) for code in codes)
    return codes


def _revoke_other_sessions(db: Session, user_id: int, keep_session_id: int | None) -> None:
    stmt = update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    if keep_session_id is not None:
        stmt = stmt.where(AuthSession.id != keep_session_id)
    db.execute(stmt.values(revoked_at=utcnow()))


def check_code(db: Session, user: User, code: str) -> str | None:
    """Inside the caller's transaction: accept a TOTP code or an unused recovery code (spending it).
    Returns "totp" or "recovery_code", or None when refused."""
    stored = db.get(User, user.id)
    if stored is None or not stored.has_second_factor:
        return None
    step = accepted_step(stored.totp_secret, code, stored.totp_last_counter)
    if step is not None:
        # Conditional update: two concurrent uses of one code cannot both pass.
        moved = db.execute(
            update(User).where(User.id == stored.id, (User.totp_last_counter.is_(None)) | (User.totp_last_counter < step))
            .values(totp_last_counter=step)
        )
        return "totp" if moved.rowcount == 1 else None
    normalised = _normalise_recovery(code or "")
    if len(normalised) != 16:
        return None
    spent = db.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == stored.id, RecoveryCode.code_hash == _recovery_hash(normalised),
               RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    return "recovery_code" if spent.rowcount == 1 else None


def recovery_codes_left(db: Session, user_id: int) -> int:
    """How many recovery codes the person still holds."""
    return len(list(db.scalars(select(RecoveryCode.id).where(RecoveryCode.user_id == user_id,
                                                            RecoveryCode.used_at.is_(None)))))


def remove_second_factor(db: Session, user: User) -> None:
    """Inside the caller's transaction: forget the TOTP secret and recovery codes (an admin-issued reset)."""
    user.totp_secret = user.totp_pending_secret = None
    user.totp_last_counter = None
    user.second_factor_enrolled_at = None
    db.execute(update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
               .values(used_at=utcnow()))
