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
- The index lives in versioned directories behind a pointer (storage.py): a rebuild writes a new version and swaps
  it in, so readers never see a half-built index; a missing or damaged version raises IndexUnavailable (searches
  say "being repaired", never 500) and a read-only directory is still searched (writes raise IndexReadOnly).
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh import writing
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.index import LockError
from whoosh.qparser import MultifieldParser, plugins
from whoosh.support.levenshtein import damerau_levenshtein

from webapp.search.backend import (
    Document,
    IndexBusy,
    IndexStamp,
    IndexUnavailable,
    IndexWriter,
    RebuildIncomplete,
    SearchBackend,
    fingerprint,
)
from webapp.search.whoosh.highlight import highlight
from webapp.search.whoosh.languages import ANALYZER, LANGUAGE_FIELDS, TEXT_FIELDS, language_fields, language_texts
from webapp.search.whoosh.rank import TermScores
from webapp.search.whoosh.scoring import LocalBM25F
from webapp.search.whoosh.sets import DocSets
from webapp.search.whoosh.snapshot import SegmentCache, WhooshSnapshot
from webapp.search.whoosh.storage import IndexRoot, has_index, read_stamp, write_stamp

log = logging.getLogger(__name__)




def build_schema() -> Schema:
    """One stemmed, phrase-capable text field (title twice, keywords, body), one more per other language
    (languages.py: translations, and originals written in that language), the unique key and the stored meta
    blob. One field for all the English text keeps matcher trees small: a two-word query over an English-only
    archive is one intersection, the other languages' fields holding none of its terms."""
    return Schema(
        key=ID(stored=True, unique=True),
        text=TEXT(analyzer=ANALYZER),
        meta=STORED(),
        **language_fields(),
    )


def indexed_text(document: Document) -> str:
    """The main field's text: the title twice (a title match is worth more than a body match), keywords, body, and
    English translations of an item written in another language (other languages have their own fields)."""
    return "\n".join((document.title, document.title, document.keywords, document.body,
                      *(text for language, text in document.translations if language not in LANGUAGE_FIELDS)))


def _meta(document: Document) -> str:
    info = document.info
    return json.dumps(
        [info.kind, info.date, info.tier, info.group_id, info.organisation_id, list(info.paragraphs),
         info.stakeholder, info.stage, info.country, info.round_id, fingerprint(document)],
        separators=(",", ":"),
    )


class _WhooshWriter(IndexWriter):
    def __init__(self, backend: "WhooshBackend", writer):
        self._backend, self._writer = backend, writer
        self.changed = False
        self.pending_stamp: IndexStamp | None = None

    def stamp(self, stamp: IndexStamp) -> None:
        self.pending_stamp = stamp
        self.changed = True

    def update(self, document: Document) -> None:
        self._writer.update_document(**self._backend._fields(document))
        self.changed = True

    def remove(self, key: str) -> None:
        self._writer.delete_by_term("key", key)
        self.changed = True

    def remove_keys(self, keys) -> None:
        # One deletion query (one searcher) for all of them: each delete_by_term opens its own.
        if keys:
            self._writer.delete_by_query(wq.Or([wq.Term("key", key) for key in keys]))
            self.changed = True


class _ThreadState(threading.local):
    ix = None
    searcher = None
    generation = -1
    infos: list = []
    prefilters: OrderedDict


