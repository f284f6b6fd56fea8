"""What one search reads: a Whoosh searcher plus the per-generation caches built from it (see backend.py)."""
from __future__ import annotations

import heapq
import json
import threading
from collections import OrderedDict
from operator import itemgetter

from webapp.search.backend import AccessKey, DocInfo, Snapshot
from whoosh import query as wq

from webapp.search.whoosh.languages import TEXT_FIELDS
from webapp.search.whoosh.rank import TermScores, local_scores
from webapp.search.whoosh.scoring import QUERY_FIELD
from webapp.search.whoosh.sets import DocSets, evaluable

PREFILTER_CACHE_SIZE = 64


def _info(key: str, meta: str) -> DocInfo:
    kind, date, tier, group_id, org_id, paragraphs, stakeholder, stage, country, round_id, _fp = json.loads(meta)
    return DocInfo(key, kind, date, tier, group_id, org_id, tuple(paragraphs), stakeholder, stage, country, round_id)


class SegmentCache:
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
        self._pruned: dict[str, object] = {}
        self._fields_with_text: frozenset[str] | None = None

    def _without_empty_fields(self, query):
        """The query without its lookups in languages' fields that hold no text at all in this index (most
        archives have few translations): each word is then looked up where it can be found, not six times."""
        if self._fields_with_text is None:
            reader = self.searcher.reader()
            self._fields_with_text = frozenset(field for field in TEXT_FIELDS if reader.field_length(field) > 0)
        key = repr(query)
        pruned = self._pruned.get(key)
        if pruned is None:
            present = self._fields_with_text

            def prune(node):
                field = getattr(node, "fieldname", None)
                if field in TEXT_FIELDS and field not in present and node.is_leaf():
                    return wq.NullQuery
                return node

            pruned = self._pruned[key] = query.accept(prune).normalize()
        return pruned

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
        query = self._without_empty_fields(query)
        if evaluable(query):
            return self._pairs(self._docsets.evaluate(query), access)
        return self._pairs(self._scored_by_whoosh(query).keys(), access)

    def rank(self, query, handles: set, limit: int) -> list[tuple[int, float]]:
        if not handles or limit <= 0:
            return []
        query = self._without_empty_fields(query)
        scores = local_scores(query, handles, self._scores, self._docsets.evaluate)
        if scores is None and not evaluable(query):
            everything = self._scored_by_whoosh(query)
            scores = {docnum: everything[docnum] for docnum in handles if docnum in everything}
        elif scores is None:  # prefixes: Whoosh's matchers score them, over the authorized documents only
            results = self.searcher.search(query, filter=handles, limit=limit)
            return [(hit.docnum, hit.score) for hit in results]
        return heapq.nlargest(limit, scores.items(), key=itemgetter(1))

    def term_documents(self, term: str, access: AccessKey | None, limit: int | None = None
                       ) -> list[tuple[int, DocInfo]]:
        return self._pairs(self._docsets.term(QUERY_FIELD, term), access)[:limit]

    def similar_terms(self, term: str, maxdist: int) -> list[str]:
        return list(self.searcher.reader().terms_within(QUERY_FIELD, term, maxdist, prefix=1))
