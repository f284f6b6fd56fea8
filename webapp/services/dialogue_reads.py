"""Reads: every view of restricted or confidential dialogue material leaves an audit row (DESIGN.md §1), and a
person's read mark per thread ("new posts since your last visit")."""
from __future__ import annotations

from sqlalchemy import case
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from webapp.db import unit_of_work
from webapp.models import ThreadRead, Tier, utcnow
from webapp.policy import Viewer
from webapp.services.audit import record


def record_read(actor: Viewer, object_type: str, object_id: int, tier: Tier, how: str = "page") -> None:
    """Record that `actor` read an item at restricted tier or above (lower tiers are not logged)."""
    if tier < Tier.RESTRICTED:
        return
    with unit_of_work() as db:
        record(db, actor.user_id, f"{object_type}.read", object_type, object_id, tier=tier.code, how=how)


def mark_thread_read(actor: Viewer, thread_id: int, last_post_id: int) -> None:
    """Remember the newest post of a thread the actor has seen (it never moves back); nothing for anonymous readers."""
    if actor.user_id is None or not last_post_id:
        return
    with unit_of_work() as db:
        # One statement whatever the state (first visit or not), so a thread page costs the same every time.
        insert = postgresql_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
        stmt = insert(ThreadRead).values(user_id=actor.user_id, thread_id=thread_id, last_post_id=last_post_id,
                                         read_at=utcnow())
        newer = stmt.excluded.last_post_id > ThreadRead.last_post_id
        db.execute(stmt.on_conflict_do_update(
            index_elements=[ThreadRead.user_id, ThreadRead.thread_id],
            set_={"last_post_id": case((newer, stmt.excluded.last_post_id), else_=ThreadRead.last_post_id),
                  "read_at": case((newer, stmt.excluded.read_at), else_=ThreadRead.read_at)}))
