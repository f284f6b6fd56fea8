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
    # Every language's text field is scored alike (languages.py), so a translation ranks as its original would.
    AVERAGE_LENGTHS = {QUERY_FIELD: 300.0, **{f"{QUERY_FIELD}_{code}": 300.0 for code in ("ar", "es", "fr", "ru", "zh")}}

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
        return local_bm25(matcher.block_max_weight(), matcher.block_min_length(), self._average, self._b, self._k1,
                          self._qf)

    def max_quality(self):
        return self._qf * (self._k1 + 1)  # the BM25 saturation limit: no score of this term exceeds it

    def score(self, matcher):
        length = self._searcher.doc_field_length(matcher.id(), self._fieldname, 1)
        return local_bm25(matcher.weight(), length, self._average, self._b, self._k1, self._qf)


def local_bm25(weight: float, length: float, average: float, b: float, k1: float, qf: float = 1) -> float:
    """One term's score in one document: its frequency there, saturated, normalised by the document's length.

    The one formula for Whoosh's matchers (_LocalScorer) and for rank.py's block-wise scoring, so both give
    the same number to the last bit."""
    norm = (1 - b) + b * length / average
    return qf * weight * (k1 + 1) / (weight + k1 * norm)
