"""The only home of access rules (DESIGN.md §2).

Every read path asks here: predicates (`can_view(viewer, obj)`, `can_*`) for one object, and
`visible(stmt, viewer, Entity)` as a query filter for lists, counts, facets, search, feeds and exports.
The viewer is always passed explicitly. Domain rules live beside this file, one module per domain,
and register themselves with `read_rule` so that `visible` and `can_view` have one dispatch table.
Fail closed: an unknown entity, an empty group list or an error while deciding never grants access.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, false, literal, or_, select, union
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from webapp.models import (
    AccountStatus,
    Tier,
    User,
    organisation_focal_points,
    sharing_group_organisations,
    sharing_group_users,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Viewer:
    """Who is asking, reduced to the facts access rules need. Built once per request."""

    user_id: int | None = None
    organisation_id: int | None = None
    stakeholder_type: str | None = None
    clearance: Tier = Tier.PUBLIC  # effective clearance: PUBLIC for anonymous and pending users
    group_ids: frozenset[int] = field(default_factory=frozenset)
    is_verified: bool = False
    is_facilitator: bool = False
    is_admin: bool = False
    # DESIGN §3.12: cleared, facilitator or admin account without an enrolled second factor; it reads at
    # community level and acts as a member until it enrols (the banner links to the set-up).
    second_factor_missing: bool = False
    # A focal point of their own organisation (policy/organisations.py); only ever for verified accounts.
    is_focal_point: bool = False

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None


ANONYMOUS = Viewer()


def viewer_for(user: User | None, db: Session) -> Viewer:
    """Build the Viewer for a signed-in user (or ANONYMOUS); pending users read only public material."""
    if user is None or getattr(user, "is_anonymous", True):
        return ANONYMOUS
    verified = user.status is AccountStatus.ACTIVE and user.organisation.verified
    if not verified:  # groups and the focal-point role act only for verified accounts
        return _viewer_of(user, frozenset(), False)
    # One query per request for everything the Viewer needs beyond the user row: the groups (directly and through
    # the organisation) and whether the user is a focal point of their organisation (marked by what = "focal").
    rows = db.execute(union(
        select(sharing_group_users.c.group_id.label("id"), literal("group").label("what"))
        .where(sharing_group_users.c.user_id == user.id),
        select(sharing_group_organisations.c.group_id, literal("group"))
        .where(sharing_group_organisations.c.organisation_id == user.organisation_id),
        select(organisation_focal_points.c.user_id, literal("focal")).where(
            organisation_focal_points.c.user_id == user.id,
            organisation_focal_points.c.organisation_id == user.organisation_id,
        ),
    )).all()
    group_ids = frozenset(row_id for row_id, what in rows if what == "group")
    focal_point = any(what == "focal" for _row_id, what in rows)
    return _viewer_of(user, group_ids, focal_point)


def viewers_for(users: list[User], db: Session) -> dict[int, Viewer]:
    """The Viewer of each user, keyed by user id, as viewer_for builds it, in three queries for all of them."""
    ids = [user.id for user in users]
    org_ids = {user.organisation_id for user in users}
    direct: dict[int, set[int]] = {}
    via_org: dict[int, set[int]] = {}
    focal_points: set[tuple[int, int]] = set()
    if ids:
        for group_id, user_id in db.execute(
            select(sharing_group_users.c.group_id, sharing_group_users.c.user_id)
            .where(sharing_group_users.c.user_id.in_(ids))
        ):
            direct.setdefault(user_id, set()).add(group_id)
        for group_id, org_id in db.execute(
            select(sharing_group_organisations.c.group_id, sharing_group_organisations.c.organisation_id)
            .where(sharing_group_organisations.c.organisation_id.in_(sorted(org_ids)))
        ):
            via_org.setdefault(org_id, set()).add(group_id)
        focal_points = set(db.execute(
            select(organisation_focal_points.c.user_id, organisation_focal_points.c.organisation_id)
            .where(organisation_focal_points.c.user_id.in_(ids))
        ).all())
    viewers = {}
    for user in users:
        verified = user.status is AccountStatus.ACTIVE and user.organisation.verified
        group_ids = direct.get(user.id, set()) | via_org.get(user.organisation_id, set())
        viewers[user.id] = _viewer_of(user, frozenset(group_ids) if verified else frozenset(),
                                      verified and (user.id, user.organisation_id) in focal_points)
    return viewers


def _viewer_of(user: User, group_ids: frozenset[int], focal_point: bool) -> Viewer:
    verified = user.status is AccountStatus.ACTIVE and user.organisation.verified
    # Clearance needs a second factor (DESIGN §3.12): until enrolled, the account is capped at community level,
    # and the facilitator and admin roles are withheld (an admin could otherwise raise clearances, a facilitator
    # moderate and read what a round's facilitators read). Sharing groups stay: below confidential they only
    # narrow, and confidential is out of reach at community clearance anyway.
    missing = user.requires_second_factor and not user.has_second_factor
    clearance = user.clearance if verified else Tier.PUBLIC
    if missing:
        clearance = min(clearance, Tier.COMMUNITY)
    return Viewer(
        user_id=user.id,
        organisation_id=user.organisation_id,
        stakeholder_type=user.organisation.stakeholder_type_code,
        clearance=clearance,
        group_ids=group_ids,
        is_verified=verified,
        # Roles only act for verified accounts: a pending facilitator is still pending.
        is_facilitator=verified and user.is_facilitator and not missing,
        is_admin=verified and user.is_admin and not missing,
        second_factor_missing=missing,
        is_focal_point=focal_point and not missing,
    )


# ---------------------------------------------------------------- tiers: the core rule


def tier_allows(
    viewer: Viewer, tier: Tier, sharing_group_id: int | None, author_organisation_id: int | None
) -> bool:
    """The tier rule for one item (DESIGN.md §2 table), as a Python predicate."""
    if tier > viewer.clearance:
        return False
    if tier is Tier.PUBLIC:
        return True
    if not viewer.is_verified:
        return False
    in_author_org = viewer.organisation_id is not None and viewer.organisation_id == author_organisation_id
    in_group = sharing_group_id is not None and sharing_group_id in viewer.group_ids
    if tier is Tier.CONFIDENTIAL:
        return in_group if sharing_group_id is not None else in_author_org
    # Below confidential a sharing group narrows the audience to the group and the author's organisation.
    return sharing_group_id is None or in_group or in_author_org


def tier_clause(
    viewer: Viewer, *, tier: Any, sharing_group_id: Any, author_organisation_id: Any
) -> ColumnElement[bool]:
    """The same tier rule as a SQL condition over the given columns."""
    if viewer.clearance is Tier.PUBLIC or not viewer.is_verified:
        return tier == Tier.PUBLIC
    in_author_org = (
        author_organisation_id == viewer.organisation_id if viewer.organisation_id is not None else false()
    )
    # in_() of an empty list compiles to a false condition: an empty group list never means "no filter".
    in_group = sharing_group_id.in_(sorted(viewer.group_ids)) if viewer.group_ids else false()
    confidential_ok = and_(
        tier == Tier.CONFIDENTIAL,
        or_(and_(sharing_group_id.is_(None), in_author_org), and_(sharing_group_id.is_not(None), in_group)),
    )
    below_ok = and_(tier < Tier.CONFIDENTIAL, or_(sharing_group_id.is_(None), in_group, in_author_org))
    return and_(tier <= viewer.clearance, or_(tier == Tier.PUBLIC, below_ok, confidential_ok))


def audience_key(viewer: Viewer) -> tuple:
    """The reader's audience class: exactly the facts tier_clause and tier_allows read, nothing else. Two viewers
    with the same key get the same condition from every tier rule, so counts of published or archived content
    (whose read rules are the tier rule alone) may be shared between them (webapp/counts/)."""
    if viewer.clearance is Tier.PUBLIC or not viewer.is_verified:
        return ("public",)
    return (viewer.clearance.code, viewer.organisation_id, tuple(sorted(viewer.group_ids)))


def viewer_key(viewer: Viewer) -> tuple:
    """Every fact of the viewer, for figures whose rules also read the person (own items, roles, moderation)."""
    return (viewer.user_id, viewer.organisation_id, viewer.stakeholder_type, viewer.clearance.code,
            tuple(sorted(viewer.group_ids)), viewer.is_verified, viewer.is_facilitator, viewer.is_admin,
            viewer.second_factor_missing, viewer.is_focal_point)


# ---------------------------------------------------------------- the dispatch table


@dataclass(frozen=True)
class ReadRule:
    """How one entity is read: a SQL condition and the equivalent Python predicate."""

    clause: Callable[[Viewer], ColumnElement[bool]]
    predicate: Callable[[Viewer, Any], bool]


_READ_RULES: dict[type, ReadRule] = {}


def read_rule(entity: type, *, clause: Callable, predicate: Callable) -> None:
    """Register the read rule of an entity (called by the domain modules of this package)."""
    _READ_RULES[entity] = ReadRule(clause=clause, predicate=predicate)


def _rule_for(entity: type) -> ReadRule | None:
    for klass in entity.__mro__:
        if klass in _READ_RULES:
            return _READ_RULES[klass]
    return None


def read_clause(viewer: Viewer, entity: type) -> ColumnElement[bool]:
    """The SQL condition for rows of `entity` that `viewer` may read; false for unknown entities."""
    rule = _rule_for(entity)
    if rule is None:
        log.error("no read rule for %s: denying", entity)
        return false()
    return rule.clause(viewer)


def visible(stmt: Select, viewer: Viewer, entity: type) -> Select:
    """Restrict a select over `entity` to rows `viewer` may read. Use it in every content query."""
    return stmt.where(read_clause(viewer, entity))


def can_view(viewer: Viewer, obj: Any) -> bool:
    """May `viewer` read `obj`? Any error while deciding denies."""
    if obj is None:
        return False
    rule = _rule_for(type(obj))
    if rule is None:
        log.error("no read rule for %s: denying", type(obj))
        return False
    try:
        return bool(rule.predicate(viewer, obj))
    except Exception:  # fail closed
        log.exception("error while deciding access to %r: denying", obj)
        return False


# ---------------------------------------------------------------- people and administration


def can_post(viewer: Viewer) -> bool:
    """Only verified members of verified organisations contribute."""
    return viewer.is_verified


def can_administer(viewer: Viewer) -> bool:
    """Admin pages: verify, roles, clearance, groups, deactivation, audit log."""
    return viewer.is_admin


def can_change_clearance(viewer: Viewer, target: User, new_clearance: Tier) -> bool:
    """Admins set clearance, but never raise their own."""
    if not viewer.is_admin:
        return False
    if target.id == viewer.user_id and new_clearance > target.clearance:
        return False
    return True


def can_change_roles(viewer: Viewer, target: User) -> bool:
    """Only admins grant roles; an admin cannot remove their own admin role (someone must remain)."""
    return viewer.is_admin


def max_authoring_tier(viewer: Viewer) -> Tier:
    """The highest tier a viewer may give to something they write: their own clearance."""
    return viewer.clearance if viewer.is_verified else Tier.PUBLIC


def may_use_group(viewer: Viewer, group_id: int) -> bool:
    """Authors may only limit an item to a group they belong to."""
    return group_id in viewer.group_ids


# Domain rules register themselves with read_rule() at import.
from webapp.policy import archive  # noqa: E402,F401
from webapp.policy import dialogue  # noqa: E402,F401  (registers the dialogue read rules)
from webapp.policy import audit  # noqa: E402,F401  (registers the audit log's read rule)
from webapp.policy import groups  # noqa: E402,F401  (registers the sharing groups' read rule: their owners)
from webapp.policy import accounts  # noqa: E402,F401  (accounts as notification targets)
from webapp.policy import organisations  # noqa: E402,F401  (focal points, profiles, the directory)
from webapp.policy import data_rights  # noqa: E402,F401  (erasure requests: the organisation answers)
from webapp.policy import translations  # noqa: E402,F401  (translations of archive items)
