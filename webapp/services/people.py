"""Admin actions on people: verification, roles, clearance, creating sharing groups, deactivation (who is in a
group: services/group_membership.py)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp import policy
from webapp.db import unit_of_work
from webapp.models import AccountStatus, Organisation, SharingGroup, Tier, User
from webapp.policy import Viewer
from webapp.services import Conflict, Forbidden, NotFound, ServiceError
from webapp.services.accounts import revoke_all_sessions
from webapp.services.account_links import mail_reset_link, send_account_mail
from webapp.services.audit import record
from webapp.services.mail_language import in_recipients_language
from webapp.services.second_factor import remove_second_factor



def _require_admin(actor: Viewer) -> None:
    if not policy.can_administer(actor):
        raise Forbidden(_l("Only administrators can do this."))


def _user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(_l("No such user."))
    return user


def _organisation(db: Session, organisation_id: int) -> Organisation:
    organisation = db.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(_l("No such organisation."))
    return organisation


def verify_organisation(actor: Viewer, organisation_id: int) -> Organisation:
    """Mark an organisation verified so its members can post."""
    _require_admin(actor)
    with unit_of_work() as db:
        organisation = _organisation(db, organisation_id)
        if organisation.verified:
            raise Conflict(_l("This organisation is already verified."))
        organisation.verified = True
        record(db, actor.user_id, "organisation.verified", "organisation", organisation.id)
    return organisation


def verify_user(actor: Viewer, user_id: int) -> User:
    """Activate a pending account (admins; focal points verify through the organisation service, the same rule)."""
    _require_admin(actor)
    from webapp.services import organisations

    return organisations.verify_person(actor, user_id)


def send_password_reset(actor: Viewer, user_id: int) -> User:
    """Mail a person a password reset link; the admin never sees or sets the password."""
    _require_admin(actor)
    with unit_of_work() as db:
        user = _user(db, user_id)
        if user.status is AccountStatus.DEACTIVATED:
            raise Conflict(_l("This account is deactivated; reactivate it first."))
        mail_reset_link(db, user)
        record(db, actor.user_id, "user.password_reset_sent", "user", user.id)
    return user


def reset_second_factor(actor: Viewer, user_id: int) -> User:
    """For a person who lost both phone and recovery codes: remove their second factor and sign them out
    everywhere. Audited, and the person is told by mail. Until they enrol again they read at community level."""
    _require_admin(actor)
    with unit_of_work() as db:
        user = _user(db, user_id)
        if not user.has_second_factor:
            raise Conflict(_l("This person has no second factor to reset."))
        if user.id == actor.user_id:
            raise Forbidden(_l("Ask another administrator to reset your own second factor."))
        remove_second_factor(db, user)
        revoke_all_sessions(db, user.id)
        record(db, actor.user_id, "user.second_factor_reset", "user", user.id)
        with in_recipients_language(user):
            send_account_mail(
                db, user.email, _("Your two-factor sign-in was reset"),
                _("Hello %(name)s,\n\nan administrator removed the second factor of your account, and every session "
                  "was signed out. Sign in with your password and set up two-factor sign-in again under Account. If "
                  "you did not ask for this, tell an administrator at once.", name=user.name),
                recipient_id=user.id,
            )
    return user


def set_roles(actor: Viewer, user_id: int, *, facilitator: bool, admin: bool) -> User:
    """Grant or remove the facilitator and admin roles."""
    with unit_of_work() as db:
        user = _user(db, user_id)
        if not policy.can_change_roles(actor, user):
            raise Forbidden(_l("Only administrators can grant roles."))
        if user.id == actor.user_id and not admin:
            raise Forbidden(_l("You cannot remove your own admin role; ask another admin."))
        before = user.role_names
        user.is_facilitator, user.is_admin = facilitator, admin
        record(db, actor.user_id, "user.roles_changed", "user", user.id, before=before, after=user.role_names)
    return user


def set_clearance(actor: Viewer, user_id: int, clearance: Tier) -> User:
    """Set the highest tier a user may read; takes effect on their next request."""
    with unit_of_work() as db:
        user = _user(db, user_id)
        if not policy.can_change_clearance(actor, user, clearance):
            raise Forbidden(
                _l("You cannot raise your own clearance.") if actor.is_admin else _l("Only administrators can do this.")
            )
        before = user.clearance
        user.clearance = clearance
        record(db, actor.user_id, "user.clearance_changed", "user", user.id, before=before.code, after=clearance.code)
    return user


def deactivate_user(actor: Viewer, user_id: int) -> User:
    """Suspend an account: it can no longer sign in and every session is revoked."""
    _require_admin(actor)
    with unit_of_work() as db:
        user = _user(db, user_id)
        if user.id == actor.user_id:
            raise Forbidden(_l("You cannot deactivate your own account."))
        if user.status is AccountStatus.DEACTIVATED:
            raise Conflict(_l("This account is already deactivated."))
        user.status = AccountStatus.DEACTIVATED
        revoke_all_sessions(db, user.id)
        record(db, actor.user_id, "user.deactivated", "user", user.id)
    return user


def reactivate_user(actor: Viewer, user_id: int) -> User:
    """Lift a deactivation."""
    _require_admin(actor)
    with unit_of_work() as db:
        user = _user(db, user_id)
        if user.status is not AccountStatus.DEACTIVATED:
            raise Conflict(_l("Only deactivated accounts can be reactivated."))
        if user.is_erased:
            raise Conflict(_l("This person's data was erased; an erased account cannot be reactivated."))
        user.status = AccountStatus.ACTIVE
        record(db, actor.user_id, "user.reactivated", "user", user.id)
    return user


def create_group(actor: Viewer, *, name: str, description: str, owner_organisation_id: int | None = None) -> SharingGroup:
    """Create a sharing group, optionally owned by an organisation (whose focal points are told of changes)."""
    _require_admin(actor)
    with unit_of_work() as db:
        if db.scalar(select(SharingGroup.id).where(func.lower(SharingGroup.name) == name.strip().lower())):
            raise Conflict(_l("A sharing group with this name already exists."))
        if owner_organisation_id is not None:
            owner = db.get(Organisation, owner_organisation_id)
            if owner is None or not owner.verified:
                raise ServiceError(_l("Choose the owner from the list of verified organisations."))
        group = SharingGroup(name=name.strip(), description=description.strip(), owner_organisation_id=owner_organisation_id)
        db.add(group)
        db.flush()
        record(db, actor.user_id, "group.created", "sharing_group", group.id, name=group.name,
               owner_organisation_id=owner_organisation_id)
    return group
