"""Registration, sign-in sessions and password changes."""
from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from webapp.links import public_url
from flask_babel import lazy_gettext as _l
from flask_babel import gettext as _
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from webapp.db import unit_of_work
from webapp.models import AccountStatus, AuthSession, Organisation, StakeholderType, User, utcnow
from webapp.services import Conflict, NotFound, ServiceError
from webapp.services import second_factor
from webapp.services.account_links import mail_verification_link, send_account_mail
from webapp.services.audit import record
from webapp.services.mail_language import in_recipients_language
from webapp.services.passwords import hash_password, password_problem, verify_password


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewOrganisation:
    """An organisation proposed at registration; pending until an admin verifies it."""

    name: str
    stakeholder_type: str
    country: str


def normalise_email(email: str) -> str:
    """Compare e-mail addresses case-insensitively."""
    return email.strip().lower()


def register(
    *, name: str, email: str, password: str, organisation_id: int | None, new_organisation: NewOrganisation | None
) -> None:
    """Create a pending account (and, if proposed, a pending organisation) and mail a verification link.

    The answer never depends on who is registered (DESIGN §7, neutral answers): an address that already has an
    account gets nothing created, the same work is done (a password hash, one e-mail), and its owner is told that
    someone tried to register with it. Only refusals that any visitor can predict from public information (a weak
    password, an unknown organisation, the name of a listed organisation) are answered as such.
    """
    email = normalise_email(email)
    problem = password_problem(password, user_inputs=[name, email])
    if problem:
        raise ServiceError(problem)
    password_hash = hash_password(password)  # before the lookup: both paths cost one Argon2 hash
    with unit_of_work() as db:
        if new_organisation is not None:
            _check_proposal(db, new_organisation)
        elif not organisation_id or db.get(Organisation, organisation_id) is None:
            raise ServiceError(_l("Choose your organisation from the list, or propose a new one."))
        owner = db.scalar(select(User).where(func.lower(User.email) == email))
        if owner is not None:
            record(db, None, "user.registration_for_existing_address", "user", owner.id)
            with in_recipients_language(owner):
                send_account_mail(
                    db, owner.email, _("Someone tried to register with your address"),
                    _("Hello %(name)s,\n\nsomeone tried to create a REAIM Exchange account with this address, which "
                      "already has one. Nothing was changed. If it was you, sign in, or choose a new password here:"
                      "\n\n%(link)s\n\nIf it was not you, you need do nothing.",
                      name=owner.name, link=public_url("auth.forgot_password")),
                    recipient_id=owner.id if owner.email_verified else None,
                )
            return
        if new_organisation is not None:
            organisation = _propose_organisation(db, new_organisation)
        else:
            organisation = db.get(Organisation, organisation_id)
        user = User(
            name=name.strip(),
            email=email,
            password_hash=password_hash,
            organisation=organisation,
            status=AccountStatus.PENDING,
        )
        db.add(user)
        db.flush()
        details = {"organisation_id": organisation.id}
        if new_organisation is not None and organisation.stakeholder_type_code != new_organisation.stakeholder_type:
            # Joined a pending proposal of the same name that says another type: the admin who verifies it sees
            # the disagreement here; the registrant is told nothing about the other proposal.
            details["proposed_stakeholder_type"] = new_organisation.stakeholder_type
            details["proposed_country"] = new_organisation.country.upper()
        record(db, user.id, "user.registered", "user", user.id, **details)
        mail_verification_link(db, user, email)


def _check_proposal(db: Session, proposal: NewOrganisation) -> None:
    """Refusals of a proposed organisation that reveal only public facts (the list shows verified ones)."""
    if db.get(StakeholderType, proposal.stakeholder_type) is None:
        raise ServiceError(_l("Unknown stakeholder type."))
    clash = db.scalar(select(Organisation).where(func.lower(Organisation.name) == proposal.name.strip().lower()))
    if clash is not None and clash.verified:
        raise Conflict(_l("That organisation already exists: choose it from the list."))


