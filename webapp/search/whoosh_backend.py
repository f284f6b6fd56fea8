"""The embedded default backend: a Whoosh 2.7 index in SEARCH_INDEX_DIR, shared by every worker process.

Why it is shaped like this (DESIGN.md §4):
- Only the text field is parseable; `meta` (facets, access fields) is a stored blob, never reachable from a
  user's query. Spelling suggestions come from the text field's own terms (no second vocabulary field to index).
- Whoosh segments never change once written, so what we need per document (key, facets, access fields) is cached
  per segment and per process; a refreshed searcher only reads the new segments. Access pre-filters (sets of
  document numbers) are built once per searcher generation and access key, then reused by every search.
- Each thread keeps its own searcher and reopens it when the index generation on disk changed, so a commit made
  by one worker is seen by every worker on its next request.
- One writer at a time: Whoosh's lock file (fcntl, released by the kernel if the process dies) with a timeout;
  a failed write is cancelled, which releases the lock.
"""
from __future__ import annotations

import fcntl
import heapq
import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh import writing
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.index import LockError
from whoosh.qparser import QueryParser, plugins

from webapp.search.backend import (
    AccessKey,
    DocInfo,
    Document,
    IndexBusy,
    IndexWriter,
    RebuildIncomplete,
    SearchBackend,
    Snapshot,
    fingerprint,
)
from webapp.search.whoosh_highlight import highlight
from webapp.search.whoosh_rank import TermScores, local_scores
from webapp.search.whoosh_scoring import QUERY_FIELD, LocalBM25F
from webapp.search.whoosh_sets import DocSets, evaluable

log = logging.getLogger(__name__)

ANALYZER = StemmingAnalyzer()
PREFILTER_CACHE_SIZE = 64




def build_schema() -> Schema:
    """One stemmed, phrase-capable text field (title twice, keywords, body), the unique key and the stored
    meta blob. One text field keeps matcher trees small: a two-word query is one intersection,
    not an intersection of three-field unions."""
    return Schema(
        key=ID(stored=True, unique=True),
        text=TEXT(analyzer=ANALYZER),
        meta=STORED(),
    )


def indexed_text(document: Document) -> str:
    """The text a query can hit; the title counts twice (a title match is worth more than a body match)."""
    return "\n".join((document.title, document.title, document.keywords, document.body))


def _meta(document: Document) -> str:
    info = document.info
    return json.dumps(
        [info.kind, info.date, info.tier, info.group_id, info.organisation_id, list(info.paragraphs),
         info.stakeholder, info.stage, info.country, info.round_id, fingerprint(document)],
        separators=(",", ":"),
    )


def _info(key: str, meta: str) -> DocInfo:
    kind, date, tier, group_id, org_id, paragraphs, stakeholder, stage, country, round_id, _fp = json.loads(meta)
    return DocInfo(key, kind, date, tier, group_id, org_id, tuple(paragraphs), stakeholder, stage, country, round_id)


