"""Index health and self-repair, for every backend (DESIGN.md §4, "an index that heals itself").

What is wrong comes from two places: the backend itself (missing, damaged, read-only: `backend.health()`) and the
comparison of the index's stamp with this database (identity.problems). Searches on an unusable index raise
SearchUnavailable (the views answer 503 with a plain message); the job engine's periodic job rebuilds it.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from webapp.search import engine, identity
from webapp.search.backend import IndexBusy, IndexUnavailable

log = logging.getLogger(__name__)


class SearchUnavailable(Exception):
    """The index cannot answer now (missing, damaged or out of step); it is being rebuilt."""


def _create_if_never_built(app: Flask, backend) -> bool:
    """A missing index of a database that was never indexed is simply not built yet: create it empty."""
    if not identity.never_indexed(app):
        return False
    try:
        with backend.writer(timeout=float(app.config.get("SEARCH_LOCK_TIMEOUT", 1.0)), create=True):
            pass
    except IndexBusy:  # read-only or busy: another worker or the job engine creates it
        return False
    return True


def check_searchable(app: Flask) -> None:
    """Before a search: raise SearchUnavailable unless the index opens and is in step with this database."""
    backend = engine.backend(app)
    if not backend.keeps_separate_index:
        return
    try:
        with backend.snapshot():
            pass
    except IndexUnavailable as error:
        if not (str(error).startswith("missing") and _create_if_never_built(app, backend)):
            log.error("search unavailable: %s", error)
            raise SearchUnavailable(str(error)) from error
    found = identity.problems(app, backend)
    if found:
        log.error("search unavailable: %s", found[0]["detail"])
        raise SearchUnavailable(found[0]["detail"])


def index_health(app: Flask) -> dict[str, Any]:
    """{status: ok|degraded|unavailable, problems: [{code, detail}]}: what a monitor needs, no content."""
    backend = engine.backend(app)
    state = backend.health()
    status, problems = state["status"], list(state["problems"])
    codes = {problem["code"] for problem in problems}
    if backend.keeps_separate_index and codes == {"missing"} and identity.never_indexed(app):
        status, problems = "ok", []  # not built yet: the first write or search creates it
    elif status != "unavailable":
        out_of_step = identity.problems(app, backend)
        if out_of_step:
            status, problems = "unavailable", problems + out_of_step
    lag = _backlog_problem(app)
    if lag:
        problems.append(lag)
        status = "degraded" if status == "ok" else status
    return {"status": status, "problems": problems}


def _backlog_problem(app: Flask) -> dict | None:
    """Queued changes older than SEARCH_STALE_SECONDS: search is answering from an index that lags behind."""
    from webapp.models import utcnow
    from webapp.search import outbox_worker

    count, oldest = outbox_worker.backlog(app)
    limit = float(app.config.get("SEARCH_STALE_SECONDS", 60))
    if oldest is None or (utcnow() - oldest).total_seconds() <= limit:
        return None
    return {"code": "backlog", "detail": f"lagging: {count} queued changes, the oldest more than {limit:.0f}s old"}


PUBLIC_DETAIL = {
    "missing": "the search index is missing (deleted or never built); a rebuild is due",
    "damaged": "the search index cannot be read (damaged files); a rebuild is due",
    "read_only": "this worker cannot write the search index; searches are served, changes wait for a writable worker",
    "foreign": "the search index was built from another database; a rebuild is due",
    "ahead": "the search index is ahead of the database (restored from a backup?); a rebuild is due",
    "behind": "the search index is behind the database (restored from an older copy?); a rebuild is due",
    "unstamped": "the search index does not record which database it was built from; a rebuild is due",
    "backlog": "queued search-index changes are older than the freshness limit",
}


def public_health(state: dict[str, Any]) -> dict[str, Any]:
    """The health state without paths, ids or error texts (the full detail is in the log and `flask search
    status`): what an unauthenticated monitor may read."""
    return {"status": state["status"],
            "problems": [{"code": p["code"], "detail": PUBLIC_DETAIL.get(p["code"], "the search index check failed")}
                         for p in state["problems"]]}


def heal(app: Flask) -> str:
    """Periodic job: rebuild an index that is missing, damaged or out of step; say what was done."""
    from webapp.search import maintenance

    try:
        check_searchable(app)  # creates the index of a never-indexed database
    except SearchUnavailable:
        pass  # rebuilt below
    state = index_health(app)
    codes = {problem["code"] for problem in state["problems"]} - {"backlog"}  # a backlog is drained, not rebuilt
    if not codes - {"read_only"}:
        return "index healthy" if not codes else "index read-only here; nothing to repair"
    if "read_only" in codes:
        log.error("search index needs a rebuild but is read-only here: %s", state["problems"])
        return "index needs a rebuild but is read-only here"
    log.warning("search index unusable (%s): rebuilding", "; ".join(p["detail"] for p in state["problems"]))
    count = maintenance.rebuild(app)
    return f"rebuilt the index ({', '.join(sorted(codes))}) with {count} documents"
