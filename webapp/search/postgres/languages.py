"""Text search configurations per language (issue 13; created by migration 0028).

A document's title and body are analysed in the language the item was written in, and each readable translation
in its own; a query word becomes "this word in each configuration" (one OR per word, tsquery.py). Every
configuration drops the English stop words and no others, as `english` does, so a word is left out of a query by
every configuration or kept by every one: a French article never becomes a required term that English text
lacks. Chinese has no stemmer or word segmenter in PostgreSQL: `reaim_simple` lower-cases and matches whole
runs of characters.
"""
from __future__ import annotations

from collections.abc import Iterable

CONFIGS = {"en": "english", "fr": "reaim_french", "es": "reaim_spanish", "ru": "reaim_russian",
           "ar": "reaim_arabic", "zh": "reaim_simple"}
DEFAULT = CONFIGS["en"]
# The configurations a query word is looked up in (the default first: its stop words decide for all).
QUERY_CONFIGS = tuple(dict.fromkeys([DEFAULT, *CONFIGS.values()]))


def config_for(language: str | None) -> str:
    """The configuration of a language (English for an unknown one)."""
    return CONFIGS.get(language or "", DEFAULT)


def texts_by_config(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """(language, text) pairs joined per configuration, with a (possibly empty) entry for every configuration."""
    joined: dict[str, list[str]] = {config: [] for config in QUERY_CONFIGS}
    for language, text in pairs:
        joined[config_for(language)].append(text)
    return {config: "\n\n".join(parts) for config, parts in joined.items()}
