"""Search: the page (/search), the same search as JSON (/api/search), and the index's health."""
from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Blueprint, abort, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp import navigation, paragraph_listing, queries
from webapp.auth import current_viewer
from webapp.db import session
from webapp.forms.countries import country_choices
from webapp.paragraph_listing import ParagraphSection
from webapp.search import engine, outbox_worker, repair, service, sources
from webapp.search.labels import FACET_TITLES, KIND_LABELS, STAGE_LABELS
from webapp.search.query import QueryError, parse_request

bp = Blueprint("search", __name__)
_UNAVAILABLE = _l("Search is being repaired; try again in a few minutes.")
navigation.add("search.search", _l("Search"), 25)
sources.load_sources()


def _paragraph_search(_db, _viewer, number: int) -> ParagraphSection:
    """A "search within this paragraph" box on every paragraph page (no content, so nothing to filter)."""
    section = ParagraphSection(key="search", title=str(_l("Search within this paragraph")),
                               template="search/_paragraph_search.html")
    section.items = [number]
    return section


paragraph_listing.register("zz_search", _paragraph_search)


def _vocabulary() -> dict:
    stakeholders = queries.stakeholder_types(session())
    return {
        "kinds": sources.display_kinds(),
        "stakeholders": [t.code for t in stakeholders],
        "stages": list(STAGE_LABELS),
        "countries": {code for code, _name in country_choices()},
        "stakeholder_labels": {t.code: t.display_label for t in stakeholders},
    }


def _labels(vocabulary: dict) -> dict:
    countries = dict(country_choices())
    return {
        "kind": {k: str(v) for k, v in KIND_LABELS.items()},
        "stage": {k: str(v) for k, v in STAGE_LABELS.items()},
        "stakeholder": vocabulary["stakeholder_labels"],
        "country": countries,
        "titles": {k: str(v) for k, v in FACET_TITLES.items()},
    }


def _require_utf8() -> None:
    """Werkzeug leaves undecodable %-escapes as they are; a reader deserves to know the text was garbled."""
    try:
        raw = request.query_string.decode("utf-8")
        parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise QueryError(_("The search contains bytes that are not valid UTF-8 text. Please retype it.")) from None


def _run():
    _require_utf8()
    vocabulary = _vocabulary()
    search_request = parse_request(
        request.args, kinds=vocabulary["kinds"], stakeholders=vocabulary["stakeholders"],
        stages=vocabulary["stages"], countries=vocabulary["countries"],
    )
    return search_request, service.search(session(), current_viewer(), search_request), vocabulary


@bp.get("/search")
def search():
    """The search page; without q it shows only the form."""
    vocabulary = _vocabulary()
    context = {"labels": _labels(vocabulary), "vocabulary": vocabulary,
               "paragraphs": queries.all_paragraphs(session()), "args": request.args}
    if "q" not in request.args:
        return render_template("search/search.html", result=None, error=None, **context)
    try:
        _request, result, _vocabulary_again = _run()
    except QueryError as error:
        return render_template("search/search.html", result=None, error=error.message, **context), 400
    except repair.SearchUnavailable:
        return render_template("search/search.html", result=None, error=None, unavailable=_UNAVAILABLE, **context), 503
    return render_template("search/search.html", result=result, error=None, **context)


@bp.get("/api/search")
def api():
    """The same search as JSON."""
    try:
        _request, result, _vocabulary = _run()
    except QueryError as error:
        abort(400, description=error.message)
    except repair.SearchUnavailable:
        return jsonify(error=str(_UNAVAILABLE), status="unavailable"), 503
    return jsonify(service.to_json(result))


def _may_see_index_figures() -> bool:
    """Figures about the whole index (incl. items a reader may not see) are for admins only: a client address
    proves nothing (behind a proxy every request comes from loopback; without one X-Forwarded-For is the client's)."""
    return current_viewer().is_admin


@bp.get("/api/health/search")
def health():
    """Index and outbox state, no content: {status, documents, outbox_backlog, oldest_queued_at, last_applied_at}."""
    app = current_app._get_current_object()
    try:
        state = engine.backend(app).status()
        backlog, oldest = outbox_worker.backlog(app)
    except Exception:
        current_app.logger.exception("search health check failed")
        return jsonify(status="unavailable"), 503
    from webapp.models import utcnow

    stale = oldest is not None and (utcnow() - oldest).total_seconds() > app.config.get("SEARCH_STALE_SECONDS", 60)
    body = {"status": "degraded" if stale else "ok"}
    if _may_see_index_figures():
        from datetime import datetime, timezone

        last = state.get("last_modified")
        body.update(
            backend=state.get("backend"),
            documents=state.get("documents"),
            outbox_backlog=backlog,
            oldest_queued_at=oldest.isoformat() if oldest else None,
            last_applied_at=datetime.fromtimestamp(last, timezone.utc).isoformat() if last else None,
        )
    return jsonify(body)


@bp.app_template_global()
def search_url(**changes) -> str:
    """The current search's URL with some arguments changed (None removes one); page resets unless given."""
    args = {k: v for k, v in request.args.items() if v != ""}
    if "page" not in changes:
        args.pop("page", None)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for("search.search", **args)
