"""The search use case: the index proposes, the database (policy.visible) decides, and only then is anything
counted, faceted, suggested, highlighted or shown (DESIGN.md §4).

Every figure a reader gets — hits, total, facet counts, the "did you mean" word, snippets — is computed from the
authorized set only, so it is exactly what it would be if the items the reader may not read did not exist.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy.orm import Session

from webapp.policy import Viewer
from webapp.search import engine, outbox_worker, repair, sources
from webapp.search.authorize import Authorizer
from webapp.search.backend import AccessKey, DocInfo, FacetCount, IndexUnavailable, Reader, object_key
from webapp.search.query import Filters, QueryError, SearchRequest, plain_words, validate_query

MAX_SUGGESTION_CANDIDATES = 300
SNIPPET_FALLBACK_CHARS = 220
SUGGEST_BELOW = 10


@dataclass
class Hit:
    """One authorized result as shown."""

    key: str
    kind: str
    title: str
    url: str
    tier: Any
    date: datetime | None
    byline: str | None
    snippet_html: str  # escaped text with <mark> around matched words
    context: str = ""


@dataclass
class FacetValue:
    value: str
    count: int


@dataclass
class SearchResult:
    """One page of results and what is known about the whole authorized set."""

    request: SearchRequest
    hits: list[Hit]
    total: int
    facets: dict[str, list[FacetValue]]
    suggestion: str | None = None
    pages: int = 0
    stats: dict[str, int] = field(default_factory=dict)


def access_key(viewer: Viewer) -> AccessKey:
    """The pre-filter key of a viewer (coarse; the database decides)."""
    return AccessKey(
        verified=viewer.is_verified,
        clearance=int(viewer.clearance),
        organisation_id=viewer.organisation_id,
        group_ids=frozenset(viewer.group_ids),
    )


def _passes(info: DocInfo, filters: Filters, start: int | None, end: int | None) -> bool:
    if filters.kinds and info.kind not in filters.kinds:
        return False
    if filters.paragraph is not None and filters.paragraph not in info.paragraphs:
        return False
    if filters.stakeholder and info.stakeholder != filters.stakeholder:
        return False
    if filters.stage and info.stage != filters.stage:
        return False
    if filters.country and info.country != filters.country:
        return False
    if filters.round_id is not None and info.round_id != filters.round_id:
        return False
    if start is not None and info.date < start:
        return False
    if end is not None and info.date > end:
        return False
    return True


def _small_cell_rounds(db: Session, viewer: Viewer, round_ids: set[int] | None) -> frozenset[int]:
    """The rounds among `round_ids` (None: among every round) whose counts by stakeholder type or country the
    small-cell rule protects for `viewer`."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from webapp.models import DialogueRound
    from webapp.policy.small_cells import rounds_under_the_rule

    # Only a Chatham House or hidden-roster round can be under the rule (small_cells_apply): the others are not
    # loaded, so "every round" is the few such rounds.
    stmt = select(DialogueRound).where(DialogueRound.chatham_house | DialogueRound.hidden_roster)
    if round_ids is not None:
        ids = sorted(round_id for round_id in round_ids if round_id is not None)
        if not ids:
            return frozenset()
        stmt = stmt.where(DialogueRound.id.in_(ids))
    return rounds_under_the_rule(viewer, db.scalars(stmt.options(selectinload(DialogueRound.facilitators))))


def _count_facets(infos: list[DocInfo]) -> list[FacetCount]:
    """Facet counts of authorized documents, per round (what a counting backend returns from its statement)."""
    counter: Counter = Counter()
    for info in infos:
        counter["kind", info.kind, None] += 1
        for number in info.paragraphs:
            counter["paragraph", str(number), None] += 1
        if info.stage:
            counter["stage", info.stage, None] += 1
        if info.stakeholder:
            counter["stakeholder", info.stakeholder, info.round_id] += 1
        if info.country:
            counter["country", info.country, info.round_id] += 1
    return [FacetCount(facet, value, round_id, count) for (facet, value, round_id), count in counter.items()]


def _protected_rounds(db: Session, viewer: Viewer, counts: list[FacetCount]) -> frozenset[int]:
    return _small_cell_rounds(db, viewer, {c.round_id for c in counts if c.facet in ("stakeholder", "country")})


def _by_type(filters: Filters) -> bool:
    """Is this a filter by stakeholder type or country (a count by type too, under the small-cell rule)?"""
    return bool(filters.stakeholder or filters.country)


def _excluded_by_type(db: Session, viewer: Viewer, filters: Filters) -> frozenset[int]:
    """The rounds whose documents a search must leave out before counting, known before any match: under a
    filter by type or country, every round the small-cell rule protects for this viewer (only the filtered round
    when there is one) — what _Run.authorized finds among its candidates' rounds, as their rounds are among
    these; nothing otherwise. A round the viewer may not read counts too: its synthesis may be readable."""
    if not _by_type(filters):
        return frozenset()
    return _small_cell_rounds(db, viewer, None if filters.round_id is None else {filters.round_id})


def _facets(counts: list[FacetCount], small_cell_rounds: frozenset[int] = frozenset()) -> dict[str, list[FacetValue]]:
    counters: dict[str, Counter] = {name: Counter() for name in ("kind", "paragraph", "stakeholder", "stage", "country")}
    for count in counts:
        if count.facet in ("stakeholder", "country") and count.round_id in small_cell_rounds:
            continue  # the small-cell rule (DESIGN.md rule 11): no count by type or country from such a round
        counters[count.facet][count.value] += count.count
    facets = {}
    for name, counter in counters.items():
        if name == "paragraph":
            ordered = sorted(counter.items(), key=lambda item: int(item[0]))
        else:
            ordered = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
        facets[name] = [FacetValue(value, count) for value, count in ordered]
    return facets


class _Run:
    """One search against one index snapshot, for one viewer."""

    def __init__(self, db: Session, viewer: Viewer, snapshot, backend):
        self.db, self.viewer, self.snap, self.backend = db, viewer, snapshot, backend
        self.access = access_key(viewer)
        self.authorizer = Authorizer(db, viewer)

    def allowed(self, infos) -> set[str]:
        """The keys among `infos` the viewer may read: decided by the database, in the snapshot's own statement
        when the backend applies the policy clause there (choosing the reading-level variant there too), else
        here in one batch per kind. Either way, of an object's variants only the viewer's own counts (tear lines)."""
        if self.snap.authorizes:
            return {info.key for info in infos}
        return self.authorizer.allowed(infos)

    def authorized(self, parsed, filters: Filters) -> list[tuple[Any, DocInfo]]:
        start, end = filters.epoch_range()
        candidates = [(h, i) for h, i in self.snap.matching(parsed, self.access) if _passes(i, filters, start, end)]
        if _by_type(filters):
            # A filter by type or country is a count by type too (its total is the facet's figure): a round whose
            # figures by type the small-cell rule protects for this viewer matches no such filter, as it adds to
            # no such facet — else "stakeholder=private_sector" would tell whether a company spoke in a hidden roster.
            protected = _small_cell_rounds(self.db, self.viewer, {info.round_id for _h, info in candidates})
            candidates = [(h, i) for h, i in candidates if i.round_id not in protected]
        allowed = self.allowed(info for _h, info in candidates)
        return [(h, i) for h, i in candidates if i.key in allowed]

    def readable_keys(self, term: str) -> list[str]:
        """Keys of the documents the viewer may read that contain the index term, in key order."""
        pairs = self.snap.term_documents(term, self.access)
        return sorted(self.allowed(info for _h, info in pairs))

    def has_readable(self, term: str) -> bool:
        """Does a document the viewer may read contain the index term? (One row, where the snapshot authorizes.)"""
        if self.snap.authorizes:  # its rows are the readable ones: one answers
            return bool(self.snap.term_documents(term, self.access, limit=1))
        return bool(self.readable_keys(term))

    def surface_form(self, term: str, keys: list[str]) -> str | None:
        """A word as written in a readable document (from the database) whose index term is `term`."""
        for key in keys[:3]:
            kind, object_id = object_key(key).split(":", 1)
            source = sources.get(kind)
            obj = source.load_visible(self.db, self.viewer, [int(object_id)]).get(int(object_id)) if source else None
            if obj is None:
                continue
            shown = source.present(obj, self.viewer)
            words = [word.lower() for word in re.findall(r"[^\W\d_]{3,40}", f"{shown.title} {shown.text}")]
            stems = self.backend.terms_for(list(dict.fromkeys(words)))
            for word in words:
                if stems.get(word) == term:
                    return word
        return None

    def readable_candidates(self, term: str, maxdist: int) -> list[tuple[int, int, str, list[str]]]:
        """(edit distance, -readable count, term, readable keys) of the index terms near `term` that a readable
        document contains. Every candidate is authorized in one batch BEFORE any cap applies, so terms only
        unreadable documents contain never take the place of a readable one."""
        candidates = sorted(set(self.snap.similar_terms(term, maxdist)) - {term})
        documents = self.snap.terms_documents(candidates, self.access)
        allowed = self.allowed(info for pairs in documents.values() for _h, info in pairs)
        ranked = []
        for candidate, pairs in documents.items():
            keys = sorted({info.key for _h, info in pairs if info.key in allowed})
            if keys:
                ranked.append((self.backend.edit_distance(term, candidate), -len(keys), candidate, keys))
        return sorted(ranked, key=lambda entry: entry[:3])[:MAX_SUGGESTION_CANDIDATES]

    def suggestion(self, text: str, filters: Filters) -> str | None:
        """A corrected query whose every replaced word, and the whole query, have authorized hits.

        Candidates come from the index's terms, but each is kept only if a document the viewer may read contains
        it, is ranked by edit distance and its *readable* document count, and is shown in a form written in such
        a document — so the suggestion is what it would be if the documents the viewer may not read did not exist."""
        corrected, changed = text, False
        words = plain_words(text)[:8]
        stems = self.backend.terms_for(words)
        for word in words:
            term = stems[word]
            if len(word) < 3 or term is None or self.has_readable(term):
                continue
            maxdist = 1 if len(term) <= 4 else 2
            ranked = self.readable_candidates(term, maxdist)
            if not ranked:
                continue
            best = min(ranked, key=lambda entry: entry[:3])
            surface = self.surface_form(best[2], best[3])
            if surface is None or surface == word:
                continue
            corrected = re.sub(rf"(?i)(?<![^\W_]){re.escape(word)}(?![^\W_])", surface, corrected)
            changed = True
        if not changed:
            return None
        try:
            parsed = self.backend.parse(validate_query(corrected))
        except QueryError:
            return None
        return corrected if self.authorized(parsed, filters) else None


def _by_relevance(snap, parsed, authorized, first: int, per_page: int) -> list[tuple[Any, DocInfo]]:
    """One page by score, ties broken by date and key — never by where a document sits in the index, which
    depends on every other document. Widens the scored window until no tie crosses the page's end."""
    need = first + per_page
    handles = {h for h, _i in authorized}
    limit = need + 10
    while True:
        scored = snap.rank(parsed, handles, limit)
        if len(scored) < limit or scored[-1][1] < scored[need - 1][1]:
            break
        limit *= 4
    info_of = dict(authorized)
    ordered = sorted(scored, key=lambda pair: (-pair[1], -info_of[pair[0]].date, info_of[pair[0]].key))
    return [(h, info_of[h]) for h, _score in ordered[first:need]]


def _snippet(marked: str, text: str) -> str:
    if marked:
        return marked
    plain = " ".join((text or "").split())
    if len(plain) > SNIPPET_FALLBACK_CHARS:
        plain = plain[:SNIPPET_FALLBACK_CHARS].rsplit(" ", 1)[0] + " …"
    return str(escape(plain))


def search(db: Session, viewer: Viewer, request: SearchRequest) -> SearchResult:
    """Run a validated search for `viewer` (repair.SearchUnavailable while the index is being repaired)."""
    app = current_app._get_current_object()
    backend = engine.backend(app)
    parsed = backend.parse(request.text)
    if backend.is_empty(parsed):
        raise QueryError(_("Your search has only very common words. Add a more specific word."))
    repair.check_searchable(app)
    outbox_worker.catch_up(app)
    try:
        return _search(db, viewer, request, backend, parsed)
    except IndexUnavailable as error:  # damaged between the check and the search
        raise repair.SearchUnavailable(str(error)) from error


def _search(db: Session, viewer: Viewer, request: SearchRequest, backend, parsed) -> SearchResult:
    with backend.snapshot(Reader(db, viewer)) as snap:
        run = _Run(db, viewer, snap, backend)
        first = (request.page - 1) * request.per_page
        excluded = _excluded_by_type(db, viewer, request.filters)
        counted = snap.counted_page(parsed, request.filters, request.sort, first, request.per_page, excluded)
        if counted is not None:  # counted, faceted and paged in the backend's statement
            total, page, counts = counted.total, counted.page, counted.counts
        else:
            total, page, counts = _count_here(snap, run, parsed, request, first)
        # Under a filter by type or country, the rounds `excluded` holds are every protected round the counts
        # could name, so the facets need no second look-up (_facets only asks whether a count's round is in it).
        facets = _facets(counts, excluded if _by_type(request.filters) else _protected_rounds(db, viewer, counts))
        # Only the authorized total decides whether to suggest, so the decision itself reveals nothing.
        suggestion = run.suggestion(request.text, request.filters) if total < SUGGEST_BELOW else None
        hits = _present(db, viewer, backend, parsed, page)
        stats = {"authorization_queries": run.authorizer.queries}
    pages = (total + request.per_page - 1) // request.per_page
    return SearchResult(request, hits, total, facets, suggestion, pages, stats)


def _count_here(snap, run: _Run, parsed, request: SearchRequest, first: int) -> tuple[int, list[DocInfo], list[FacetCount]]:
    """Total, page and facet counts from every authorized match, for a backend that does not count itself."""
    authorized = run.authorized(parsed, request.filters)
    infos = [info for _h, info in authorized]
    if first >= len(authorized):
        page_pairs: list[tuple[Any, DocInfo]] = []
    elif request.sort == "relevance":
        page_pairs = _by_relevance(snap, parsed, authorized, first, request.per_page)
    else:
        newest = request.sort == "newest"
        ordered = sorted(authorized, key=lambda pair: (pair[1].date, pair[1].key), reverse=newest)
        page_pairs = ordered[first : first + request.per_page]
    return len(authorized), [info for _h, info in page_pairs], _count_facets(infos)


def _present(db: Session, viewer: Viewer, backend, parsed, infos: list[DocInfo]) -> list[Hit]:
    words = backend.query_words(parsed)
    by_kind: dict[str, list[int]] = {}
    for info in infos:
        by_kind.setdefault(info.source, []).append(info.object_id)
    loaded: dict[str, Any] = {}
    for kind, ids in by_kind.items():
        source = sources.get(kind)
        if source is None:
            continue
        for object_id, obj in source.load_visible(db, viewer, ids).items():
            loaded[f"{kind}:{object_id}"] = obj
    shown_hits = []
    for info in infos:
        obj = loaded.get(info.object_key)
        if obj is None:  # changed since the check a moment ago: it is not shown
            continue
        shown_hits.append((info, sources.get(info.source).present(obj, viewer)))
    # Snippets are cut only from the text present() gives this viewer.
    marked = backend.highlight_many([shown.text for _info, shown in shown_hits], words, query=parsed)
    return [
        Hit(info.object_key, shown.kind, shown.title, shown.url, shown.tier, shown.date, shown.byline,
            _snippet(snippet, shown.text), shown.context)
        for (info, shown), snippet in zip(shown_hits, marked)
    ]


def to_json(result: SearchResult) -> dict[str, Any]:
    """The JSON body of /api/search."""
    return {
        "query": result.request.text,
        "filters": result.request.filters.as_args(),
        "sort": result.request.sort,
        "page": result.request.page,
        "per_page": result.request.per_page,
        "pages": result.pages,
        "total": result.total,
        "suggestion": result.suggestion,
        "facets": {name: [{"value": v.value, "count": v.count} for v in values] for name, values in result.facets.items()},
        "results": [
            {
                "kind": hit.kind,
                "title": hit.title,
                "url": hit.url,
                "tier": hit.tier.code,
                "tlp": hit.tier.tlp,
                "date": hit.date.astimezone(timezone.utc).isoformat() if hit.date else None,
                "byline": hit.byline,
                "context": hit.context,
                "snippet_html": hit.snippet_html,
            }
            for hit in result.hits
        ],
    }
