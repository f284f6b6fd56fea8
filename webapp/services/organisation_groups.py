"""Sharing groups created by their owners: the focal points of the owner organisation (who is in a group, for
owners and admins alike: services/group_membership.py). Rules: policy/organisations.py."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from webapp.db import unit_of_work
from webapp.models import SharingGroup
from webapp.policy import Viewer
from webapp.policy import organisations as rules
from webapp.services import Conflict, Forbidden, ServiceError
from webapp.services.audit import record

def create_owned_group(actor: Viewer, organisation_id: int, *, name: str, description: str) -> SharingGroup:
    """A focal point creates a sharing group owned by their organisation."""
    name, description = (name or "").strip(), (description or "").strip()
    if not name or len(name) > 120:
        raise ServiceError(_l("Give the group a name of at most 120 characters."))
    if len(description) > 500:
        raise ServiceError(_l("The description is too long (at most 500 characters)."))
    if not rules.can_create_group_for(actor, organisation_id):
        raise Forbidden(_l("You can only create sharing groups for your own organisation."))
    with unit_of_work() as db:
        if db.scalar(select(SharingGroup.id).where(func.lower(SharingGroup.name) == name.lower())):
            raise Conflict(_l("A sharing group with this name already exists."))
        group = SharingGroup(name=name, description=description, owner_organisation_id=organisation_id)
        db.add(group)
        db.flush()
        record(db, actor.user_id, "group.created", "sharing_group", group.id, name=name,
               owner_organisation_id=organisation_id, by_focal_point=True)
    return group
