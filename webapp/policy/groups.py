"""Access rules of sharing groups (DESIGN.md §2.6: admins manage people, not content).

A group's owners are the focal points of its owner organisation (policy/organisations.py). An admin changes who is in a group, but
never in a way that lets her read more: adding herself, or her own organisation, is refused. Owners are told of
every change an admin makes. The group itself (its name, owner and roster) is readable by its owners and by its
members (in it themselves or through their organisation: issue 11 §3); for anyone else it does not exist.
"""
from __future__ import annotations

from sqlalchemy import false, or_
from sqlalchemy.sql.elements import ColumnElement

from webapp.models import SharingGroup
from webapp.policy import Viewer, can_administer, read_rule


def owns_group(viewer: Viewer, group: SharingGroup) -> bool:
    """Is the viewer one of the group's owners (a focal point of its owner organisation)?"""
    return (
        viewer.is_verified and viewer.is_focal_point and group.owner_organisation_id is not None
        and viewer.organisation_id == group.owner_organisation_id
    )


def is_group_member(viewer: Viewer, group: SharingGroup) -> bool:
    """Is the viewer in the group (herself, or through her organisation)? Viewer.group_ids holds exactly that."""
    return viewer.is_verified and group.id in viewer.group_ids


def can_read_group(viewer: Viewer, group: SharingGroup) -> bool:
    """Who sees a group's roster: its owners and its members."""
    return owns_group(viewer, group) or is_group_member(viewer, group)


def _readable_group_clause(viewer: Viewer) -> ColumnElement[bool]:
    clauses = []
    if viewer.is_verified and viewer.is_focal_point and viewer.organisation_id is not None:
        clauses.append(SharingGroup.owner_organisation_id == viewer.organisation_id)
    if viewer.is_verified and viewer.group_ids:
        clauses.append(SharingGroup.id.in_(sorted(viewer.group_ids)))
    return or_(*clauses) if clauses else false()


read_rule(SharingGroup, clause=_readable_group_clause, predicate=can_read_group)


def membership_change_gains_reading(viewer: Viewer, *, user_id: int | None = None,
                                    organisation_id: int | None = None) -> bool:
    """Would adding this person or organisation to a group let the viewer read what the group may read?"""
    if user_id is not None and user_id == viewer.user_id:
        return True
    return organisation_id is not None and organisation_id == viewer.organisation_id


def can_add_to_group(viewer: Viewer, *, user_id: int | None = None, organisation_id: int | None = None) -> bool:
    """Admins add people and organisations to groups, never themselves or their own organisation."""
    return can_administer(viewer) and not membership_change_gains_reading(
        viewer, user_id=user_id, organisation_id=organisation_id
    )
