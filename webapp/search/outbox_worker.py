"""Applying the search outbox to the index (DESIGN.md §4).

Order of events, and why nothing is lost:
1. take the index lock (one writer at a time; IndexBusy after a timeout),
2. read a batch of outbox entries, then load their objects — so what is indexed is at least as new as the commit
   that queued each entry,
3. commit the index (a failed write is cancelled, which releases the lock),
4. only then delete exactly the entries read. A worker killed before 4 leaves them queued; re-applying is
   idempotent. Entries queued meanwhile stay for the next run.
Runs after every commit that queued something (register_after_commit), opportunistically before a search when a
backlog exists, and from `flask search apply`.
"""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field

from flask import Flask, g
from sqlalchemy import delete, func, select, update

from webapp.db import register_after_commit
from webapp.models import SearchOutboxEntry
from webapp.search import engine, sources
from webapp.search.backend import IndexBusy

log = logging.getLogger(__name__)

BATCH_SIZE = 200


@dataclass
class ApplyReport:
    """What one run did."""

    applied: int = 0  # outbox entries applied and deleted
    indexed: int = 0
    removed: int = 0
    failed: list[str] = field(default_factory=list)  # "kind:id: error"
    busy: bool = False  # the lock was held by another writer for longer than the timeout


def _sessionmaker(app: Flask):
    return app.extensions["db_sessionmaker"]


def _build(db, entries) -> tuple[list, list[str], list[int], dict[int, str]]:
    """Documents to write, keys to remove, entry ids done, entry id → error for entries that failed."""
    by_kind: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for entry_id, kind, object_id in entries:
        by_kind[kind][object_id].append(entry_id)
    documents, removed, done, failed = [], [], [], {}
    for kind, objects in by_kind.items():
        source = sources.get(kind)
        if source is None:
            for ids in objects.values():
                failed.update((entry_id, f"no search source for kind {kind!r}") for entry_id in ids)
            continue
        try:
            loaded = source.load(db, list(objects))
        except Exception as error:  # keep the entries; report
            log.exception("loading %s objects for the search index failed", kind)
            for ids in objects.values():
                failed.update((entry_id, repr(error)[:500]) for entry_id in ids)
            continue
        for object_id, entry_ids in objects.items():
            obj = loaded.get(object_id)
            try:
                document = source.document(obj) if obj is not None else None
            except Exception as error:
                log.exception("building the search document of %s:%s failed", kind, object_id)
                failed.update((entry_id, repr(error)[:500]) for entry_id in entry_ids)
                continue
            if document is None:
                removed.append(f"{kind}:{object_id}")
            else:
                documents.append(document)
            done.extend(entry_ids)
    return documents, removed, done, failed


def _record_failures(app: Flask, failed: dict[int, str]) -> None:
    if not failed:
        return
    with _sessionmaker(app).begin() as db:
        for entry_id, message in failed.items():
            db.execute(
                update(SearchOutboxEntry)
                .where(SearchOutboxEntry.id == entry_id)
                .values(attempts=SearchOutboxEntry.attempts + 1, last_error=message)
            )


def apply_pending(app: Flask, *, timeout: float, time_budget: float = 5.0, batch_size: int = BATCH_SIZE) -> ApplyReport:
    """Apply queued entries in batches until none is left, the budget is spent, or the lock is busy."""
    report = ApplyReport()
    deadline = time.monotonic() + time_budget
    attempted: set[int] = set()
    backend = engine.backend(app)
    while True:
        fresh: list = []
        done: list[int] = []
        try:
            with backend.writer(timeout=timeout) as writer:
                with _sessionmaker(app)() as db:
                    # Entries that failed before go last, so one bad object never blocks the others.
                    entries = db.execute(
                        select(SearchOutboxEntry.id, SearchOutboxEntry.kind, SearchOutboxEntry.object_id)
                        .order_by(SearchOutboxEntry.attempts, SearchOutboxEntry.id)
                        .limit(batch_size)
                    ).all()
                    fresh = [row for row in entries if row[0] not in attempted]
                    if not fresh:
                        break
                    attempted.update(row[0] for row in fresh)
                    documents, removed, done, failed = _build(db, fresh)
                for key in removed:
                    writer.remove(key)
                for document in documents:
                    writer.update(document)
        except IndexBusy:
            report.busy = True
            break
        except Exception as error:
            log.exception("writing the search index failed; the entries stay queued")
            _record_failures(app, {row[0]: repr(error)[:500] for row in fresh})
            report.failed.extend(f"{kind}:{object_id}: {error!r}" for _id, kind, object_id in fresh)
            break
        # The index is committed: now, and only now, the applied entries may go.
        with _sessionmaker(app).begin() as db:
            for chunk_start in range(0, len(done), 500):
                chunk = done[chunk_start : chunk_start + 500]
                db.execute(delete(SearchOutboxEntry).where(SearchOutboxEntry.id.in_(chunk)))
        _record_failures(app, failed)
        report.failed.extend(f"entry {entry_id}: {message}" for entry_id, message in failed.items())
        report.applied += len(done)
        report.indexed += len(documents)
        report.removed += len(removed)
        if time.monotonic() > deadline:
            break
    return report


def backlog(app: Flask) -> tuple[int, object]:
    """(number of queued entries, creation time of the oldest)."""
    with _sessionmaker(app)() as db:
        count, oldest = db.execute(select(func.count(SearchOutboxEntry.id), func.min(SearchOutboxEntry.created_at))).one()
    if oldest is not None and getattr(oldest, "tzinfo", None) is None:
        from datetime import timezone

        oldest = oldest.replace(tzinfo=timezone.utc)
    return int(count), oldest


def has_backlog(app: Flask) -> bool:
    """Is anything queued? (one cheap query)"""
    with _sessionmaker(app)() as db:
        return db.execute(select(SearchOutboxEntry.id).limit(1)).first() is not None


def catch_up(app: Flask) -> None:
    """Before a search: if something is queued (e.g. a lock was busy at commit time), try once, without waiting."""
    if not app.config.get("SEARCH_APPLY_AFTER_COMMIT", True) or not has_backlog(app):
        return
    try:
        apply_pending(app, timeout=0.0, time_budget=1.0)
    except Exception:  # a search must never fail because the indexer did
        log.exception("search outbox catch-up failed")


def after_commit(app: Flask) -> None:
    """After a unit_of_work that queued index updates: apply them now (bounded wait, never raises)."""
    if not g.get("search_outbox_pending") or not app.config.get("SEARCH_APPLY_AFTER_COMMIT", True):
        return
    g.search_outbox_pending = False
    try:
        report = apply_pending(app, timeout=float(app.config.get("SEARCH_LOCK_TIMEOUT", 1.0)), time_budget=2.0)
        if report.busy:
            log.info("search index busy; entries stay queued for the next run")
    except Exception:  # the user's change is committed; indexing catches up later
        log.exception("applying the search outbox after commit failed")


register_after_commit(after_commit)
