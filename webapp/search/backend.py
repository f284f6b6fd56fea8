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


class IndexReadOnly(IndexBusy):
    """This process may read the index but not write it: writes wait for a writable worker or the job engine."""


class IndexUnavailable(Exception):
    """The index cannot be read (missing, damaged, or built from another database): searches wait for a rebuild."""


class RebuildIncomplete(Exception):
    """A rebuild wrote a different number of documents than it was given."""


@dataclass(frozen=True)
class IndexStamp:
    """Which database an index was built from and up to which change (DESIGN.md §4, "database identity")."""

    database_id: str
    position: int


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
    def object_key(self) -> str:
        """"<kind>:<id>" of the object, whichever reading-level variant this document is."""
        return object_key(self.key)

    @cached_property
    def object_id(self) -> int:
        return int(self.object_key.split(":", 1)[1])

    @cached_property
    def reading_range(self) -> tuple[int, int | None] | None:
        """For a reading-level variant (tear lines): the levels [floor, ceiling) it serves (None: unbounded);
        None for an ordinary document, which serves every reader of the object."""
        return reading_range(self.key)


@dataclass
class Document:
    """One object as the index sees it. `words` feeds spelling suggestions (never a query field)."""

    info: DocInfo
    title: str
    body: str
    keywords: str = ""
    # The language the title and body are written in, and the text of each readable translation (issue 13) as
    # (language, text) pairs: a backend that stems per language analyses each in its own language.
    language: str = "en"
    translations: tuple[tuple[str, str], ...] = ()

    def as_fields(self) -> dict[str, Any]:
        return {"info": self.info, "title": self.title, "body": self.body, "keywords": self.keywords,
                "language": self.language, "translations": self.translations}


@dataclass(frozen=True)
class Reader:
    """Who a snapshot reads for: the request's session and viewer (a backend that decides access in the database
    uses both in its own statements)."""

    db: Any
    viewer: Any


@dataclass(frozen=True)
class FacetCount:
    """Documents of the authorized, filtered set with one facet value (per round: the small-cell rule drops the
    stakeholder and country counts of some rounds, decided by the service)."""

    facet: str  # "kind", "paragraph", "stakeholder", "stage" or "country"
    value: str
    round_id: int | None
    count: int


@dataclass(frozen=True)
class CountedPage:
    """One page of a search with the exact total and facet counts of the whole authorized set, computed by the
    backend's own statement (nothing of the set but the page leaves the database)."""

    total: int
    page: list[DocInfo]
    counts: list[FacetCount]


class Snapshot(ABC):
    """One consistent view of the index for the duration of a search."""

    # True when matching() and term_documents() return only what the reader may read, decided by the policy
    # layer's SQL in the same statement, and of an object's reading-level variants only the reader's own (tear
    # lines); False when they pre-filter coarsely and the service asks the database.
    authorizes: bool = False

    def counted_page(self, query: Any, filters: Any, sort: str, first: int, per_page: int,
                     excluded_rounds: frozenset[int] = frozenset()) -> CountedPage | None:
        """The page `first`..`first + per_page` in `sort` order (relevance: score, then newest, then key; newest
        and oldest: date, then key), the total and the facet counts, all under the reader's access and `filters`,
        leaving out every document of the rounds `excluded_rounds` (the service's small-cell rule for a filter by
        type or country); None when the backend cannot (the service then counts what matching() returns)."""
        return None

    @abstractmethod
    def matching(self, query: Any, access: AccessKey | None) -> list[tuple[Any, DocInfo]]:
        """Every document matching `query` (unscored), pre-filtered for `access` when given."""

    @abstractmethod
    def rank(self, query: Any, handles: set, limit: int) -> list[tuple[Any, float]]:
        """(handle, score) of the best `limit` among `handles`, best first. A score depends only on the query and
        the document (never on other documents), and ties are returned in no particular order."""

    @abstractmethod
    def term_documents(self, term: str, access: AccessKey | None, limit: int | None = None
                       ) -> list[tuple[Any, DocInfo]]:
        """Documents containing the index term (see SearchBackend.term_for): the basis of spelling suggestions.
        `limit`: at most that many (a snapshot that authorizes answers "is there a readable one?" with one row)."""

    def terms_documents(self, terms: Sequence[str], access: AccessKey | None) -> dict[str, list[tuple[Any, DocInfo]]]:
        """term_documents() of several terms (a backend may answer them in one statement)."""
        return {term: self.term_documents(term, access) for term in terms}

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

    def stamp(self, stamp: IndexStamp) -> None:
        """Record, with this commit, the database and change the index is now at (engines keeping the index in
        the database itself need not)."""

    def remove_keys(self, keys: Sequence[str]) -> None:
        """Remove the documents with these keys, if any (a backend may do it in one operation: every indexed
        object also removes the reading-level variant keys it no longer has)."""
        for key in keys:
            self.remove(key)


