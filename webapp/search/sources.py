"""What can be searched: each content kind registers how to load its objects, build their index document,
present a hit, and which policy entity re-checks every hit in the database.

Kinds match the outbox contract ("submission", "round", "thread", "post"). A domain adds itself with one
`register(Source(...))` call in a module imported by `load_sources()`.
"""
from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import policy
from webapp.policy import Viewer
from webapp.search.backend import Document, iter_chunks, possible_keys

log = logging.getLogger(__name__)

CHUNK = 500  # ids per IN (...) — well below SQLite's and PostgreSQL's parameter limits


@dataclass
class Presented:
    """How one authorized hit is shown: everything comes from the database, as this viewer may read it."""

    title: str
    url: str
    kind: str
    tier: Any
    date: datetime | None
    byline: str | None  # None when the author must not be shown (Chatham House)
    text: str  # the readable text snippets are cut from
    context: str = ""  # e.g. "in round …" (only titles the viewer may read)


@dataclass(frozen=True)
class Source:
    """One searchable kind of content."""

    kind: str
    entity: type  # the policy entity: policy.visible(stmt, viewer, entity) decides every hit
    load_options: Callable[[], Sequence[Any]]  # eager loading for document() and present()
    # None: not indexed (deleted, hidden…); a list: reading-level variants of one object (tear lines, backend.py)
    document: Callable[[Any], Document | list[Document] | None]
    present: Callable[[Any, Viewer], Presented]
    display_kinds: tuple[str, ...] = field(default_factory=tuple)  # DocInfo.kind values it produces
    # Extra SQL condition for what search may show beyond the read rule (e.g. not deleted, not hidden): checked
    # in the database on every search, so it takes effect before the index catches up.
    searchable: Callable[[], Any] | None = None
    # For sources indexed in reading-level variants: (db, viewer, ids) → the viewer's reading level per object
    # (policy.sections), from the database; a variant is accepted only for a reader whose level it serves.
    reading_levels: Callable[[Session, Viewer, Sequence[int]], dict[int, int]] | None = None
    # The same reading level as a SQL expression over the entity's columns (a backend that decides access in its
    # own statement chooses the variant there too); required alongside `reading_levels`.
    reading_level_sql: Callable[[Viewer], Any] | None = None

    def documents(self, obj: Any) -> list[Document]:
        """The documents of one object: none, one, or its reading-level variants."""
        built = self.document(obj) if obj is not None else None
        if built is None:
            return []
        return list(built) if isinstance(built, list) else [built]

    def obsolete_keys(self, object_id: int, documents: Sequence[Document]) -> list[str]:
        """Keys the object may have been indexed under before and that `documents` no longer write."""
        written = {document.info.key for document in documents}
        candidates = possible_keys(f"{self.kind}:{object_id}") if self.reading_levels else [f"{self.kind}:{object_id}"]
        return [key for key in candidates if key not in written]

    def _restrict(self, stmt):
        return stmt.where(self.searchable()) if self.searchable is not None else stmt

    # ---------------------------------------------------------------- reading for the indexer (no viewer)

    def load(self, db: Session, ids: Sequence[int]) -> dict[int, Any]:
        """Objects by id with eager loading, for indexing (the index stores access fields, not decisions)."""
        found: dict[int, Any] = {}
        for chunk in iter_chunks(sorted(set(ids)), CHUNK):
            stmt = select(self.entity).options(*self.load_options()).where(self.entity.id.in_(chunk))
            found.update((obj.id, obj) for obj in db.scalars(stmt))
        return found

    def all_documents(self, db: Session) -> Iterator[Document]:
        """Every indexable object's document, in id order, loaded in chunks (rebuild and reconcile)."""
        ids = list(db.scalars(select(self.entity.id).order_by(self.entity.id)))
        for chunk in iter_chunks(ids, CHUNK):
            objects = self.load(db, chunk)
            for object_id in chunk:
                yield from self.documents(objects.get(object_id))
            db.expunge_all()

    # ---------------------------------------------------------------- reading for a viewer

    def restrict_visible(self, stmt, viewer: Viewer):
        """`stmt` (a select over this source's entity, e.g. joined to index rows) restricted to what `viewer` may
        find: the policy layer's read clause and `searchable`, in the same statement."""
        return self._restrict(policy.visible(stmt, viewer, self.entity))

    def visible_select(self, viewer: Viewer):
        """SELECT of every id `viewer` may find (the read rule and `searchable`), for use inside one statement."""
        return self.restrict_visible(select(self.entity.id), viewer)

    def visible_ids(self, db: Session, viewer: Viewer, ids: Sequence[int] | None) -> set[int]:
        """The ids (among `ids`, or all when None) that `viewer` may read, decided by the database."""
        if ids is None:
            return set(db.scalars(self.visible_select(viewer)))
        allowed: set[int] = set()
        for chunk in iter_chunks(sorted(set(ids)), CHUNK):
            stmt = policy.visible(select(self.entity.id).where(self.entity.id.in_(chunk)), viewer, self.entity)
            allowed.update(db.scalars(self._restrict(stmt)))
        return allowed

    def load_visible(self, db: Session, viewer: Viewer, ids: Sequence[int]) -> dict[int, Any]:
        """The page's objects with eager loading, again through policy.visible()."""
        if not ids:
            return {}
        stmt = policy.visible(
            select(self.entity).options(*self.load_options()).where(self.entity.id.in_(list(ids))),
            viewer,
            self.entity,
        )
        return {obj.id: obj for obj in db.scalars(self._restrict(stmt))}


_SOURCES: dict[str, Source] = {}

# Modules that register sources; a module whose models are not installed yet is skipped with a log line.
SOURCE_MODULES = ("webapp.search.sources_archive", "webapp.search.sources_dialogue")


def register(source: Source) -> None:
    """Add (or replace) a searchable kind."""
    _SOURCES[source.kind] = source


def load_sources() -> None:
    """Import the registering modules once (called by create_app through the search blueprint)."""
    for name in SOURCE_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as error:
            # Only a domain that is not installed is skipped; any other import error must be loud.
            if not (error.name or "").startswith("webapp.models."):
                raise
            log.warning("search source %s not available: %s", name, error)


def get(kind: str) -> Source | None:
    """The source of an outbox kind."""
    return _SOURCES.get(kind)


def all_sources() -> list[Source]:
    """Every registered source, by kind."""
    return [_SOURCES[kind] for kind in sorted(_SOURCES)]


def display_kinds() -> list[str]:
    """Every display kind (the "kind" filter's allowed values)."""
    return [kind for source in all_sources() for kind in source.display_kinds]
