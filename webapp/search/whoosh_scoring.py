"""Ranking that no hidden document can influence (DESIGN.md §4)."""
from __future__ import annotations

from whoosh import scoring

QUERY_FIELD = "text"


class LocalBM25F(scoring.WeightingModel):
    """BM25F without collection statistics (no idf, fixed average field lengths).

    A hit's score depends only on the query and that document, never on how many other documents — visible to
    this reader or not — contain a word. So documents a reader may not see cannot shift the order of those they
    may see (DESIGN.md §4: results as if the others did not exist)."""

    B, K1 = 0.75, 1.2
    AVERAGE_LENGTHS = {QUERY_FIELD: 300.0}

    def scorer(self, searcher, fieldname, text, qf=1):
        return _LocalScorer(searcher, fieldname, self.AVERAGE_LENGTHS.get(fieldname, 50.0), self.B, self.K1, qf)


class _LocalScorer(scoring.BaseScorer):
    def __init__(self, searcher, fieldname, average_length, b, k1, qf):
        self._searcher, self._fieldname = searcher, fieldname
        self._average, self._b, self._k1, self._qf = average_length, b, k1, qf

    def supports_block_quality(self):
        return True

    def block_quality(self, matcher):
        """An upper bound for the block (highest weight, shortest document), so whole blocks can be skipped."""
        weight = matcher.block_max_weight()
        norm = (1 - self._b) + self._b * matcher.block_min_length() / self._average
        return self._qf * weight * (self._k1 + 1) / (weight + self._k1 * norm)

    def max_quality(self):
        return self._qf * (self._k1 + 1)  # the BM25 saturation limit: no score of this term exceeds it

    def score(self, matcher):
        weight = matcher.weight()
        length = self._searcher.doc_field_length(matcher.id(), self._fieldname, 1)
        norm = (1 - self._b) + self._b * length / self._average
        return self._qf * weight * (self._k1 + 1) / (weight + self._k1 * norm)
