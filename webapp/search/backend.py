"""The search backend interface (DESIGN.md §4): the index proposes candidates, the database decides.

A backend stores one document per indexed object, keyed "<kind>:<id>". Documents carry text fields (what a
user's query may hit), facet fields (filters and counts) and access fields (a coarse candidate pre-filter that
no user query can address). Reading happens through a `Snapshot`: one consistent view of the index, whose
opaque document handles are only meaningful inside it.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

class IndexBusy(Exception):
    """Another writer holds the index lock and did not release it within the timeout."""


class RebuildIncomplete(Exception):
    """A rebuild wrote a different number of documents than it was given."""


@dataclass(frozen=True)
class AccessKey:
    """The access facts of a viewer that the coarse pre-filter needs (hashable: pre-filters are cached by it)."""

    verified: bool
    clearance: int
    organisation_id: int | None
    group_ids: frozenset[int] = field(default_factory=frozenset)

    def may_be_visible(self, tier: int, group_id: int | None, organisation_id: int | None) -> bool:
        """A SUPERSET of the tier rule: never drops what the viewer may read; the database decides the rest."""
        if tier == 0:
            return True
        if not self.verified or tier > self.clearance:
            return False
        if tier < 3:
            return True
        return (group_id is not None and group_id in self.group_ids) or (
            organisation_id is not None and organisation_id == self.organisation_id
        )


@dataclass(frozen=True)
class DocInfo:
    """What the index keeps about a document besides its text: identity, facets and access fields."""

    key: str
    kind: str  # the display kind: a submission kind, or "round", "thread", "post"
    date: int  # seconds since the epoch (UTC)
    tier: int
    group_id: int | None
    organisation_id: int | None
    paragraphs: tuple[int, ...] = ()
    stakeholder: str = ""
    stage: str = ""
    country: str = ""
    round_id: int | None = None

    # Cached: a search reads them for every candidate, several times (DocInfos live as long as an index generation).
    @cached_property
    def source(self) -> str:
        return self.key.split(":", 1)[0]

    @cached_property
    def object_id(self) -> int:
        return int(self.key.split(":", 1)[1])


@dataclass
class Document:
    """One object as the index sees it. `words` feeds spelling suggestions (never a query field)."""

    info: DocInfo
    title: str
    body: str
    keywords: str = ""

    def as_fields(self) -> dict[str, Any]:
        return {"info": self.info, "title": self.title, "body": self.body, "keywords": self.keywords}


class Snapshot(ABC):
    """One consistent view of the index for the duration of a search."""

    @abstractmethod
    def matching(self, query: Any, access: AccessKey | None) -> list[tuple[Any, DocInfo]]:
        """Every document matching `query` (unscored), pre-filtered for `access` when given."""

    @abstractmethod
    def rank(self, query: Any, handles: set, limit: int) -> list[tuple[Any, float]]:
        """(handle, score) of the best `limit` among `handles`, best first. A score depends only on the query and
        the document (never on other documents), and ties are returned in no particular order."""

    @abstractmethod
    def term_documents(self, term: str, access: AccessKey | None) -> list[tuple[Any, DocInfo]]:
        """Documents containing the index term (see SearchBackend.term_for): the basis of spelling suggestions."""

    @abstractmethod
    def similar_terms(self, term: str, maxdist: int) -> list[str]:
        """Index terms within `maxdist` edits of `term`, sharing its first letter, in no particular order."""


class IndexWriter(ABC):
    """Changes made while holding the index lock; committed together."""

    @abstractmethod
    def update(self, document: Document) -> None:
        """Add or replace the document with this key."""

    @abstractmethod
    def remove(self, key: str) -> None:
        """Remove the document with this key, if any."""


class SearchBackend(ABC):
    """What the search service and the outbox worker need from an engine."""

    @abstractmethod
    def parse(self, text: str) -> Any:
        """Turn an already validated user query into an engine query over the text only (never access fields)."""

    @abstractmethod
    def term_for(self, word: str) -> str | None:
        """The index term a user's word becomes (e.g. its stem); None for a word that is not indexed."""

    @abstractmethod
    def query_words(self, query: Any) -> list[str]:
        """The plain words of a parsed query (for highlighting and suggestions)."""

    @abstractmethod
    def snapshot(self) -> AbstractContextManager[Snapshot]:
        """A fresh-enough consistent view: reopened when another process changed the index."""

    @abstractmethod
    def writer(self, *, timeout: float) -> AbstractContextManager[IndexWriter]:
        """The single writer: lock (IndexBusy after `timeout` s); commit on exit; cancel and unlock on error."""

    @abstractmethod
    def rebuild(self, documents: Iterable[Document], *, timeout: float) -> int:
        """Replace the whole index with `documents`; raises RebuildIncomplete if the index count differs."""

    @abstractmethod
    def keys(self) -> set[str]:
        """The keys of every document in the index (for reconcile)."""

    @abstractmethod
    def fingerprints(self) -> dict[str, str]:
        """key → fingerprint of the indexed version (for reconcile)."""

    @abstractmethod
    def status(self) -> dict[str, Any]:
        """Document count and last change time; no content."""

    @abstractmethod
    def highlight(self, text: str, words: Sequence[str], *, fragments: int = 2) -> str:
        """HTML-escaped excerpts of `text` with the query's words marked; '' when nothing matches."""


def fingerprint(document: Document) -> str:
    """A short digest of everything indexed about a document: reconcile compares it with the database."""
    import hashlib
    import json

    info = document.info
    raw = json.dumps(
        [info.key, info.kind, info.date, info.tier, info.group_id, info.organisation_id, list(info.paragraphs),
         info.stakeholder, info.stage, info.country, info.round_id, document.title, document.body,
         document.keywords],
        ensure_ascii=False,
    )
    return hashlib.blake2b(raw.encode("utf-8"), digest_size=12).hexdigest()


def iter_chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
