"""Rebuild the index from the database, and reconcile (report and repair) drift between the two."""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask import Flask

from webapp.search import engine, identity, outbox_worker, sources
from webapp.search.backend import Document, fingerprint, object_key

log = logging.getLogger(__name__)

REBUILD_LOCK_TIMEOUT = 30.0


def _all_documents(db) -> Iterator[Document]:
    for source in sources.all_sources():
        yield from source.all_documents(db)


def rebuild(app: Flask) -> int:
    """Replace the index with every indexable object in the database; returns the document count.

    Changes committed meanwhile keep their outbox entries (the lock is held, so nobody applies them) and are
    applied right after, so nothing committed during a rebuild is lost. A separate index is built beside the
    current one and swapped in, stamped with this database's identity: this repairs a missing, damaged or
    out-of-step index alike."""
    sources.load_sources()
    backend = engine.backend(app)
    options = {"stamp": identity.stamp_for_rebuild(app)} if backend.keeps_separate_index else {}
    with app.extensions["db_sessionmaker"]() as db:
        count = backend.rebuild(_all_documents(db), timeout=REBUILD_LOCK_TIMEOUT, **options)
    outbox_worker.apply_pending(app, timeout=REBUILD_LOCK_TIMEOUT, time_budget=60.0)
    return count


@dataclass
class Drift:
    """Differences between the index and the database."""

    missing: list[str] = field(default_factory=list)  # in the database, not in the index
    extra: list[str] = field(default_factory=list)  # in the index, not (or no longer indexable) in the database
    stale: list[str] = field(default_factory=list)  # indexed from an older version
    repaired: int = 0

    @property
    def total(self) -> int:
        return len(self.missing) + len(self.extra) + len(self.stale)


def find_drift(app: Flask) -> Drift:
    """Compare a fingerprint of every database document with the index's."""
    sources.load_sources()
    with app.extensions["db_sessionmaker"]() as db:
        expected = {document.info.key: fingerprint(document) for document in _all_documents(db)}
    indexed = engine.backend(app).fingerprints()
    return Drift(
        missing=sorted(set(expected) - set(indexed)),
        extra=sorted(set(indexed) - set(expected)),
        stale=sorted(key for key in set(expected) & set(indexed) if expected[key] != indexed[key]),
    )


def reconcile(app: Flask, *, repair: bool = True) -> Drift:
    """Report drift and, with repair, re-index every differing key from the database's current state.

    The repair re-reads each key under the index lock, so a change committed between the comparison and the
    repair is indexed as it is now, never undone."""
    drift = find_drift(app)
    if not repair or not drift.total:
        return drift
    by_kind: dict[str, list[int]] = defaultdict(list)
    for key in drift.missing + drift.extra + drift.stale:
        kind, object_id = object_key(key).split(":", 1)  # a reading-level variant repairs its object
        by_kind[kind].append(int(object_id))
    backend = engine.backend(app)
    with backend.writer(timeout=REBUILD_LOCK_TIMEOUT) as writer:
        identity.advance(app, backend, writer)
        with app.extensions["db_sessionmaker"]() as db:
            for kind, ids in by_kind.items():
                source = sources.get(kind)
                loaded = source.load(db, ids) if source is not None else {}
                for object_id in sorted(set(ids)):
                    documents = source.documents(loaded.get(object_id)) if source is not None else []
                    writer.remove_keys(source.obsolete_keys(object_id, documents) if source is not None
                                       else [f"{kind}:{object_id}"])
                    for document in documents:
                        writer.update(document)
                    drift.repaired += 1
    log.warning("search reconcile repaired %d documents", drift.repaired)
    return drift