def _propose_organisation(db: Session, proposal: NewOrganisation) -> Organisation:
    clash = db.scalar(select(Organisation).where(func.lower(Organisation.name) == proposal.name.strip().lower()))
    if clash is not None:
        # Someone else proposed it and it awaits verification; the list shows verified organisations only
        # (who is registering is nobody else's business), so a colleague joins the pending proposal here,
        # whatever type they gave: refusing a different type would tell a stranger what is pending.
        return clash
    organisation = Organisation(
        name=proposal.name.strip(),
        stakeholder_type_code=proposal.stakeholder_type,
        country=proposal.country.upper(),
        verified=False,
    )
    db.add(organisation)
    db.flush()
    record(db, None, "organisation.proposed", "organisation", organisation.id, name=organisation.name)
    return organisation


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(email: str, password: str) -> User | None:
    """The user with these credentials, or None; same cost for unknown e-mail and wrong password."""
    from webapp.db import session

    db = session()
    user = db.scalar(select(User).where(User.email == normalise_email(email)))
    ok = verify_password(user.password_hash if user else None, password)
    with unit_of_work() as db:
        if not ok or user is None or not user.is_active:
            record(db, user.id if user else None, "auth.sign_in_failed", "user", user.id if user else None)
            return None
    return user


def start_session(user: User, *, ip: str = "", user_agent: str = "", second_factor_pending: bool = False) -> str:
    """Open a sign-in session for `user`; returns the opaque token the session cookie carries.

    With `second_factor_pending` the row only remembers that the password was right: it signs nobody in until
    `complete_second_factor` accepts a code for it.
    """
    token = secrets.token_urlsafe(32)
    with unit_of_work() as db:
        row = AuthSession(token_hash=_token_hash(token), user_id=user.id, ip=ip[:45], user_agent=user_agent[:200],
                          second_factor_pending=second_factor_pending, last_seen_at=utcnow())
        db.add(row)
        db.flush()
        if not second_factor_pending:
            record(db, user.id, "auth.signed_in", "user", user.id)
    user.auth_token = token
    user.auth_session_id = row.id
    return token


PENDING_SECOND_FACTOR_LIFETIME = timedelta(minutes=10)
MAX_FAILED_CODES = 5  # per password step; then the password is asked again (besides the rate limit)
LAST_SEEN_GRANULARITY = timedelta(minutes=1)


def pending_sign_in(db: Session, token: str | None) -> AuthSession | None:
    """The password-checked, code-awaiting session behind `token`, if still usable."""
    if not token:
        return None
    row = db.scalar(
        select(AuthSession).where(
            AuthSession.token_hash == _token_hash(token),
            AuthSession.second_factor_pending.is_(True),
            AuthSession.revoked_at.is_(None),
            AuthSession.created_at > utcnow() - PENDING_SECOND_FACTOR_LIFETIME,
        )
    )
    if row is None or not row.user.is_active:
        return None
    return row


def complete_second_factor(token: str, code: str) -> User | None:
    """Accept a TOTP or recovery code for a pending sign-in: the session becomes a signed-in one. None if refused."""
    with unit_of_work() as db:
        pending = pending_sign_in(db, token)
        if pending is None:
            return None
        user = pending.user
        how = second_factor.check_code(db, user, code)
        if how is None:
            pending.failed_codes += 1
            if pending.failed_codes >= MAX_FAILED_CODES:
                pending.revoked_at = utcnow()
            record(db, user.id, "auth.second_factor_failed", "user", user.id)
            return None
        pending.second_factor_pending = False
        pending.created_at = utcnow()  # the session's lifetime starts at the real sign-in
        record(db, user.id, "auth.signed_in", "user", user.id, second_factor=how)
        if how == "recovery_code":
            db.flush()
            left = second_factor.recovery_codes_left(db, user.id)
            record(db, user.id, "user.recovery_code_used", "user", user.id, left=left)
            with in_recipients_language(user):
                send_account_mail(
                    db, user.email, _("A recovery code was used"),
                    _("Hello %(name)s,\n\na one-time recovery code was used to sign in to your account "
                      "(%(left)d left). If this was not you, reset your password and tell an administrator.",
                      name=user.name, left=left),
                    recipient_id=user.id,
                )
        session_id = pending.id
    user.auth_token = token
    user.auth_session_id = session_id
    return user


