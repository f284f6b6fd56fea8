"""GET /api/health: what a monitor needs to know, without content or whole-index figures."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from webapp import rate_limits
from webapp.jobs import engine as jobs_engine
from webapp.search import repair

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


def _database(app) -> dict:
    try:
        with app.extensions["db_engine"].connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # a health check reports, it does not raise
        log.warning("health: database unreachable", exc_info=True)
        return {"status": "down"}
    return {"status": "ok"}


@bp.get("/api/health")
def health():
    """{status: ok|degraded|unavailable, database, rate_limits, jobs, search}: 200 while the database answers
    (degraded: a shared service is down or the index needs repair, and the app works around it), 503 when it does
    not (take the node out)."""
    app = current_app._get_current_object()
    database = _database(app)
    limits = rate_limits.health(app)
    jobs = jobs_engine.health(app)
    search = _search(app) if database["status"] == "ok" else {"status": "unknown", "problems": []}
    if database["status"] != "ok":
        status, code = "unavailable", 503
    elif "degraded" in (limits["status"], jobs["status"]) or search["status"] != "ok":
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    retention = _retention_runs() if database["status"] == "ok" else {}
    response = jsonify(status=status, database=database, rate_limits=limits, jobs=jobs, search=search,
                       retention=retention)
    response.status_code = code
    response.headers["Cache-Control"] = "no-store"
    return response


def _search(app) -> dict:
    try:
        search = repair.index_health(app)
        for problem in search["problems"]:
            log.warning("search health: %s", problem["detail"])
    except Exception:  # health must answer whatever the index does
        log.exception("search health check failed")
        search = {"status": "unavailable", "problems": [{"code": "error"}]}
    return repair.public_health(search)


def _retention_runs() -> dict:
    """{job name: when it last finished, or None} for the retention jobs (issue 14)."""
    from webapp.db import session as db_session
    from webapp.services import retention

    return retention.last_runs(db_session())