class WhooshBackend(SearchBackend):
    """Whoosh index in a directory; one instance per process and directory (see get_backend)."""

    def __init__(self, index_dir: str | os.PathLike):
        self.index_dir = Path(index_dir)
        self.root = IndexRoot(self.index_dir)
        self.schema = build_schema()
        self._ix = None
        self._ix_version: Path | None = None
        self._pointer = None
        self._open_lock = threading.Lock()
        self._local = _ThreadState()
        self._segments = SegmentCache()
        self._parser = self._make_parser()

    # ------------------------------------------------------------ opening

    def _index(self, *, create: bool = False):
        """The current version's index, reopened when the pointer was swapped. A missing version is created
        (empty) only with `create`, which callers pass while holding the write lock."""
        with self._open_lock:
            pointer = self.root.pointer_token()
            if self._ix is not None and pointer == self._pointer and self._ix_version is not None \
                    and self._ix_version.exists():
                return self._ix
            version = self.root.current()
            if version is None or not has_index(version):
                if not create:
                    self._ix = None
                    raise IndexUnavailable(f"missing: no search index in {self.index_dir}")
                version = self.root.new_version()
                whoosh_index.create_in(str(version), self.schema)
                self.root.swap_to(version)
                pointer = self.root.pointer_token()
            try:
                ix = whoosh_index.open_dir(str(version))
            except Exception as error:  # a truncated table of contents, unreadable files
                self._ix = None
                raise IndexUnavailable(f"damaged: the index in {version} cannot be opened ({error!r:.200})") from error
            if sorted(ix.schema.names()) != sorted(self.schema.names()):
                self._ix = None
                raise IndexUnavailable(f"damaged: the index in {version} was written by another version of this code")
            self._ix, self._ix_version, self._pointer = ix, version, pointer
            return ix

    @contextmanager
    def snapshot(self, reader=None) -> Iterator[WhooshSnapshot]:  # the service authorizes Whoosh's candidates
        state = self._local
        ix = self._index()
        if state.searcher is None or state.ix is not ix or not state.searcher.up_to_date():
            # Forget the old searcher first: if opening fails, nothing keeps a closed searcher; the next request opens.
            stale, state.searcher = state.searcher, None
            try:
                state.searcher = self._open_searcher(ix, stale=stale)
            except Exception as error:  # a corrupt or vanished segment file
                raise IndexUnavailable(f"damaged: a segment of the index cannot be read ({error!r:.200})") from error
            state.ix, state.generation = ix, -1
        generation = state.searcher.reader().generation()
        if generation != state.generation:
            try:
                state.infos = self._segments.infos(state.searcher)
            except Exception as error:
                raise IndexUnavailable(f"damaged: stored fields cannot be read ({error!r:.200})") from error
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
        # Every word is looked up in every language's field, each stemming it in its language (languages.py).
        parser = MultifieldParser(list(TEXT_FIELDS), self.schema)
        # Field names, ranges, boosts, "*:*", single quotes and mid-word wildcards are not part of our language:
        # `tier:confidential` becomes the two plain words "tier" and "confidential".
        for plugin_class in (plugins.FieldsPlugin, plugins.RangePlugin, plugins.BoostPlugin, plugins.EveryPlugin,
                             plugins.SingleQuotePlugin):
            parser.remove_plugin_class(plugin_class)
        return parser

    def parse(self, text: str):
        return self._parser.parse(text)

    def is_empty(self, query) -> bool:
        return query is wq.NullQuery

    def edit_distance(self, word: str, other: str) -> int:
        return damerau_levenshtein(word, other)

    def term_for(self, word: str) -> str | None:
        tokens = [token.text for token in ANALYZER(word)]
        return tokens[0] if len(tokens) == 1 else None

    def query_words(self, query) -> list[str]:
        words = []
        for fieldname, term in query.iter_all_terms(phrases=True):
            if fieldname in TEXT_FIELDS:
                words.append(term.decode("utf-8") if isinstance(term, bytes) else str(term))
        return sorted(set(words))

    def _prefixes(self, query) -> tuple[str, ...]:
        found = []
        for sub in query.leaves():
            if isinstance(sub, (wq.Prefix, wq.Wildcard)) and sub.fieldname in TEXT_FIELDS:
                found.append(sub.text.rstrip("*?"))
        return tuple(sorted(set(p for p in found if p)))

    def highlight(self, text: str, words: Sequence[str] | Any, *, fragments: int = 2, query=None) -> str:
        """Excerpts of `text` with matched words in <mark>; all text is HTML-escaped."""
        prefixes = self._prefixes(query) if query is not None else ()
        return highlight(text, set(words), prefixes, ANALYZER, fragments=fragments)

    # ------------------------------------------------------------ writing

    def _writer(self, timeout: float, *, create: bool = True, **kwargs):
        try:
            return self._index(create=create).writer(timeout=timeout, delay=0.02, **kwargs)
        except LockError as error:
            raise IndexBusy(f"search index locked by another writer for more than {timeout:.1f}s") from error

    def _fields(self, document: Document) -> dict[str, Any]:
        return {
            "key": document.info.key,
            "text": indexed_text(document),
            "meta": _meta(document),
            **language_texts(document),
        }

    @contextmanager
    def writer(self, *, timeout: float, create: bool = True) -> Iterator[IndexWriter]:
        with self.root.write_lock(timeout):
            writer = self._writer(timeout, create=create)
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
                if changes.pending_stamp is not None:  # before the commit: a crash leaves the entries queued
                    write_stamp(self._ix_version, changes.pending_stamp)
                writer.commit()
            except BaseException:
                _cancel(writer)
                raise

    def rebuild(self, documents: Iterable[Document], *, timeout: float, stamp: IndexStamp | None = None) -> int:
        """Build a new version beside the current one, check it, then swap the pointer (readers never wait)."""
        with self.root.write_lock(timeout):
            previous = self.root.current()
            version = self.root.new_version()
            try:
                ix = whoosh_index.create_in(str(version), self.schema)
                writer = ix.writer(limitmb=512, procs=1)  # procs>1 can silently drop a worker's share
                written = 0
                try:
                    for document in documents:
                        writer.add_document(**self._fields(document))
                        written += 1
                    writer.commit()
                except BaseException:
                    _cancel(writer)
                    raise
                count = self._count_in(ix)
                if count != written:
                    raise RebuildIncomplete(f"index holds {count} documents after rebuild, {written} were written")
                if stamp is not None:
                    write_stamp(version, stamp)
                self.root.swap_to(version)
            except BaseException:
                shutil.rmtree(version, ignore_errors=True)
                raise
            if previous != self.index_dir:  # an unversioned index is kept as "the previous one" once too
                self.root.remove_old_versions({version} | ({previous} if previous is not None else set()))
                self.root.remove_legacy_files()
        return count  # each thread's searcher moves to the new version on its next search

    @staticmethod
    def _count_in(ix) -> int:
        with ix.searcher() as searcher:
            return searcher.doc_count()

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

    @property
    def keeps_separate_index(self) -> bool:
        return True

    def index_stamp(self) -> IndexStamp | None:
        version = self.root.current()
        return read_stamp(version) if version is not None else None

    def health(self) -> dict[str, Any]:
        """Opens the current version afresh from disk (a worker's open searcher would hide damage done since) and
        reads from it: missing or damaged → unavailable; read-only → degraded."""
        problems = []
        try:
            self._index()  # missing, unreadable table of contents, another schema
            _probe(self.root.current())
        except IndexUnavailable as error:
            problems.append({"code": str(error).split(":", 1)[0], "detail": str(error)})
        except Exception as error:
            problems.append({"code": "damaged", "detail": f"damaged: reading the index failed ({error!r:.200})"})
        if not self.root.writable():
            problems.append({"code": "read_only", "detail": f"read-only: {self.index_dir} is not writable by this "
                             "process; searches are served, changes wait for a writable worker or the job engine"})
        status = "unavailable" if any(p["code"] != "read_only" for p in problems) else (
            "degraded" if problems else "ok")
        return {"status": status, "problems": problems}

    def status(self) -> dict[str, Any]:
        ix = self._index()
        with self.snapshot() as snap:
            count = snap.searcher.doc_count()
        return {"backend": "whoosh", "documents": count, "generation": ix.latest_generation(),
                "last_modified": ix.last_modified()}


def _probe(version: Path) -> None:
    """Open a version as a new worker would, and read one stored document and one term of every segment."""
    ix = whoosh_index.open_dir(str(version))
    with ix.searcher() as searcher:
        for leaf, _offset in searcher.reader().leaf_readers():
            if leaf.doc_count_all():
                next(iter(leaf.all_stored_fields()), None)
                next(iter(leaf.all_terms()), None)


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
