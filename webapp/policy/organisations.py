"""Access rules of organisations and people: focal points, profiles, the directory (DESIGN.md §7).

A focal point is a member an admin named for their own organisation. Every power below holds for the focal
point's own organisation only, and only while their account and organisation are verified (a Viewer of anyone
else never carries `is_focal_point`). Admins keep every power over people (§2.6: people, not content).

The directory, organisation pages and their public items are open to everyone: a newcomer from a developing
country sees who is already here before registering (Call ¶15). People — person pages, focal points' names — are
shown to verified members only: a name is personal data, and the community is who exchanges with whom.
"""
from __future__ import annotations

from sqlalchemy import and_
from sqlalchemy.sql.elements import ColumnElement

from webapp.models import AccountStatus, ClearanceProposal, Organisation, SharingGroup, Tier, User
from webapp.policy import Viewer, can_administer, can_change_clearance, read_rule


def is_focal_point_of(viewer: Viewer, organisation_id: int | None) -> bool:
    """Is the viewer a (verified) focal point of this organisation?"""
    return viewer.is_focal_point and organisation_id is not None and viewer.organisation_id == organisation_id


# ---------------------------------------------------------------- the directory: verified, unmerged organisations


def _listed_clause(viewer: Viewer) -> ColumnElement[bool]:
    return and_(Organisation.verified.is_(True), Organisation.merged_into_id.is_(None))


def is_listed(viewer: Viewer, organisation: Organisation) -> bool:
    """Verified organisations that were not merged away are in the directory and have a page, for everyone."""
    return organisation.verified and organisation.merged_into_id is None


read_rule(Organisation, clause=_listed_clause, predicate=is_listed)


def can_see_people(viewer: Viewer) -> bool:
    """Person pages and focal points' names: verified members only."""
    return viewer.is_verified


def person_is_listed(person: User) -> bool:
    """Only active people of listed organisations have a person page (pending, refused and leavers do not)."""
    return person.status is AccountStatus.ACTIVE and is_listed(Viewer(), person.organisation)


# ---------------------------------------------------------------- focal points and their powers


def can_manage_focal_points(viewer: Viewer) -> bool:
    """Only admins grant and revoke focal points."""
    return can_administer(viewer)


def can_verify_person(viewer: Viewer, person: User) -> bool:
    """Admins, and the focal points of the person's organisation, verify (and refuse) a registration."""
    return can_administer(viewer) or is_focal_point_of(viewer, person.organisation_id)


can_refuse_registration = can_verify_person


def can_deactivate_person(viewer: Viewer, person: User) -> bool:
    """Admins, and the focal points of the person's organisation, deactivate leavers — never themselves."""
    if person.id == viewer.user_id:
        return False
    return can_administer(viewer) or is_focal_point_of(viewer, person.organisation_id)


def can_manage_organisation_page(viewer: Viewer, organisation_id: int) -> bool:
    """The focal points' page of an organisation (pending colleagues, people, profile, groups): its focal points."""
    return is_focal_point_of(viewer, organisation_id)


def can_edit_profile(viewer: Viewer, organisation: Organisation) -> bool:
    """The profile (description, website): admins and the organisation's focal points."""
    return can_administer(viewer) or is_focal_point_of(viewer, organisation.id)


def can_edit_organisation(viewer: Viewer) -> bool:
    """Name, stakeholder type and country, and merging duplicates: admins only (they decide what an organisation
    is; a focal point describing it cannot turn a company into a state)."""
    return can_administer(viewer)


def merge_refusal(duplicate: Organisation, target: Organisation) -> str | None:
    """Why `duplicate` cannot be merged into `target`, or None. Used by the service and the form."""
    if duplicate.id == target.id:
        return "self"
    if duplicate.merged_into_id is not None or target.merged_into_id is not None:
        return "merged"
    return None


def can_propose_clearance(viewer: Viewer, person: User) -> bool:
    """Focal points propose clearances for colleagues (never for themselves); an admin decides."""
    return person.id != viewer.user_id and is_focal_point_of(viewer, person.organisation_id)


def can_decide_clearance_proposal(viewer: Viewer, proposal: ClearanceProposal, person: User) -> bool:
    """Admins grant or decline a proposal, under the rule that they never raise their own clearance."""
    return can_change_clearance(viewer, person, proposal.clearance)


# ---------------------------------------------------------------- sharing groups of the organisation


def manages_group(viewer: Viewer, group: SharingGroup) -> bool:
    """A group's owners — the focal points of its owner organisation — manage its members."""
    return is_focal_point_of(viewer, group.owner_organisation_id)


def can_create_group_for(viewer: Viewer, organisation_id: int) -> bool:
    """Focal points create sharing groups owned by their own organisation."""
    return is_focal_point_of(viewer, organisation_id)


def proposable_tiers() -> list[Tier]:
    """The clearances a focal point may propose (public is no clearance: every account reads it)."""
    return [Tier.COMMUNITY, Tier.RESTRICTED, Tier.CONFIDENTIAL]
