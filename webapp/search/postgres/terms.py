"""Index terms near a misspelt one, for "did you mean": the lexeme table, read by first letter and length.

No extension is needed (pg_trgm would only pre-filter; the edit distance decides anyway), and the distance is
the one the Whoosh backend uses (Damerau–Levenshtein with adjacent transpositions), so both engines offer the
same corrections. Which documents contain a candidate, and whether the reader may read them, is asked afterwards
through the policy clause: a term here proves nothing about any document.
"""
from __future__ import annotations

from sqlalchemy import select

from webapp.models import SearchTerm


def edit_distance(word: str, other: str) -> int:
    """Edits (insert, delete, substitute, transpose adjacent) that turn `word` into `other`."""
    if word == other:
        return 0
    previous2: list[int] = []
    previous = list(range(len(other) + 1))
    for i, char in enumerate(word, 1):
        current = [i] + [0] * len(other)
        for j, other_char in enumerate(other, 1):
            cost = 0 if char == other_char else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char == other[j - 2] and word[i - 2] == other_char:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def similar(connection, term: str, maxdist: int) -> list[str]:
    """Index terms within `maxdist` edits of `term` that share its first letter."""
    if not term:
        return []
    stmt = select(SearchTerm.term).where(
        SearchTerm.initial == term[0],
        SearchTerm.length.between(len(term) - maxdist, len(term) + maxdist),
    )
    return [candidate for candidate in connection.scalars(stmt) if edit_distance(term, candidate) <= maxdist]
