"""Audit of reads: every view of restricted or confidential dialogue material leaves an audit row (DESIGN.md §1)."""
from __future__ import annotations

from webapp.db import unit_of_work
from webapp.models import Tier
from webapp.policy import Viewer
from webapp.services.audit import record


def record_read(actor: Viewer, object_type: str, object_id: int, tier: Tier, how: str = "page") -> None:
    """Record that `actor` read an item at restricted tier or above (lower tiers are not logged)."""
    if tier < Tier.RESTRICTED:
        return
    with unit_of_work() as db:
        record(db, actor.user_id, f"{object_type}.read", object_type, object_id, tier=tier.code, how=how)
