"""The PostgreSQL full-text backend: the index is a table of the application database (DESIGN.md §4).

- A document row is written in the transaction of the change it describes (`index_in_transaction`, called when
  the unit of work commits), so every node sees a change on its next request; no index directory, no refresh.
- A reader's search is one statement per step: the match, and the policy layer's read clause for every source
  (`Source.visible_select`) as a semi-join, so nothing the reader may not read leaves the database.
- Ranking is ts_rank_cd over the document's own weighted vector (title A, keywords B, body D, normalised by the
  document's length): no collection statistics, so hidden documents cannot shift the order of visible ones.
- Snippets are ts_headline over the text the reader may read (the source's present() text), HTML-escaped first.
"""
from __future__ import annotations

import logging
import re
import threading
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from markupsafe import escape
from sqlalchemy import func, literal, select, text
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.engine import Engine

from webapp.models import SearchDocument, SearchTerm
from webapp.search.backend import (
    AccessKey,
    CountedPage,
    DocInfo,
    Document,
    IndexBusy,
    IndexWriter,
    Reader,
    RebuildIncomplete,
    SearchBackend,
    Snapshot,
)
from webapp.search.postgres import reading, store, terms, tsquery

log = logging.getLogger(__name__)

_MARK_OPEN, _MARK_CLOSE, _FRAGMENT = "\x02", "\x03", "\x01"
_SENTINELS = re.compile("[\x01\x02\x03]")
HEADLINE_OPTIONS = (f"StartSel={_MARK_OPEN}, StopSel={_MARK_CLOSE}, FragmentDelimiter={_FRAGMENT}, "
                    "MaxWords=30, MinWords=12, MaxFragments={fragments}")
STEM_CACHE_SIZE = 20_000


@dataclass(frozen=True)
class PgQuery:
    """A parsed query: the tsquery text built by tsquery.to_text (bound as a parameter, cast back)."""

    canonical: str

    def sql(self):
        return literal(self.canonical).cast(TSQUERY)


_D = SearchDocument


class PostgresSnapshot(Snapshot):
    """Reads for one search. With a reader, every statement carries the policy clause of every source and keeps
    only the reader's own reading-level variant (reading.py)."""

    def __init__(self, connection, reader: Reader | None):
        self.connection = connection
        self.reader = reader
        self.authorizes = reader is not None
        self._scores: dict[str, float] = {}

    def _select(self, condition, *columns):
        return reading.visible_documents(self.reader.viewer if self.reader else None, condition, *columns)

    def _execute(self, stmt):
        if self.reader is None:
            return self.connection.execute(stmt)
        with reading.planner_settings(self.connection):
            return self.connection.execute(stmt).all()

    def counted_page(self, query: PgQuery, filters, sort: str, first: int, per_page: int,
                     excluded_rounds: frozenset[int] = frozenset()) -> CountedPage | None:
        if self.reader is None:
            return None
        stmt = reading.counted_page_statement(self.reader.viewer, query.sql(), filters, sort, first, per_page,
                                              excluded_rounds)
        return reading.read_counted_page(self._execute(stmt)[0])

    def matching(self, query: PgQuery, access: AccessKey | None) -> list[tuple[str, DocInfo]]:
        q = query.sql()
        stmt = self._select(_D.vector.op("@@")(q), func.ts_rank_cd(_D.vector, q, 1).label("score"))
        found = []
        for row in self._execute(stmt):
            info = reading.info_of(row)
            self._scores[info.key] = float(row.score)
            found.append((info.key, info))
        return found

    def rank(self, query: PgQuery, handles: set, limit: int) -> list[tuple[str, float]]:
        if not handles or limit <= 0:
            return []
        missing = [key for key in handles if key not in self._scores]
        if missing:
            q = query.sql()
            stmt = select(_D.key, func.ts_rank_cd(_D.vector, q, 1)).where(_D.key.in_(missing))
            self._scores.update((key, float(score)) for key, score in self.connection.execute(stmt))
        scored = [(key, self._scores.get(key, 0.0)) for key in handles]
        scored.sort(key=lambda pair: -pair[1])
        return scored[:limit]

    def term_documents(self, term: str, access: AccessKey | None, limit: int | None = None
                       ) -> list[tuple[str, DocInfo]]:
        q = literal(tsquery.lexeme_query(term)).cast(TSQUERY)
        stmt = self._select(_D.vector.op("@@")(q))
        stmt = stmt.limit(limit) if limit is not None else stmt
        return [(row.key, reading.info_of(row)) for row in self._execute(stmt)]

    def terms_documents(self, terms, access: AccessKey | None) -> dict[str, list[tuple[str, DocInfo]]]:
        found: dict[str, list[tuple[str, DocInfo]]] = {term: [] for term in terms}
        if not found:
            return found
        ordered = sorted(found)
        stmt = reading.terms_documents_statement(self.reader.viewer if self.reader else None, ordered,
                                                 [tsquery.lexeme_query(term) for term in ordered])
        for row in self._execute(stmt):
            found[row.term].append((row.key, reading.info_of(row)))
        return found

    def similar_terms(self, term: str, maxdist: int) -> list[str]:
        return terms.similar(self.connection, term, maxdist)


