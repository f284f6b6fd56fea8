"""Changes of audience (DESIGN.md rule 8): what a change of tier, sharing group or owner organisation may never do.

An audience is the triple the tier rule reads: (tier, sharing group, originating organisation). The domain modules
(archive.py, dialogue.py) decide who the originator of an item is and who its authors are; this module holds the
one rule they share: only the originator lowers, widens or regroups; anyone else may only raise the tier of the
same group; and no change ever takes the item away from its authors or its originating organisation.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable

from webapp.models import Tier
from webapp.policy import Viewer, tier_allows

Audience = tuple[Tier, int | None, int | None]  # (tier, sharing group id, originating organisation id)


class AudienceRefusal(enum.Enum):
    """Why a change of audience is refused (the services turn each into a message and a status)."""

    NOT_ALLOWED = "not_allowed"  # the actor may not change this item's audience at all
    ONLY_ORIGINATOR = "only_originator"  # lowering, widening, or setting/changing/removing the group
    LOCKS_OUT_AUTHOR = "locks_out_author"  # an author who reads it now would no longer
    LOCKS_OUT_ORGANISATION = "locks_out_organisation"  # the originating organisation would lose its reach


def organisation_reaches(organisation_id: int | None, audience: Audience) -> bool:
    """Does the tier rule open `audience` to `organisation_id` as such (leaving clearance and groups aside)?"""
    tier, group_id, owner_id = audience
    if tier is Tier.PUBLIC:
        return True
    own = organisation_id is not None and owner_id == organisation_id
    if tier is Tier.CONFIDENTIAL:
        return group_id is None and own
    return group_id is None or own


def only_raises(old: Audience, new: Audience) -> bool:
    """The one change a non-originator may make: the same group and organisation, at the same tier or higher."""
    return new[1] == old[1] and new[2] == old[2] and new[0] >= old[0]


def audience_change_refusal(
    actor: Viewer, *, originator: bool, old: Audience, new: Audience, authors: Iterable[Viewer]
) -> AudienceRefusal | None:
    """Why `actor` may not move an item from audience `old` to `new` (None: allowed).

    `authors` are the people whose own writing the item holds (the author of a submission, the creator of a
    round, everyone who posted in a thread); whoever reads it now keeps reading it, unless it is their own act.
    """
    if not originator and not only_raises(old, new):
        return AudienceRefusal.ONLY_ORIGINATOR
    for author in authors:
        if author.user_id == actor.user_id:
            continue  # the actor's own reach is the actor's choice
        if tier_allows(author, *old) and not tier_allows(author, *new):
            return AudienceRefusal.LOCKS_OUT_AUTHOR
    if not originator and organisation_reaches(old[2], old) and not organisation_reaches(old[2], new):
        return AudienceRefusal.LOCKS_OUT_ORGANISATION
    return None
