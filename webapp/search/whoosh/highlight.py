"""Snippets: excerpts of a hit's readable text (from the database) with the query's words marked."""
from __future__ import annotations

import re

from whoosh.highlight import ContextFragmenter, HtmlFormatter


class MarkFormatter(HtmlFormatter):
    """<mark> around matched words; Whoosh escapes all text around them."""

    template = "<%(tag)s>%(t)s</%(tag)s>"

    def __init__(self) -> None:
        super().__init__(tagname="mark", between=" … ")


class _MatchTerms:
    """Matched-term test for highlighting: exact stemmed terms plus trailing-wildcard prefixes."""

    def __init__(self, terms: set[str], prefixes: tuple[str, ...]):
        self.terms, self.prefixes = terms, prefixes

    def __contains__(self, text: str) -> bool:
        return text in self.terms or (bool(self.prefixes) and text.startswith(self.prefixes))


def highlight(text: str, terms: set[str], prefixes: tuple[str, ...], analyzer, *, fragments: int = 2) -> str:
    """Excerpts of `text` with matched words in <mark>; all text is HTML-escaped by the formatter."""
    if not text:
        return ""
    matcher = _MatchTerms(terms, prefixes)
    tokens = []
    for start, end in _windows(text, terms, prefixes):
        # Only the text around likely matches is analysed: stemming a whole long item per hit is slow.
        for token in analyzer(text[start:end], chars=True, mode="query", removestops=False):
            token.matched = token.text in matcher
            copy = token.copy()
            copy.startchar += start
            copy.endchar += start
            tokens.append(copy)
    if not any(token.matched for token in tokens):
        return ""
    fragmenter = ContextFragmenter(maxchars=180, surround=50)
    # Whoosh's top_fragments breaks ties by object id (random); ours by position, so snippets are stable.
    candidates = [f for f in fragmenter.fragment_tokens(text, iter(tokens)) if _score_fragment(f) >= 1]
    best = sorted(candidates, key=lambda f: (-_score_fragment(f), f.startchar))[:fragments]
    best.sort(key=lambda f: f.startchar)
    return MarkFormatter().format(best)


def _windows(text: str, terms: set[str], prefixes: tuple[str, ...], limit: int = 12) -> list[tuple[int, int]]:
    """Merged character windows around the first `limit` places where a query word may occur.

    A stem minus its last letter is a prefix of (nearly) every surface form (happi → "happy", autonom →
    "autonomous"); the analyser then decides exactly which tokens match."""
    keys = {term[: max(3, len(term) - 1)] for term in terms if term} | {p for p in prefixes if p}
    if not keys:
        return []
    pattern = re.compile(
        r"(?<![^\W_])(?:" + "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True)) + ")",
        re.IGNORECASE,
    )
    windows: list[tuple[int, int]] = []
    for count, match in enumerate(pattern.finditer(text)):
        if count >= limit:
            break
        start = text.rfind(" ", 0, max(0, match.start() - 120)) + 1
        end = text.find(" ", min(len(text), match.end() + 160))
        end = len(text) if end == -1 else end
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(end, windows[-1][1]))
        else:
            windows.append((start, end))
    return windows


def _score_fragment(fragment) -> float:
    return float(sum(1 for token in fragment.matches))