class _SegmentCache:
    """Per process: segment id → DocInfo per local document number (None for deleted documents)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_segment: dict[str, list[DocInfo | None]] = {}

    def infos(self, searcher) -> list[DocInfo | None]:
        """DocInfo for every global document number of this searcher."""
        flat: list[DocInfo | None] = []
        live_ids = []
        for leaf, _offset in searcher.reader().leaf_readers():
            segment_id = leaf.segment().segment_id() if leaf.segment() is not None else None
            live_ids.append(segment_id)
            with self._lock:
                cached = self._by_segment.get(segment_id) if segment_id else None
            if cached is None or len(cached) != leaf.doc_count_all():
                cached = [
                    None if leaf.is_deleted(n) else _info(*_key_meta(leaf.stored_fields(n)))
                    for n in range(leaf.doc_count_all())
                ]
                if segment_id:
                    with self._lock:
                        self._by_segment[segment_id] = cached
            flat.extend(cached)
        with self._lock:  # forget merged-away segments
            for stale in set(self._by_segment) - set(live_ids):
                del self._by_segment[stale]
        return flat


def _key_meta(stored: dict) -> tuple[str, str]:
    return stored["key"], stored["meta"]


class WhooshSnapshot(Snapshot):
    """A searcher plus the per-generation caches built from it."""

    def __init__(self, searcher, infos: list[DocInfo | None], prefilters: OrderedDict, docsets: DocSets,
                 scores: TermScores):
        self.searcher = searcher
        self.infos = infos
        self._prefilters = prefilters
        self._docsets = docsets
        self._scores = scores
        self._whoosh_scored: dict[str, dict[int, float]] = {}

    def _allowed(self, access: AccessKey | None) -> set[int] | None:
        if access is None:
            return None
        cached = self._prefilters.get(access)
        if cached is None:
            cached = {
                n for n, info in enumerate(self.infos)
                if info is not None and access.may_be_visible(info.tier, info.group_id, info.organisation_id)
            }
            self._prefilters[access] = cached
            while len(self._prefilters) > PREFILTER_CACHE_SIZE:
                self._prefilters.popitem(last=False)
        else:
            self._prefilters.move_to_end(access)
        return cached

    def _pairs(self, docnums, access: AccessKey | None) -> list[tuple[int, DocInfo]]:
        allowed = self._allowed(access)
        if allowed is not None:
            docnums = allowed.intersection(docnums)
        infos, size = self.infos, len(self.infos)
        return [(n, infos[n]) for n in sorted(docnums) if n < size and infos[n] is not None]

    def _scored_by_whoosh(self, query) -> dict[int, float]:
        """Every match of a query set algebra cannot evaluate (a phrase), with its score: one matcher walk serves
        both matching and ranking in this request, instead of one each (measured ~45 % of a phrase search)."""
        key = repr(query)
        found = self._whoosh_scored.get(key)
        if found is None:
            found = {hit.docnum: hit.score for hit in self.searcher.search(query, limit=None)}
            self._whoosh_scored[key] = found
        return found

    def matching(self, query, access: AccessKey | None) -> list[tuple[int, DocInfo]]:
        if evaluable(query):
            return self._pairs(self._docsets.evaluate(query), access)
        return self._pairs(self._scored_by_whoosh(query).keys(), access)

    def rank(self, query, handles: set, limit: int) -> list[tuple[int, float]]:
        if not handles or limit <= 0:
            return []
        scores = local_scores(query, handles, self._scores, self._docsets.evaluate)
        if scores is None and not evaluable(query):
            everything = self._scored_by_whoosh(query)
            scores = {docnum: everything[docnum] for docnum in handles if docnum in everything}
        elif scores is None:  # prefixes: Whoosh's matchers score them, over the authorized documents only
            results = self.searcher.search(query, filter=handles, limit=limit)
            return [(hit.docnum, hit.score) for hit in results]
        return heapq.nlargest(limit, scores.items(), key=itemgetter(1))

    def term_documents(self, term: str, access: AccessKey | None) -> list[tuple[int, DocInfo]]:
        return self._pairs(self._docsets.term(QUERY_FIELD, term), access)

    def similar_terms(self, term: str, maxdist: int) -> list[str]:
        return list(self.searcher.reader().terms_within(QUERY_FIELD, term, maxdist, prefix=1))


class _WhooshWriter(IndexWriter):
    def __init__(self, backend: "WhooshBackend", writer):
        self._backend, self._writer = backend, writer
        self.changed = False

    def update(self, document: Document) -> None:
        self._writer.update_document(**self._backend._fields(document))
        self.changed = True

    def remove(self, key: str) -> None:
        self._writer.delete_by_term("key", key)
        self.changed = True


class _ThreadState(threading.local):
    searcher = None
    generation = -1
    infos: list = []
    prefilters: OrderedDict


class WhooshBackend(SearchBackend):
    """Whoosh index in a directory; one instance per process and directory (see get_backend)."""

    def __init__(self, index_dir: str | os.PathLike):
        self.index_dir = Path(index_dir)
        self.schema = build_schema()
        self._ix = None
        self._open_lock = threading.Lock()
        self._local = _ThreadState()
        self._segments = _SegmentCache()
        self._parser = self._make_parser()

    # ------------------------------------------------------------ opening

    def _index(self):
        with self._open_lock:
            if self._ix is None:
                self.index_dir.mkdir(parents=True, exist_ok=True)
                # Two workers starting at once must not both create (and so empty) the index.
                with open(self.index_dir / ".create.lock", "w") as guard:
                    fcntl.flock(guard, fcntl.LOCK_EX)
                    try:
                        if whoosh_index.exists_in(str(self.index_dir)):
                            self._ix = whoosh_index.open_dir(str(self.index_dir))
                            if sorted(self._ix.schema.names()) != sorted(self.schema.names()):
                                # An index written by another version of this code: start empty, never 500.
                                log.error("search index schema changed: index emptied; run `flask search rebuild`")
                                self._ix = whoosh_index.create_in(str(self.index_dir), self.schema)
                        else:
                            self._ix = whoosh_index.create_in(str(self.index_dir), self.schema)
                    finally:
                        fcntl.flock(guard, fcntl.LOCK_UN)
            return self._ix

    @contextmanager
    def snapshot(self) -> Iterator[WhooshSnapshot]:
        state = self._local
        ix = self._index()
        if state.searcher is None or not state.searcher.up_to_date():
            # Forget the old searcher first: if opening fails, nothing keeps a closed searcher; the next request opens.
            stale, state.searcher = state.searcher, None
            state.searcher = self._open_searcher(ix, stale=stale)
        generation = state.searcher.reader().generation()
        if generation != state.generation:
            state.infos = self._segments.infos(state.searcher)
            state.prefilters = OrderedDict()
            state.docsets = DocSets(state.searcher)
            state.scores = TermScores(state.searcher)
            state.generation = generation
        yield WhooshSnapshot(state.searcher, state.infos, state.prefilters, state.docsets, state.scores)

    @staticmethod
    def _open_searcher(ix, stale):
        """A searcher on the latest generation; `stale` (this thread's previous one) is closed.

        Not `Searcher.refresh()`: its reader reuse closes the old segment readers it did not take and, when a merge
        removes a segment file mid-open, retries with the same (now closed) readers, so a request under concurrent
        writes failed with ReaderClosed or searched a closed segment. Opening every segment afresh costs a few
        milliseconds once per index generation per thread.
        """
        try:
            return ix.searcher(weighting=LocalBM25F())
        finally:
            if stale is not None:
                stale.close()

    def close(self) -> None:
        """Close this thread's searcher (tests and CLI)."""
        if self._local.searcher is not None:
            self._local.searcher.close()
            self._local.searcher = None
            self._local.generation = -1

    # ------------------------------------------------------------ queries

    def _make_parser(self) -> QueryParser:
        parser = QueryParser(QUERY_FIELD, self.schema)
        # Field names, ranges, boosts, "*:*", single quotes and mid-word wildcards are not part of our language:
        # `tier:confidential` becomes the two plain words "tier" and "confidential".
        for plugin_class in (plugins.FieldsPlugin, plugins.RangePlugin, plugins.BoostPlugin, plugins.EveryPlugin,
                             plugins.SingleQuotePlugin):
            parser.remove_plugin_class(plugin_class)
        return parser

    def parse(self, text: str):
        return self._parser.parse(text)

    def term_for(self, word: str) -> str | None:
        tokens = [token.text for token in ANALYZER(word)]
        return tokens[0] if len(tokens) == 1 else None

    def query_words(self, query) -> list[str]:
        words = []
        for fieldname, term in query.iter_all_terms(phrases=True):
            if fieldname == QUERY_FIELD:
                words.append(term.decode("utf-8") if isinstance(term, bytes) else str(term))
        return sorted(set(words))

    def _prefixes(self, query) -> tuple[str, ...]:
        found = []
        for sub in query.leaves():
            if isinstance(sub, (wq.Prefix, wq.Wildcard)) and sub.fieldname == QUERY_FIELD:
                found.append(sub.text.rstrip("*?"))
        return tuple(sorted(set(p for p in found if p)))

    def highlight(self, text: str, words: Sequence[str] | Any, *, fragments: int = 2, query=None) -> str:
        """Excerpts of `text` with matched words in <mark>; all text is HTML-escaped."""
        prefixes = self._prefixes(query) if query is not None else ()
        return highlight(text, set(words), prefixes, ANALYZER, fragments=fragments)

    # ------------------------------------------------------------ writing

    def _writer(self, timeout: float, **kwargs):
        try:
            return self._index().writer(timeout=timeout, delay=0.02, **kwargs)
        except LockError as error:
            raise IndexBusy(f"search index locked by another writer for more than {timeout:.1f}s") from error

    def _fields(self, document: Document) -> dict[str, Any]:
        return {
            "key": document.info.key,
            "text": indexed_text(document),
            "meta": _meta(document),
        }

    @contextmanager
    def writer(self, *, timeout: float) -> Iterator[IndexWriter]:
        writer = self._writer(timeout)
        changes = _WhooshWriter(self, writer)
        try:
            yield changes
        except BaseException:
            _cancel(writer)  # releases the lock
            raise
        if not changes.changed:  # no new generation, so searchers keep their caches
            _cancel(writer)
            return
        try:
            writer.commit()
        except BaseException:
            _cancel(writer)
            raise

    def rebuild(self, documents: Iterable[Document], *, timeout: float) -> int:
        writer = self._writer(timeout, limitmb=512, procs=1)  # procs>1 can silently drop a worker's share
        written = 0
        try:
            for document in documents:
                writer.add_document(**self._fields(document))
                written += 1
            writer.commit(mergetype=writing.CLEAR)
        except BaseException:
            _cancel(writer)
            raise
        count = self.doc_count()
        if count != written:
            raise RebuildIncomplete(f"index holds {count} documents after rebuild, {written} were written")
        return count

    # ------------------------------------------------------------ inspection

    def doc_count(self) -> int:
        with self.snapshot() as snap:
            return snap.searcher.doc_count()

    def keys(self) -> set[str]:
        with self.snapshot() as snap:  # stored fields of live documents (cached infos may include deleted ones)
            return {stored["key"] for stored in snap.searcher.reader().all_stored_fields()}

    def fingerprints(self) -> dict[str, str]:
        with self.snapshot() as snap:
            found = {}
            for stored in snap.searcher.reader().all_stored_fields():
                found[stored["key"]] = json.loads(stored["meta"])[-1]
            return found

    def status(self) -> dict[str, Any]:
        ix = self._index()
        with self.snapshot() as snap:
            count = snap.searcher.doc_count()
        return {"backend": "whoosh", "documents": count, "generation": ix.latest_generation(),
                "last_modified": ix.last_modified()}


def _cancel(writer) -> None:
    """Abandon a write and make sure the lock is released whatever state the writer is in."""
    try:
        if not writer.is_closed:
            writer.cancel()
    except Exception:  # the lock must go even if cleaning up the segment failed
        log.exception("cancelling the search index writer failed")
    finally:
        lock = getattr(writer, "writelock", None)
        if lock is not None:
            try:
                lock.release()
            except Exception:
                pass


_BACKENDS: dict[str, WhooshBackend] = {}
_BACKENDS_LOCK = threading.Lock()


def backend_for_dir(index_dir: str) -> WhooshBackend:
    """The process-wide backend for an index directory."""
    key = str(Path(index_dir).resolve())
    with _BACKENDS_LOCK:
        if key not in _BACKENDS:
            _BACKENDS[key] = WhooshBackend(key)
        return _BACKENDS[key]
