"""Applying the search outbox to the index (DESIGN.md §4).

Order of events, and why nothing is lost:
1. take the index lock (one writer at a time; IndexBusy after a timeout),
2. read a batch of outbox entries, then load their objects — so what is indexed is at least as new as the commit
   that queued each entry,
3. commit the index (a failed write is cancelled, which releases the lock),
4. only then delete exactly the entries read. A worker killed before 4 leaves them queued; re-applying is
   idempotent. Entries queued meanwhile stay for the next run.
Runs after every commit that queued something (register_after_commit), opportunistically before a search when a
backlog exists (at most SEARCH_INLINE_APPLY_LIMIT entries, so a search's own latency stays bounded), by the job
engine's periodic job without any traffic, and from `flask search apply`. Before each index commit, identity.advance
checks that the index is in step with this database and stamps it; an index out of step is left for a rebuild.
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
from webapp.search import engine, identity, sources
from webapp.search.backend import IndexBusy, IndexUnavailable

log = logging.getLogger(__name__)

BATCH_SIZE = 200


@dataclass
class ApplyReport:
    """What one run did."""

    applied: int = 0  # outbox entries applied and deleted
    indexed: int = 0
    removed: int = 0
    failed: list[str] = field(default_factory=list)  # "kind:id: error"
    busy: bool = False  # the lock was held by another writer for longer than the timeout (or the index is read-only)
    unavailable: str = ""  # the index is missing, damaged or out of step: the entries wait for a rebuild
    repaired: str = ""  # what the periodic job's repair step did before draining


def _sessionmaker(app: Flask):
    return app.extensions["db_sessionmaker"]


def build_documents(db, entries) -> tuple[list, list[str], list[int], dict[int, str]]:
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
                built = source.documents(obj)
            except Exception as error:
                log.exception("building the search document of %s:%s failed", kind, object_id)
                failed.update((entry_id, repr(error)[:500]) for entry_id in entry_ids)
                continue
            # Every key the object no longer has goes (its reading-level variants included, DESIGN.md §4).
            removed.extend(source.obsolete_keys(object_id, built))
            documents.extend(built)
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


def _writer_options(app: Flask, backend) -> dict:
    """A separate index that is missing may be created empty only if this database was never indexed."""
    return {"create": identity.never_indexed(app)} if backend.keeps_separate_index else {}


def apply_pending(app: Flask, *, timeout: float, time_budget: float = 5.0, batch_size: int = BATCH_SIZE,
                  limit: int | None = None) -> ApplyReport:
    """Apply queued entries in batches until none is left, the budget or `limit` (entries) is spent, or the lock
    is busy."""
    report = ApplyReport()
    deadline = time.monotonic() + time_budget
    attempted: set[int] = set()
    backend = engine.backend(app)
    options = _writer_options(app, backend)
    while True:
        fresh: list = []
        done: list[int] = []
        if limit is not None:
            if report.applied >= limit:
                break
            batch_size = min(batch_size, limit - report.applied)
        try:
            with backend.writer(timeout=timeout, **options) as writer:
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
                    documents, removed, done, failed = build_documents(db, fresh)
                identity.advance(app, backend, writer)
                writer.remove_keys(removed)
                for document in documents:
                    writer.update(document)
        except IndexBusy:
            report.busy = True
            break
        except IndexUnavailable as error:
            report.unavailable = str(error)
            log.warning("search index unavailable, entries stay queued for the rebuild: %s", error)
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
        apply_pending(app, timeout=0.0, time_budget=1.0, limit=int(app.config.get("SEARCH_INLINE_APPLY_LIMIT", 50)))
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


def drain_idle(app: Flask, *, time_budget: float = 20.0) -> ApplyReport:
    """Periodic job: apply what the after-commit path left behind (a busy lock, an indexer error, or
    SEARCH_APPLY_AFTER_COMMIT off), in batches. Entries younger than SEARCH_IDLE_SECONDS are left to the request
    that queued them, and a held index lock is never waited for: requests keep priority."""
    count, oldest = backlog(app)
    if not count:
        return ApplyReport()
    from datetime import datetime, timedelta, timezone

    idle = timedelta(seconds=float(app.config.get("SEARCH_IDLE_SECONDS", 5)))
    if oldest is not None and datetime.now(timezone.utc) - oldest < idle:
        return ApplyReport()
    report = apply_pending(app, timeout=0.0, time_budget=time_budget)
    log.info("search outbox drained by the job engine: %d applied, %d failed, busy=%s",
             report.applied, len(report.failed), report.busy)
    return report
