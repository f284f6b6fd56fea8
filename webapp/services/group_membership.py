"""Who is in a sharing group: the one service of both paths that change it (DESIGN.md §2.6, issue 11 §3).

The group's owners (the focal points of its owner organisation) manage its members from the group's page; admins
manage every group from the admin pages. The same four acts serve both, `as_admin` saying which path: an owner
acting on a group she does not own finds no group (404, it does not exist for her); an admin never adds herself or
her own organisation (she would read more), and the owners are told of every change she makes. Every change is
audited with who acted and how.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from webapp import policy
from webapp.db import unit_of_work
from webapp.models import AccountStatus, Organisation, SharingGroup, User, organisation_focal_points
from webapp.policy import Viewer
from webapp.policy import organisations as rules
from webapp.policy.groups import can_add_to_group
from webapp.services import Conflict, Forbidden, NotFound
from webapp.services.audit import record
from webapp.services.notifications import notify_group_owners


def group_owners(db: Session, group: SharingGroup) -> list[User]:
    """The group's owners: the active focal points of its (verified) owner organisation."""
    if group.owner_organisation_id is None:
        return []
    return list(db.scalars(
        select(User)
        .join(Organisation, Organisation.id == User.organisation_id)
        .join(organisation_focal_points, and_(organisation_focal_points.c.user_id == User.id,
                                              organisation_focal_points.c.organisation_id == User.organisation_id))
        .where(User.organisation_id == group.owner_organisation_id,
               User.status == AccountStatus.ACTIVE, Organisation.verified.is_(True))
        .order_by(User.name)
    ))


def _group(db: Session, actor: Viewer, group_id: int, as_admin: bool) -> SharingGroup:
    if as_admin and not policy.can_administer(actor):
        raise Forbidden(_l("Only administrators can do this."))
    group = db.get(SharingGroup, group_id)
    # A group the actor does not own does not exist for her on the owners' path (its read rule).
    if group is None or (not as_admin and not rules.manages_group(actor, group)):
        raise NotFound(_l("No such sharing group."))
    return group


def _refuse_own_gain(actor: Viewer, as_admin: bool, *, user_id: int | None = None,
                     organisation_id: int | None = None) -> None:
    # Admins manage people, not content (DESIGN.md §2.6): joining a group would let her read its items.
    if as_admin and not can_add_to_group(actor, user_id=user_id, organisation_id=organisation_id):
        raise Forbidden(_l("Administrators manage people, not content: you cannot add yourself or your own "
                           "organisation to a sharing group. Ask another administrator; the group's owners are "
                           "told of every change."))


def _changed(db: Session, actor: Viewer, group: SharingGroup, as_admin: bool, action: str, member: str,
             **details) -> None:
    """Audit the change; an admin's change is told to the owners (in-app and by e-mail), never to herself."""
    record(db, actor.user_id, f"group.{action}", "sharing_group", group.id,
           **details, **({} if as_admin else {"by_focal_point": True}))
    if as_admin:
        acting = db.get(User, actor.user_id) if actor.user_id is not None else None
        owners = [owner for owner in group_owners(db, group) if owner.id != actor.user_id]
        notify_group_owners(db, owners, f"group_{action}", group, actor_name=acting.name if acting else "",
                            member=member)


def add_user(actor: Viewer, group_id: int, user_id: int, *, as_admin: bool = False) -> None:
    """Add a person to a sharing group."""
    with unit_of_work() as db:
        group = _group(db, actor, group_id, as_admin)
        user = db.get(User, user_id)
        if user is None:
            raise NotFound(_l("No such user."))
        _refuse_own_gain(actor, as_admin, user_id=user.id)
        if user in group.users:
            raise Conflict(_l("This person is already in the group."))
        group.users.append(user)
        _changed(db, actor, group, as_admin, "user_added", f"{user.name} ({user.organisation.name})", user_id=user.id)


def remove_user(actor: Viewer, group_id: int, user_id: int, *, as_admin: bool = False) -> None:
    """Remove a person from a sharing group."""
    with unit_of_work() as db:
        group = _group(db, actor, group_id, as_admin)
        user = db.get(User, user_id)
        if user is None:
            raise NotFound(_l("No such user."))
        if user not in group.users:
            raise Conflict(_l("This person is not in the group."))
        group.users.remove(user)
        _changed(db, actor, group, as_admin, "user_removed", f"{user.name} ({user.organisation.name})",
                 user_id=user.id)


def add_organisation(actor: Viewer, group_id: int, organisation_id: int, *, as_admin: bool = False) -> None:
    """Add a whole organisation to a sharing group (an owner only adds organisations she may see listed)."""
    with unit_of_work() as db:
        group = _group(db, actor, group_id, as_admin)
        organisation = db.get(Organisation, organisation_id)
        if organisation is None or (not as_admin and not rules.is_listed(actor, organisation)):
            raise NotFound(_l("No such organisation."))
        _refuse_own_gain(actor, as_admin, organisation_id=organisation.id)
        if organisation in group.organisations:
            raise Conflict(_l("This organisation is already in the group."))
        group.organisations.append(organisation)
        _changed(db, actor, group, as_admin, "organisation_added", organisation.name, organisation_id=organisation.id)


def remove_organisation(actor: Viewer, group_id: int, organisation_id: int, *, as_admin: bool = False) -> None:
    """Remove an organisation from a sharing group."""
    with unit_of_work() as db:
        group = _group(db, actor, group_id, as_admin)
        organisation = db.get(Organisation, organisation_id)
        if organisation is None:
            raise NotFound(_l("No such organisation."))
        if organisation not in group.organisations:
            raise Conflict(_l("This organisation is not in the group."))
        group.organisations.remove(organisation)
        _changed(db, actor, group, as_admin, "organisation_removed", organisation.name,
                 organisation_id=organisation.id)
