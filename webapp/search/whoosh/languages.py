"""Text in several languages (issue 13): one text field per language, each stemmed in its language.

The main field (`text`, English stemming) holds every document as before. A translation, and an original written
in another language, also go into that language's field, analysed with its own Snowball stemmer. The query parser
searches every field, so each word of a query becomes "this word, stemmed in each language" (one OR per word):
an item is found by the inflected words of any of its readable translations.

Every analyser drops the same (English) stop words and no others: a word is either left out of the query in every
field or kept in every field, so a French article never becomes a required term that English text lacks, and an
English stop word never becomes one in the French field. Arabic and Chinese have no working stemmer here (Whoosh's
ISRI Arabic stemmer fails on Python 3.11; Chinese needs word segmentation): their fields are lower-cased only.
"""
from __future__ import annotations

from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter, StemmingAnalyzer, StopFilter
from whoosh.fields import TEXT

from webapp.search.backend import Document
from webapp.search.whoosh.scoring import QUERY_FIELD

ANALYZER = StemmingAnalyzer()
# Languages with a field of their own, and whether Whoosh stems them.
_STEMMED = {"es": True, "fr": True, "ru": True, "ar": False, "zh": False}
LANGUAGE_FIELDS = {language: f"{QUERY_FIELD}_{language}" for language in sorted(_STEMMED)}
TEXT_FIELDS = (QUERY_FIELD, *LANGUAGE_FIELDS.values())


def _analyzer(language: str):
    chain = RegexTokenizer() | LowercaseFilter() | StopFilter()  # StopFilter's default list: English
    return chain | StemFilter(lang=language) if _STEMMED[language] else chain


def language_fields() -> dict[str, TEXT]:
    """The schema's per-language text fields."""
    return {field: TEXT(analyzer=_analyzer(language)) for language, field in LANGUAGE_FIELDS.items()}


def language_texts(document: Document) -> dict[str, str]:
    """Field name → text for the languages this document has text in besides the main field."""
    texts: dict[str, list[str]] = {}
    if document.language in LANGUAGE_FIELDS:
        texts.setdefault(LANGUAGE_FIELDS[document.language], []).extend(
            (document.title, document.title, document.body))
    for language, text in document.translations:
        if language in LANGUAGE_FIELDS:
            texts.setdefault(LANGUAGE_FIELDS[language], []).append(text)
    return {field: "\n".join(parts) for field, parts in texts.items()}
