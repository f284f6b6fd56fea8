"""Reading a user's search request safely: the query text and the filters, each refused with a clear message.

The language: words (stemmed), "phrases", AND / OR / NOT, parentheses, and a trailing * on a word of at least
three letters. Field names are not part of it: `tier:confidential` is the two plain words "tier" and
"confidential". Everything that could make the engine expand or scan without bound is refused before parsing.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone

from flask_babel import gettext as _

from webapp.ids import MAX_ID, parse_number

MAX_QUERY_CHARS = 500
MAX_TERMS = 40
MAX_DEPTH = 8
MAX_PAGE = 1000
PER_PAGE = 20
SORTS = ("relevance", "newest", "oldest")
OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
_WORD = re.compile(r'"[^"]*"|[()]|[^\s()"]+')


class QueryError(ValueError):
    """A request that cannot be searched; the message tells the reader what to change."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def clean_text(raw: str | None) -> str:
    """Normalise the query text: NFC, no control characters, collapsed whitespace."""
    if raw is None:
        return ""
    if "\ufffd" in raw:
        raise QueryError(_("The search text contains bytes that are not valid UTF-8 text. Please retype it."))
    text = unicodedata.normalize("NFC", raw)
    text = "".join(" " if unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} else ch for ch in text)
    return " ".join(text.split())


def validate_query(raw: str | None) -> str:
    """The cleaned query text, or QueryError with the reason it cannot be searched."""
    if raw is not None and len(raw) > MAX_QUERY_CHARS * 4:
        raise QueryError(_("Search text is limited to %(n)s characters.", n=MAX_QUERY_CHARS))
    text = clean_text(raw)
    if not text:
        raise QueryError(_("Enter one or more words to search for."))
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(_("Search text is limited to %(n)s characters.", n=MAX_QUERY_CHARS))
    if text.count('"') % 2:
        raise QueryError(_("A quotation mark is not closed. Close the phrase with a second \" or remove it."))
    depth = 0
    for char in _outside_phrases(text):
        if char == "(":
            depth += 1
            if depth > MAX_DEPTH:
                raise QueryError(_("Too many nested parentheses (at most %(n)s levels).", n=MAX_DEPTH))
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise QueryError(_("A closing parenthesis has no opening one. Remove it or add a \"(\"."))
    if depth:
        raise QueryError(_("A parenthesis is not closed. Add a \")\" or remove the \"(\"."))
    tokens = _WORD.findall(text)
    words = [t for t in tokens if t not in {"(", ")"} and t not in OPERATORS]
    if len(words) > MAX_TERMS:
        raise QueryError(_("Too many words: search with at most %(n)s words or phrases.", n=MAX_TERMS))
    for token in words:
        if token.startswith('"'):
            if "*" in token or "?" in token:
                raise QueryError(_("Wildcards (* and ?) cannot be used inside a phrase."))
            continue
        _check_wildcards(token)
    if not any(any(ch.isalnum() for ch in token) for token in words):
        raise QueryError(_("Enter one or more words to search for."))
    return text


def _outside_phrases(text: str) -> str:
    return "".join(part for index, part in enumerate(text.split('"')) if index % 2 == 0)


def _check_wildcards(token: str) -> None:
    if "?" in token:
        raise QueryError(_("The ? wildcard is not supported. Use * at the end of a word, e.g. autonom*."))
    if "*" not in token:
        return
    stem = token.rstrip("*")
    if not stem:
        raise QueryError(_("A search for * alone would match everything. Enter words to search for."))
    if token.startswith("*") or "*" in stem:
        raise QueryError(_("A * can only end a word (e.g. autonom*), not start it or sit inside it."))
    if sum(ch.isalnum() for ch in stem) < 3:
        raise QueryError(_("Put at least three letters before a * (e.g. aut*)."))


def plain_words(text: str) -> list[str]:
    """The plain words of a validated query (no operators, no wildcard words), lower-case, in order."""
    found = []
    for token in _WORD.findall(text):
        if token in {"(", ")"} or token in OPERATORS or "*" in token:
            continue
        found.extend(word.lower() for word in re.findall(r"[^\W_]+", token))
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class Filters:
    """The browse filters, validated; None/empty means "any"."""

    kinds: tuple[str, ...] = ()
    paragraph: int | None = None
    stakeholder: str | None = None
    stage: str | None = None
    country: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    round_id: int | None = None  # scope: search within one dialogue round

    def epoch_range(self) -> tuple[int | None, int | None]:
        """[from 00:00, to 24:00) in seconds since the epoch (UTC)."""
        start = int(datetime.combine(self.date_from, time.min, timezone.utc).timestamp()) if self.date_from else None
        end = int(datetime.combine(self.date_to, time.max, timezone.utc).timestamp()) if self.date_to else None
        return start, end

    def as_args(self) -> dict[str, str]:
        """The filters as query-string arguments (for links that keep them)."""
        args: dict[str, str] = {}
        if self.kinds:
            args["kind"] = self.kinds[0] if len(self.kinds) == 1 else ",".join(self.kinds)
        for name in ("paragraph", "stakeholder", "stage", "country", "round_id"):
            value = getattr(self, name)
            if value is not None:
                args["round" if name == "round_id" else name] = str(value)
        if self.date_from:
            args["from"] = self.date_from.isoformat()
        if self.date_to:
            args["to"] = self.date_to.isoformat()
        return args


@dataclass(frozen=True)
class SearchRequest:
    """A validated search: text, filters, sort and page."""

    text: str
    filters: Filters = field(default_factory=Filters)
    sort: str = "relevance"
    page: int = 1
    per_page: int = PER_PAGE


def _int(value: str, message: str, low: int, high: int) -> int:
    number = parse_number(value.strip()) if isinstance(value, str) else None
    if number is None or not low <= number <= high:
        raise QueryError(message)
    return number


def _date(value: str, message: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise QueryError(message) from None


def parse_request(args, *, kinds: list[str], stakeholders: list[str], stages: list[str], countries: set[str]) -> SearchRequest:
    """Validate the query string arguments of /search and /api/search."""
    text = validate_query(args.get("q"))

    def arg(name: str) -> str | None:
        value = args.get(name)
        if value is None or not value.strip():
            return None
        if "\ufffd" in value:
            raise QueryError(_("A filter contains bytes that are not valid UTF-8 text."))
        return value.strip()

    selected_kinds: tuple[str, ...] = ()
    if arg("kind"):
        selected_kinds = tuple(dict.fromkeys(part.strip() for part in arg("kind").split(",") if part.strip()))
        unknown = [k for k in selected_kinds if k not in kinds]
        if unknown or len(selected_kinds) > len(kinds):
            raise QueryError(_("Unknown kind of content. Choose one of: %(kinds)s.", kinds=", ".join(kinds)))
    paragraph = _int(arg("paragraph"), _("The Call paragraph must be a number from 1 to 25."), 1, 25) if arg("paragraph") else None
    stakeholder = arg("stakeholder")
    if stakeholder is not None and stakeholder not in stakeholders:
        raise QueryError(_("Unknown stakeholder type. Choose one of: %(v)s.", v=", ".join(stakeholders)))
    stage = arg("stage")
    if stage is not None and stage not in stages:
        raise QueryError(_("Unknown lifecycle stage. Choose one of: %(v)s.", v=", ".join(stages)))
    country = arg("country")
    if country is not None:
        country = country.upper()
        if country not in countries:
            raise QueryError(_("Unknown country: use a two-letter ISO 3166-1 code such as NL or KE."))
    date_from = _date(arg("from"), _("The start date must be a date like 2025-01-31.")) if arg("from") else None
    date_to = _date(arg("to"), _("The end date must be a date like 2025-12-31.")) if arg("to") else None
    if date_from and date_to and date_from > date_to:
        raise QueryError(_("The start date is after the end date."))
    round_id = _int(arg("round"), _("The round must be given by its number."), 1, MAX_ID) if arg("round") else None
    sort = arg("sort") or "relevance"
    if sort not in SORTS:
        raise QueryError(_("Sort by one of: %(v)s.", v=", ".join(SORTS)))
    page = _int(arg("page"), _("The page must be a number from 1 to %(n)s.", n=MAX_PAGE), 1, MAX_PAGE) if arg("page") else 1
    filters = Filters(selected_kinds, paragraph, stakeholder, stage, country, date_from, date_to, round_id)
    return SearchRequest(text=text, filters=filters, sort=sort, page=page)
