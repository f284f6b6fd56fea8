"""Scores for the authorized hits of a boolean query, computed from whole posting blocks.

Ranking with Whoosh's collector walks the matcher tree one document at a time in Python: for two common words
that is most of a search (measured ~50 % of a `human oversight` request over 20,000 items). The ranking model is
local (LocalBM25F: a score depends only on the query and the document), so each term's per-document scores are
computed once per index generation from its posting blocks, and a query's scores are summed from them the way
Whoosh's matchers sum them: And and Or add their children's scores, a Not inside an And adds 1, AndNot keeps its
positive side's. Anything else (phrases, prefixes, boosts) returns None and Whoosh ranks it.
"""
from __future__ import annotations

from collections import OrderedDict

from whoosh import query as wq

from webapp.search.whoosh.scoring import LocalBM25F, local_bm25
from webapp.search.whoosh.sets import leaf_postings

SCORE_CACHE_SIZE = 48


class Unsupported(Exception):
    """The query has a part whose score Whoosh computes otherwise (phrase, prefix, boost, …)."""


def _raw_postings(matcher) -> list[tuple[int, float]]:
    """(id, weight) of a leaf posting matcher, a block at a time (Whoosh 2.7 codec internals)."""
    if not all(hasattr(matcher, name) for name in ("_read_ids", "_read_weights", "_next_block")):
        raise Unsupported("posting format")
    pairs: list[tuple[int, float]] = []
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        if matcher._weights is None:
            matcher._read_weights()
        start = matcher._i
        pairs.extend(zip(matcher._ids[start:], matcher._weights[start:]))
        matcher._next_block()
    return pairs


class TermScores:
    """Term → {global document number: that term's score there} for one searcher (one index generation).

    LocalBM25F makes a term's score in a document independent of everything else, so it is computed once per
    term and generation, then summed per query."""

    def __init__(self, searcher):
        self.searcher = searcher
        self._cache: OrderedDict = OrderedDict()
        self._model = LocalBM25F()

    def of(self, fieldname: str, text) -> dict[int, float]:
        key = (fieldname, text)
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
            return found
        model = self._model
        average = model.AVERAGE_LENGTHS.get(fieldname, 50.0)
        found = {}
        for leaf, offset, matcher, deleted in leaf_postings(self.searcher, fieldname, text):
            for docnum, weight in _raw_postings(matcher):
                if docnum not in deleted:
                    length = leaf.doc_field_length(docnum, fieldname, 1)
                    found[docnum + offset] = local_bm25(weight, length, average, model.B, model.K1)
        self._cache[key] = found
        while len(self._cache) > SCORE_CACHE_SIZE:
            self._cache.popitem(last=False)
        return found


def local_scores(query, handles: set[int], terms: TermScores, matching) -> dict[int, float] | None:
    """Score of every document of `handles` that `query` matches, or None when Whoosh must rank it.

    `matching(subquery)` gives the documents a subquery matches (for the negative side of AndNot and Not)."""

    def score(node) -> dict[int, float]:
        if getattr(node, "boost", 1.0) != 1.0:
            raise Unsupported("boost")
        if isinstance(node, wq.Term):
            term = terms.of(node.fieldname, node.text)
            shared = handles & term.keys() if len(term) > len(handles) else term.keys() & handles
            return {docnum: term[docnum] for docnum in shared}
        if type(node) is wq.Or:
            if node.minmatch or getattr(node, "scale", None):
                raise Unsupported("coordinated or")
            total: dict[int, float] = {}
            for sub in node.subqueries:
                for docnum, value in score(sub).items():
                    total[docnum] = total.get(docnum, 0.0) + value
            return total
        if type(node) is wq.And:
            positives = [sub for sub in node.subqueries if not isinstance(sub, wq.Not)]
            negatives = [sub.query for sub in node.subqueries if isinstance(sub, wq.Not)]
            if not positives:
                return {}
            parts = [score(sub) for sub in positives]
            common = set(parts[0]).intersection(*parts[1:])
            for sub in negatives:
                common -= matching(sub)
            # Whoosh's matcher for a Not inside an And (InverseMatcher) scores 1.0 wherever it matches.
            return {docnum: sum(part[docnum] for part in parts) + len(negatives) for docnum in common}
        if type(node) is wq.AndNot:
            excluded = matching(node.b)
            return {docnum: value for docnum, value in score(node.a).items() if docnum not in excluded}
        raise Unsupported(type(node).__name__)

    try:
        return score(query)
    except Unsupported:
        return None
