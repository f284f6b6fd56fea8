"""Admin actions on people: verification, roles, clearance, sharing groups, deactivation."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp import policy
from webapp.db import unit_of_work
from webapp.models import AccountStatus, Organisation, SharingGroup, Tier, User
from webapp.policy import Viewer
from webapp.services import Conflict, Forbidden, NotFound
from webapp.services.accounts import revoke_all_sessions
from webapp.services.audit import record


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


def _group(db: Session, group_id: int) -> SharingGroup:
    group = db.get(SharingGroup, group_id)
    if group is None:
        raise NotFound(_l("No such sharing group."))
    return group


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
    """Activate a pending account."""
    _require_admin(actor)
    with unit_of_work() as db:
        user = _user(db, user_id)
        if user.status is not AccountStatus.PENDING:
            raise Conflict(_l("Only pending accounts can be verified."))
        user.status = AccountStatus.ACTIVE
        record(db, actor.user_id, "user.verified", "user", user.id)
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
        user.status = AccountStatus.ACTIVE
        record(db, actor.user_id, "user.reactivated", "user", user.id)
    return user


def create_group(actor: Viewer, *, name: str, description: str) -> SharingGroup:
    """Create a sharing group."""
    _require_admin(actor)
    with unit_of_work() as db:
        if db.scalar(select(SharingGroup.id).where(func.lower(SharingGroup.name) == name.strip().lower())):
            raise Conflict(_l("A sharing group with this name already exists."))
        group = SharingGroup(name=name.strip(), description=description.strip())
        db.add(group)
        db.flush()
        record(db, actor.user_id, "group.created", "sharing_group", group.id, name=group.name)
    return group


def add_user_to_group(actor: Viewer, group_id: int, user_id: int) -> None:
    """Add a person to a sharing group."""
    _require_admin(actor)
    with unit_of_work() as db:
        group, user = _group(db, group_id), _user(db, user_id)
        if user in group.users:
            raise Conflict(_l("This person is already in the group."))
        group.users.append(user)
        record(db, actor.user_id, "group.user_added", "sharing_group", group.id, user_id=user.id)


def remove_user_from_group(actor: Viewer, group_id: int, user_id: int) -> None:
    """Remove a person from a sharing group."""
    _require_admin(actor)
    with unit_of_work() as db:
        group, user = _group(db, group_id), _user(db, user_id)
        if user not in group.users:
            raise Conflict(_l("This person is not in the group."))
        group.users.remove(user)
        record(db, actor.user_id, "group.user_removed", "sharing_group", group.id, user_id=user.id)


def add_organisation_to_group(actor: Viewer, group_id: int, organisation_id: int) -> None:
    """Add a whole organisation to a sharing group."""
    _require_admin(actor)
    with unit_of_work() as db:
        group, organisation = _group(db, group_id), _organisation(db, organisation_id)
        if organisation in group.organisations:
            raise Conflict(_l("This organisation is already in the group."))
        group.organisations.append(organisation)
        record(db, actor.user_id, "group.organisation_added", "sharing_group", group.id, organisation_id=organisation.id)


def remove_organisation_from_group(actor: Viewer, group_id: int, organisation_id: int) -> None:
    """Remove an organisation from a sharing group."""
    _require_admin(actor)
    with unit_of_work() as db:
        group, organisation = _group(db, group_id), _organisation(db, organisation_id)
        if organisation not in group.organisations:
            raise Conflict(_l("This organisation is not in the group."))
        group.organisations.remove(organisation)
        record(
            db, actor.user_id, "group.organisation_removed", "sharing_group", group.id, organisation_id=organisation.id
        )
