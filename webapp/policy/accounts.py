"""Access rule of accounts as notification targets: a person reads their own account, admins read every account,
and the focal points of an organisation read the accounts of its people (they verify and refuse registrations).

Registration and verification notifications point at a User; listing them re-checks this rule, so an admin who
loses the role stops seeing the registrations they were told of.
"""
from __future__ import annotations

from sqlalchemy import false, or_, true
from sqlalchemy.sql.elements import ColumnElement

from webapp.models import User
from webapp.policy import Viewer, read_rule


def _account_clause(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.user_id is None:
        return false()
    if viewer.is_admin:
        return true()
    if viewer.is_focal_point and viewer.organisation_id is not None:
        return or_(User.id == viewer.user_id, User.organisation_id == viewer.organisation_id)
    return User.id == viewer.user_id


def _account_predicate(viewer: Viewer, user: User) -> bool:
    if viewer.user_id is None:
        return False
    colleague_of_focal_point = (viewer.is_focal_point and viewer.organisation_id is not None
                                and user.organisation_id == viewer.organisation_id)
    return viewer.is_admin or user.id == viewer.user_id or colleague_of_focal_point


read_rule(User, clause=_account_clause, predicate=_account_predicate)