def user_for_token(db: Session, token: str, *, lifetime: timedelta | None = None) -> User | None:
    """The active user behind a live session token, else None.

    A session lives at most `lifetime` after sign-in, whatever the cookie says: the cookie is re-signed on every
    request, so without this limit a stolen cookie kept in use would never expire. A session still waiting for its
    second factor signs nobody in.
    """
    if not token:
        return None
    stmt = (
        select(User, AuthSession)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(
            AuthSession.token_hash == _token_hash(token),
            AuthSession.revoked_at.is_(None),
            AuthSession.second_factor_pending.is_(False),
        )
    )
    if lifetime is not None:
        stmt = stmt.where(AuthSession.created_at > utcnow() - lifetime)
    found = db.execute(stmt).one_or_none()
    if found is None or not found[0].is_active:
        return None
    row, auth_session = found
    _touch(db, auth_session)
    row.auth_token = token
    row.auth_session_id = auth_session.id
    return row


def _touch(db: Session, auth_session: AuthSession) -> None:
    """Record when a session was last used (at most once a minute; on its own connection, outside the request's
    transaction, so reading a page never commits the request's work)."""
    now = utcnow()
    if auth_session.last_seen_at is not None and now - auth_session.last_seen_at < LAST_SEEN_GRANULARITY:
        return
    try:
        with db.get_bind().connect() as connection:
            if connection.dialect.name == "postgresql":
                # best effort: never wait behind a lock the request itself might hold
                connection.execute(text("SET LOCAL lock_timeout = '1s'"))
            connection.execute(update(AuthSession).where(AuthSession.id == auth_session.id).values(last_seen_at=now))
            connection.commit()
    except Exception:  # noqa: BLE001 - "last seen" is a convenience; the page must not fail for it
        log.warning("could not record last_seen_at of session %s", auth_session.id, exc_info=True)


def end_session(user: User, token: str) -> None:
    """Sign out: revoke this browser's session so a copied cookie stops working."""
    with unit_of_work() as db:
        db.execute(
            update(AuthSession)
            .where(AuthSession.token_hash == _token_hash(token), AuthSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        record(db, user.id, "auth.signed_out", "user", user.id)


def revoke_all_sessions(db: Session, user_id: int) -> None:
    """Revoke every session of a user (inside the caller's transaction)."""
    db.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def change_password(user: User, *, current_password: str, new_password: str) -> None:
    """Change a password after checking the current one; revokes every session of the user."""
    if not verify_password(user.password_hash, current_password):
        raise ServiceError(_l("Your current password is not correct."))
    problem = password_problem(new_password, user_inputs=[user.name, user.email])
    if problem:
        raise ServiceError(problem)
    with unit_of_work() as db:
        stored = db.get(User, user.id)
        stored.password_hash = hash_password(new_password)
        stored.password_changed_at = utcnow()
        revoke_all_sessions(db, user.id)
        record(db, user.id, "user.password_changed", "user", user.id)


def active_sessions(db: Session, user_id: int, *, lifetime: timedelta | None = None) -> list[AuthSession]:
    """The person's signed-in sessions (not revoked, not expired, not awaiting a code), newest first."""
    stmt = select(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None), AuthSession.second_factor_pending.is_(False)
    )
    if lifetime is not None:
        stmt = stmt.where(AuthSession.created_at > utcnow() - lifetime)
    return list(db.scalars(stmt.order_by(AuthSession.created_at.desc(), AuthSession.id.desc())))


def end_other_session(user: User, session_id: int) -> None:
    """End one of the person's other sessions; someone else's, this one or an ended one is NotFound."""
    with unit_of_work() as db:
        ended = db.execute(
            update(AuthSession)
            .where(AuthSession.id == session_id, AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None),
                   AuthSession.id != (user.auth_session_id or 0))
            .values(revoked_at=utcnow())
        )
        if ended.rowcount != 1:
            raise NotFound(_l("No such session."))
        record(db, user.id, "auth.session_ended", "user", user.id, session_id=session_id)


def end_all_other_sessions(user: User) -> int:
    """End every session of the person but this one; returns how many."""
    with unit_of_work() as db:
        ended = db.execute(
            update(AuthSession)
            .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None),
                   AuthSession.id != (user.auth_session_id or 0))
            .values(revoked_at=utcnow())
        )
        count = ended.rowcount or 0
        record(db, user.id, "auth.other_sessions_ended", "user", user.id, count=count)
    return count
