"""Data-protection rights (issue 14): who may erase a person, who answers for their contributions, and who may read
a personal data export.

Erasure is the person's own right: they erase themselves, or an administrator acts on their documented request.
Nobody else asks on their behalf — not their focal point. What the person wrote is their organisation's: it stays,
credited to "a former member of ORGANISATION", unless the person (or the administrator acting on their request)
asks that it be deleted *and* the organisation agrees. The organisation answers through its focal points; an
administrator may record an agreement the organisation gave in writing (the note says where).
"""
from __future__ import annotations

from sqlalchemy import false, true

from webapp.models import DataExport, ErasureRequest, User
from webapp.policy import Viewer, read_rule
from webapp.policy.organisations import is_focal_point_of


def can_erase_person(viewer: Viewer, target: User) -> bool:
    """A person may erase themselves; an administrator acts on a person's request."""
    return viewer.user_id is not None and (viewer.user_id == target.id or viewer.is_admin)


def can_delete_contributions_on_erasure(viewer: Viewer) -> bool:
    """Deleting an erased person's contributions (instead of crediting their organisation) is an administrator's
    act, recorded with the organisation's agreement; a person erasing themselves keeps them credited."""
    return viewer.is_admin


def can_ask_contribution_deletion(viewer: Viewer, target: User) -> bool:
    """Whoever may erase the person may ask, with the erasure, that their contributions be deleted."""
    return can_erase_person(viewer, target)


def can_decide_erasure_request(viewer: Viewer, request: ErasureRequest) -> bool:
    """The organisation answers: a focal point of the person's organisation, or an administrator recording the
    organisation's written agreement. A focal point of another organisation is told the request does not exist."""
    return viewer.is_admin or is_focal_point_of(viewer, request.organisation_id)


def can_see_erasure_requests(viewer: Viewer) -> bool:
    """The list of requests: focal points (their organisation's) and administrators (all)."""
    return viewer.is_admin or viewer.is_focal_point


def _erasure_request_clause(viewer: Viewer):
    if viewer.is_admin:
        return true()
    if viewer.is_focal_point and viewer.organisation_id is not None:
        return ErasureRequest.organisation_id == viewer.organisation_id
    return false()


read_rule(ErasureRequest, clause=_erasure_request_clause, predicate=can_decide_erasure_request)


def can_download_export(viewer: Viewer, export: DataExport) -> bool:
    """Only the person an export is about may fetch it — not an administrator, not their focal point."""
    return viewer.user_id is not None and export.user_id == viewer.user_id


def can_delete_own_item(viewer: Viewer, author_id: int | None) -> bool:
    """The originator deletes their own submission or post for good."""
    return viewer.user_id is not None and viewer.is_verified and author_id == viewer.user_id


def can_delete_on_request(viewer: Viewer) -> bool:
    """An administrator deletes an item on a documented request (the reason is recorded, never the content)."""
    return viewer.is_admin


def can_set_review_date(viewer: Viewer, author_id: int | None) -> bool:
    """The originator decides an item's review: keep it (a new date), retire it or delete it."""
    return can_delete_own_item(viewer, author_id)


def can_list_lapsed_items(viewer: Viewer) -> bool:
    """Focal points (their organisation's items) and administrators see the items past their review date."""
    return viewer.is_admin or viewer.is_focal_point