class _PgWriter(IndexWriter):
    def __init__(self, connection):
        self.connection = connection

    def update(self, document: Document) -> None:
        store.write(self.connection, [document])

    def remove(self, key: str) -> None:
        store.write(self.connection, [], [key])

    def remove_keys(self, keys) -> None:
        store.write(self.connection, [], list(keys))  # one statement for an object's every variant key


class PostgresBackend(SearchBackend):
    """The index in the application database (one instance per engine: see backend_for_engine)."""

    def __init__(self, engine: Engine):
        if engine.dialect.name != "postgresql":
            raise RuntimeError("SEARCH_BACKEND=postgres needs a PostgreSQL DATABASE_URL")
        self.engine = engine
        self._stems: dict[str, str | None] = {}
        self._stems_lock = threading.Lock()

    # ------------------------------------------------------------ queries

    def parse(self, text_: str) -> PgQuery:
        tree = tsquery.parse(text_)
        nodes = tsquery.leaves(tree)
        if not nodes:
            return PgQuery("")
        # One statement for every word in every language's configuration; the tree is then put together here,
        # each word looked up once per distinct form (tsquery.to_text).
        with self.engine.connect() as connection:
            texts = list(connection.execute(select(*tsquery.leaf_columns(nodes))).one())
        return PgQuery(tsquery.to_text(tree, texts))

    def is_empty(self, query: PgQuery) -> bool:
        return not query.canonical.strip()

    def edit_distance(self, word: str, other: str) -> int:
        return terms.edit_distance(word, other)

    def terms_for(self, words: Sequence[str]) -> dict[str, str | None]:
        """Index terms of many words in one statement (english stemming; None for stop words), cached."""
        wanted = [word for word in dict.fromkeys(words) if word not in self._stems]
        if wanted:
            stmt = text("SELECT word, tsvector_to_array(to_tsvector(CAST(:config AS regconfig), word)) "
                        "FROM unnest(CAST(:words AS text[])) AS word")
            with self.engine.connect() as connection:
                rows = connection.execute(stmt, {"config": tsquery.CONFIG, "words": wanted}).all()
            with self._stems_lock:
                if len(self._stems) > STEM_CACHE_SIZE:
                    self._stems.clear()
                for word, lexemes in rows:
                    self._stems[word] = lexemes[0] if lexemes and len(lexemes) == 1 else None
        return {word: self._stems.get(word) for word in words}

    def term_for(self, word: str) -> str | None:
        return self.terms_for([word])[word]

    def query_words(self, query: PgQuery) -> list[str]:
        return sorted(tsquery.lexemes(query.canonical))

    @contextmanager
    def snapshot(self, reader: Reader | None = None) -> Iterator[PostgresSnapshot]:
        if reader is not None:  # the request's own session: the match and the policy clause in its statements
            yield PostgresSnapshot(reader.db, reader)
            return
        with self.engine.connect() as connection:
            yield PostgresSnapshot(connection, None)

    def highlight_many(self, texts: Sequence[str], words: Sequence[str], *, fragments: int = 2,
                       query: PgQuery | None = None) -> list[str]:
        """ts_headline over each text (sentinels for the marks, then HTML-escaped here); '' where nothing matches."""
        if query is None or not texts or self.is_empty(query):
            return ["" for _text in texts]
        # Escaped before ts_headline: its parser keeps each entity (&lt; …) one token, so a fragment holds whole
        # entities and no markup of the text survives; the marks are sentinels, replaced once the text is safe.
        cleaned = [str(escape(_SENTINELS.sub(" ", value or ""))) for value in texts]
        stmt = text(
            "SELECT ts_headline(CAST(:config AS regconfig), body, CAST(:q AS tsquery), :options) "
            "FROM unnest(CAST(:texts AS text[])) WITH ORDINALITY AS t(body, position) ORDER BY position"
        )
        options = HEADLINE_OPTIONS.replace("{fragments}", str(int(fragments)))
        with self.engine.connect() as connection:
            marked = connection.scalars(
                stmt, {"config": tsquery.CONFIG, "q": query.canonical, "options": options, "texts": cleaned}
            ).all()
        return [_as_html(value or "") for value in marked]

    def highlight(self, text_: str, words: Sequence[str], *, fragments: int = 2, query: PgQuery | None = None) -> str:
        return self.highlight_many([text_], words, fragments=fragments, query=query)[0]

    # ------------------------------------------------------------ writing

    def index_in_transaction(self, db, entries: Sequence[Any]) -> bool:
        """Write the documents of the outbox `entries` in `db`'s transaction and drop the entries; False (entries
        left queued for the applier) when a rebuild holds the index or building a document failed."""
        from webapp.search.outbox_worker import build_documents

        try:
            with db.begin_nested():
                connection = db.connection()
                if not store.try_share_lock(connection):
                    return False
                db.flush()
                rows = [(entry.id, entry.kind, entry.object_id) for entry in entries]
                documents, removed, _done, failed = build_documents(db, rows)
                if failed:
                    raise RuntimeError(f"{len(failed)} search documents could not be built")
                store.write(connection, documents, removed)
                for entry in entries:
                    db.delete(entry)
                db.flush()
        except Exception:
            log.exception("indexing in the transaction failed; the outbox entries stay queued")
            return False
        return True

    @contextmanager
    def writer(self, *, timeout: float) -> Iterator[IndexWriter]:
        with self.engine.connect() as connection:
            with connection.begin():
                if not store.lock_exclusively(connection, timeout):
                    raise IndexBusy(f"search index locked by another writer for more than {timeout:.1f}s")
                yield _PgWriter(connection)

    def rebuild(self, documents: Iterable[Document], *, timeout: float) -> int:
        with self.engine.connect() as connection:
            with connection.begin():
                if not store.lock_exclusively(connection, timeout):
                    raise IndexBusy(f"search index locked by another writer for more than {timeout:.1f}s")
                connection.execute(text("DELETE FROM search_documents"))
                connection.execute(text("DELETE FROM search_terms"))
                written, batch = 0, []
                for document in documents:
                    batch.append(document)
                    if len(batch) >= store.CHUNK:
                        written += store.write(connection, batch)
                        batch = []
                written += store.write(connection, batch)
                count = connection.scalar(select(func.count()).select_from(_D))
                if count != written:
                    raise RebuildIncomplete(f"index holds {count} documents after rebuild, {written} were written")
        # Fresh statistics, the GIN index's pending list merged and the visibility map set: a first search after a
        # rebuild must not scan the pending list of every document (VACUUM cannot run inside a transaction).
        # Then statistics of every table: a reader's statement joins the index to the read rules' tables, and
        # without statistics (a database just loaded or restored, before autovacuum gets to it) the planner counts
        # one readable item where there are thousands and probes each one's vector instead of using the GIN index
        # (measured 166 ms → 59 ms a search at 20,000 items).
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM (ANALYZE) search_documents"))
            connection.execute(text("ANALYZE"))
        return count

    # ------------------------------------------------------------ inspection

    def keys(self) -> set[str]:
        with self.engine.connect() as connection:
            return set(connection.scalars(select(_D.key)))

    def fingerprints(self) -> dict[str, str]:
        with self.engine.connect() as connection:
            return dict(connection.execute(select(_D.key, _D.fingerprint)).all())

    def status(self) -> dict[str, Any]:
        with self.engine.connect() as connection:
            count, last = connection.execute(select(func.count(_D.key), func.max(_D.updated_at))).one()
            vocabulary = connection.scalar(select(func.count()).select_from(SearchTerm))
        return {"backend": "postgres", "documents": int(count), "terms": int(vocabulary or 0),
                "last_modified": last.timestamp() if last is not None else None}


def _as_html(marked: str) -> str:
    if _MARK_OPEN not in marked:
        return ""
    escaped = " ".join(marked.split())  # already escaped (see highlight_many)
    return (escaped.replace(_MARK_OPEN, "<mark>").replace(_MARK_CLOSE, "</mark>")
            .replace(_FRAGMENT, " … "))


_BACKENDS: "weakref.WeakKeyDictionary[Engine, PostgresBackend]" = weakref.WeakKeyDictionary()
_BACKENDS_LOCK = threading.Lock()


def backend_for_engine(engine: Engine) -> PostgresBackend:
    """The process-wide backend of an application engine."""
    with _BACKENDS_LOCK:
        found = _BACKENDS.get(engine)
        if found is None:
            found = _BACKENDS[engine] = PostgresBackend(engine)
        return found
