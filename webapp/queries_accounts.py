"""Reads about a person's own account security."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import AuditEvent

SECURITY_EVENTS = {
    "auth.signed_in": _l("Signed in"),
    "auth.sign_in_failed": _l("Failed sign-in (wrong password)"),
    "auth.second_factor_failed": _l("Failed sign-in (wrong second-factor code)"),
    "auth.session_ended": _l("A session was signed out from the sessions page"),
    "auth.other_sessions_ended": _l("All other sessions were signed out"),
    "user.password_changed": _l("Password changed"),
    "user.password_reset_requested": _l("Password reset link requested"),
    "user.password_reset_sent": _l("Password reset link sent by an administrator"),
    "user.password_reset": _l("Password reset through a mailed link"),
    "user.email_change_requested": _l("Change of e-mail address requested"),
    "user.email_changed": _l("E-mail address changed"),
    "user.email_verified": _l("E-mail address confirmed"),
    "user.second_factor_enrolled": _l("Two-factor sign-in set up"),
    "user.second_factor_reset": _l("Second factor removed by an administrator"),
    "user.recovery_code_used": _l("Recovery code used"),
    "user.deactivated": _l("Account deactivated"),
    "user.reactivated": _l("Account reactivated"),
}


def security_history(db: Session, user_id: int, limit: int = 200) -> list[AuditEvent]:
    """Security events about one person's own account, newest first (their own audit rows only)."""
    return list(
        db.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "user", AuditEvent.object_id == user_id,
                   AuditEvent.action.in_(list(SECURITY_EVENTS)))
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )
