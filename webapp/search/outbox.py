"""Writing to the search outbox. Services call enqueue() inside their unit_of_work, so a rolled-back
transaction indexes nothing and a committed one is never forgotten."""
from __future__ import annotations

from flask import g, has_app_context
from sqlalchemy.orm import Session

from webapp.models.search_outbox import SearchOutboxEntry


def enqueue(db: Session, kind: str, object_id: int) -> None:
    """Ask for (kind, object_id) to be re-indexed (or removed) after this transaction commits."""
    db.add(SearchOutboxEntry(kind=kind, object_id=object_id))
    if has_app_context():
        g.search_outbox_pending = True  # the after-commit hook applies the outbox only when something was queued
