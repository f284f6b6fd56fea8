"""Registration, sign-in sessions and password changes."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from webapp.db import unit_of_work
from webapp.models import AccountStatus, AuthSession, Organisation, StakeholderType, User, utcnow
from webapp.services import Conflict, ServiceError
from webapp.services.audit import record
from webapp.services.passwords import hash_password, password_problem, verify_password


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
) -> User:
    """Create a pending account (and, if proposed, a pending organisation)."""
    email = normalise_email(email)
    problem = password_problem(password, user_inputs=[name, email])
    if problem:
        raise ServiceError(problem)
    with unit_of_work() as db:
        if db.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
            raise Conflict(
                _l("An account with this e-mail address already exists. Sign in, or ask an admin for help.")
            )
        if new_organisation is not None:
            organisation = _propose_organisation(db, new_organisation)
        else:
            organisation = db.get(Organisation, organisation_id) if organisation_id else None
            if organisation is None:
                raise ServiceError(_l("Choose your organisation from the list, or propose a new one."))
        user = User(
            name=name.strip(),
            email=email,
            password_hash=hash_password(password),
            organisation=organisation,
            status=AccountStatus.PENDING,
        )
        db.add(user)
        db.flush()
        record(db, user.id, "user.registered", "user", user.id, organisation_id=organisation.id)
    return user


def _propose_organisation(db: Session, proposal: NewOrganisation) -> Organisation:
    if db.get(StakeholderType, proposal.stakeholder_type) is None:
        raise ServiceError(_l("Unknown stakeholder type."))
    clash = db.scalar(select(Organisation).where(func.lower(Organisation.name) == proposal.name.strip().lower()))
    if clash is not None and clash.verified:
        raise Conflict(_l("That organisation already exists: choose it from the list."))
    if clash is not None:
        # Someone else proposed it and it awaits verification; the list shows verified organisations only
        # (who is registering is nobody else's business), so a colleague joins the pending proposal here.
        if clash.stakeholder_type_code != proposal.stakeholder_type:
            raise Conflict(_l("An organisation with this name is awaiting verification with another stakeholder "
                              "type. Check the type, or ask an administrator."))
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


def start_session(user: User, *, ip: str = "", user_agent: str = "") -> str:
    """Open a sign-in session for `user`; returns the opaque token the session cookie carries."""
    token = secrets.token_urlsafe(32)
    with unit_of_work() as db:
        db.add(AuthSession(token_hash=_token_hash(token), user_id=user.id, ip=ip[:45], user_agent=user_agent[:200]))
        record(db, user.id, "auth.signed_in", "user", user.id)
    user.auth_token = token
    return token


def user_for_token(db: Session, token: str, *, lifetime: timedelta | None = None) -> User | None:
    """The active user behind a live session token, else None.

    A session lives at most `lifetime` after sign-in, whatever the cookie says: the cookie is re-signed on every
    request, so without this limit a stolen cookie kept in use would never expire.
    """
    if not token:
        return None
    stmt = (
        select(User)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(AuthSession.token_hash == _token_hash(token), AuthSession.revoked_at.is_(None))
    )
    if lifetime is not None:
        stmt = stmt.where(AuthSession.created_at > utcnow() - lifetime)
    row = db.execute(stmt).scalar_one_or_none()
    if row is None or not row.is_active:
        return None
    row.auth_token = token
    return row


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