class SearchBackend(ABC):
    """What the search service and the outbox worker need from an engine."""

    @abstractmethod
    def parse(self, text: str) -> Any:
        """Turn an already validated user query into an engine query over the text only (never access fields)."""

    @abstractmethod
    def is_empty(self, query: Any) -> bool:
        """Does the parsed query match nothing at all (e.g. only stop words)?"""

    @abstractmethod
    def edit_distance(self, word: str, other: str) -> int:
        """How many edits (insert, delete, substitute, transpose) turn one index term into the other."""

    @abstractmethod
    def term_for(self, word: str) -> str | None:
        """The index term a user's word becomes (e.g. its stem); None for a word that is not indexed."""

    @abstractmethod
    def query_words(self, query: Any) -> list[str]:
        """The plain words of a parsed query (for highlighting and suggestions)."""

    @abstractmethod
    def snapshot(self, reader: Reader | None = None) -> AbstractContextManager[Snapshot]:
        """A fresh-enough consistent view: reopened when another process changed the index."""

    def terms_for(self, words: Sequence[str]) -> dict[str, str | None]:
        """term_for() of many words (a backend may answer them in one round trip)."""
        return {word: self.term_for(word) for word in words}

    def highlight_many(self, texts: Sequence[str], words: Sequence[str], *, fragments: int = 2,
                       query: Any = None) -> list[str]:
        """highlight() of several texts (a backend may answer them in one round trip)."""
        return [self.highlight(text, words, fragments=fragments, query=query) for text in texts]

    def index_in_transaction(self, db: Any, entries: Sequence[Any]) -> bool:
        """Index the objects of these outbox entries inside `db`'s transaction and drop the entries; False when
        the backend cannot (its index lives outside the database): the entries are applied after commit."""
        return False

    @abstractmethod
    def writer(self, *, timeout: float, create: bool = False) -> AbstractContextManager[IndexWriter]:
        """The single writer: lock (IndexBusy after `timeout` s); commit on exit; cancel and unlock on error.
        A missing index raises IndexUnavailable, unless `create` (the database was never indexed) makes it."""

    @abstractmethod
    def rebuild(self, documents: Iterable[Document], *, timeout: float, stamp: IndexStamp | None = None) -> int:
        """Replace the whole index with `documents` (readers keep the old one until it is complete); raises
        RebuildIncomplete if the index count differs."""

    def health(self) -> dict[str, Any]:
        """{status: ok|degraded|unavailable, problems: [text]}: what is wrong with the index itself, no content."""
        return {"status": "ok", "problems": []}

    def index_stamp(self) -> IndexStamp | None:
        """The stamp of the last commit, or None when the engine keeps no separate index (never out of step)."""
        return None

    @property
    def keeps_separate_index(self) -> bool:
        """Is the index stored apart from the database (so it can be lost, damaged or restored separately)?"""
        return False

    @abstractmethod
    def keys(self) -> set[str]:
        """The keys of every document in the index (for reconcile)."""

    @abstractmethod
    def fingerprints(self) -> dict[str, str]:
        """key → fingerprint of the indexed version (for reconcile)."""

    @abstractmethod
    def status(self) -> dict[str, Any]:
        """Document count and last change time (seconds since the epoch); no content."""

    @abstractmethod
    def highlight(self, text: str, words: Sequence[str], *, fragments: int = 2, query: Any = None) -> str:
        """HTML-escaped excerpts of `text` with the query's words marked; '' when nothing matches."""


# Reading-level variants (tear lines, DESIGN.md §4 and rule 10): an object whose sections have different tiers is
# indexed as several documents, keyed "<kind>:<id>@<floor>-<ceiling>" (ceiling empty: unbounded). The variant
# for level L holds only the text of tier <= L; the search accepts a variant only for a reader whose reading level
# of the object lies in [floor, ceiling), so each reader matches each object once, through text they may read.
VARIANT_MARK = "@"
MAX_LEVEL = 3  # the highest tier rank (confidential)


def variant_key(base: str, floor: int, ceiling: int | None) -> str:
    """The key of the variant of object `base` serving reading levels [floor, ceiling)."""
    return f"{base}{VARIANT_MARK}{int(floor)}-{'' if ceiling is None else int(ceiling)}"


def object_key(key: str) -> str:
    """"<kind>:<id>" of a document key (a variant's object)."""
    return key.split(VARIANT_MARK, 1)[0]


def reading_range(key: str) -> tuple[int, int | None] | None:
    """The [floor, ceiling) of a variant key; None for an ordinary key."""
    if VARIANT_MARK not in key:
        return None
    floor, _sep, ceiling = key.split(VARIANT_MARK, 1)[1].partition("-")
    return int(floor), (int(ceiling) if ceiling else None)


def possible_keys(base: str) -> list[str]:
    """Every key object `base` can be indexed under (its own, and each variant's): the indexer removes those an
    update no longer writes, so no variant of an earlier version of the object survives it."""
    keys = [base]
    for floor in range(MAX_LEVEL + 1):
        keys += [variant_key(base, floor, ceiling) for ceiling in range(floor + 1, MAX_LEVEL + 1)]
        keys.append(variant_key(base, floor, None))
    return keys


def fingerprint(document: Document) -> str:
    """A short digest of everything indexed about a document: reconcile compares it with the database."""
    import hashlib
    import json

    info = document.info
    raw = json.dumps(
        [info.key, info.kind, info.date, info.tier, info.group_id, info.organisation_id, list(info.paragraphs),
         info.stakeholder, info.stage, info.country, info.round_id, document.title, document.body,
         document.keywords, *([document.language, [list(pair) for pair in document.translations]]
                              if document.translations or document.language != "en" else [])],
        ensure_ascii=False,
    )
    return hashlib.blake2b(raw.encode("utf-8"), digest_size=12).hexdigest()


def iter_chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
