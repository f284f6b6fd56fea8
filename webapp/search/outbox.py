"""Writing to the search outbox. Services call enqueue() inside their unit_of_work, so a rolled-back
transaction indexes nothing and a committed one is never forgotten.

A backend whose index lives in the database (PostgreSQL) writes the documents of the entries queued in a
transaction when that transaction commits, inside it (`index_in_transaction`), and drops the entries; every
node then sees the change on its next request. Otherwise the entries are applied after commit (outbox_worker).
"""
from __future__ import annotations

import logging

from flask import current_app, g, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from webapp.models.search_outbox import SearchOutboxEntry

log = logging.getLogger(__name__)

_PENDING = "search_outbox_entries"


def enqueue(db: Session, kind: str, object_id: int) -> None:
    """Ask for (kind, object_id) to be re-indexed (or removed) after this transaction commits."""
    entry = SearchOutboxEntry(kind=kind, object_id=object_id)
    db.add(entry)
    db.info.setdefault(_PENDING, []).append(entry)
    if has_app_context():
        g.search_outbox_pending = True  # the after-commit hook applies the outbox only when something was queued


@event.listens_for(Session, "before_commit")
def _index_in_transaction(db: Session) -> None:
    entries = db.info.pop(_PENDING, None)
    if not entries or not has_app_context():
        return
    app = current_app._get_current_object()
    if not app.config.get("SEARCH_APPLY_AFTER_COMMIT", True):
        return  # indexing is left to `flask search apply` (tests assert the queued entries)
    from webapp.search import engine

    if engine.backend(app).index_in_transaction(db, entries):
        g.search_outbox_pending = False  # nothing left for the after-commit applier


@event.listens_for(Session, "after_rollback")
def _forget_pending(db: Session) -> None:
    db.info.pop(_PENDING, None)
