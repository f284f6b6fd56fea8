"""PostgreSQL full-text search against Whoosh on the same items, through the app (Flask test client).

Prints `name: value unit` lines, each prefixed by the backend (`postgres_`, `whoosh_`):
  *_search_p50 / *_search_p95     the search page (snippets + facets) for a community-tier member
  *_api_search_p95                the same search as JSON
  *_freshness_p50 / *_p95         commit of a change → found by a search; on PostgreSQL through a SECOND app
                                  node on the same database (Whoosh keeps one index directory per node, so its
                                  figure is the same node's)
  *_rebuild_rate                  full rebuild (items per second)
  postgres_bare_fts_p50 / p95     the bare PostgreSQL full-text query (no app): match, tier restriction, rank,
                                  ts_headline of the top 20 and the kind facet — with the app's p95 as a ratio
Whoosh runs on SQLite, PostgreSQL on a fresh schema of --postgres-url (everything in it is dropped).

Usage: .venv/bin/python bench/search_backends.py --postgres-url postgresql+psycopg://postgres@127.0.0.1/bench
       [--items 20000 | --large (100,000)] [--searches 300] [--backends postgres,whoosh]
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.search import QUERIES, build_world, measure_search, percentile, sign_in  # noqa: E402

BARE_FTS = """
WITH hits AS (
    SELECT key, kind, vector FROM search_documents
    WHERE vector @@ websearch_to_tsquery('english', %(q)s) AND tier <= 1
)
SELECT (SELECT json_agg(kind_count) FROM (SELECT kind, count(*) FROM hits GROUP BY kind) AS kind_count),
       (SELECT json_agg(top) FROM (
            SELECT h.key, ts_headline('english', d.title, websearch_to_tsquery('english', %(q)s))
            FROM (SELECT key, vector FROM hits
                  ORDER BY ts_rank_cd(vector, websearch_to_tsquery('english', %(q)s), 1) DESC LIMIT 20) AS h
            JOIN LATERAL (SELECT coalesce(s.title, '') || ' ' || coalesce(s.summary, '') AS title
                          FROM submissions s WHERE 'submission:' || s.id = h.key) AS d ON true) AS top)
"""


# The same statement with the query looked up in every language's configuration, OR'd, as the app does since
# issue 13 (webapp/search/postgres/languages.py; the app ORs per word, this per query: the same matching work
# for one-word queries, close to it for the others).
_EVERY_LANGUAGE = "(" + " || ".join(
    f"websearch_to_tsquery('{config}', %(q)s)"
    for config in ("english", "reaim_french", "reaim_spanish", "reaim_russian", "reaim_arabic", "reaim_simple")) + ")"
BARE_FTS_LANGUAGES = BARE_FTS.replace("websearch_to_tsquery('english', %(q)s)", _EVERY_LANGUAGE)


def _app(url: str, folder: Path, name: str, backend: str):
    from webapp import create_app

    return create_app({
        "DATABASE_URL": url, "INSTANCE_PATH": str(folder / f"instance-{name}"),
        "SEARCH_INDEX_DIR": str(folder / f"index-{name}"), "SEARCH_BACKEND": backend,
        "RATELIMIT_ENABLED": False, "SESSION_COOKIE_SECURE": False,
    })


def _fresh_schema(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def measure_freshness(writer_app, reader_client, rows: list[dict], rounds: int, rng: random.Random) -> list[float]:
    """Rename a public item in one app's transaction; poll the reader's app until the new title is found."""
    from webapp.db import unit_of_work
    from webapp.models import Submission
    from webapp.search.outbox import enqueue

    timings = []
    public_ids = [row["id"] for row in rows if int(row["tier"]) == 0]
    for n in range(rounds):
        marker = f"freshmarker{n}x{rng.randrange(10**6)}"
        item_id = rng.choice(public_ids)
        with writer_app.test_request_context():
            started = time.perf_counter()
            with unit_of_work() as db:
                db.get(Submission, item_id).title = f"Renamed {marker}"
                enqueue(db, "submission", item_id)
        while reader_client.get("/api/search", query_string={"q": marker}).get_json()["total"] != 1:
            if time.perf_counter() - started > 10:
                raise RuntimeError("change not searchable within 10 s")
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def run_backend(name: str, url: str, folder: Path, items: int, searches: int, rounds: int) -> dict[str, float]:
    """Build the items, rebuild the index, and measure one backend through the app."""
    from alembic import command

    from webapp.cli import alembic_config
    from webapp.search import maintenance

    app = _app(url, folder, "a", name)
    with app.app_context():
        command.upgrade(alembic_config(), "head")
    rows = build_world(app, items, random.Random(20260127))  # the same items for both backends
    started = time.perf_counter()
    count = maintenance.rebuild(app)
    figures = {"rebuild_rate": count / (time.perf_counter() - started), "documents": count}
    client = app.test_client()
    sign_in(app, client)
    gc.collect()
    gc.freeze()
    rng = random.Random(7)
    measure_search(client, "/search", 20, rng)  # warm up
    page = measure_search(client, "/search", searches, rng)
    figures.update(search_p50=percentile(page, 50), search_p95=percentile(page, 95))
    figures["api_search_p95"] = percentile(measure_search(client, "/api/search", searches // 2, rng), 95)
    if name == "postgres":
        other = _app(url, folder, "b", name)  # a second node on the same database
        reader = other.test_client()
        sign_in(other, reader)
    else:
        reader = client
    fresh = measure_freshness(app, reader, rows, rounds, rng)
    figures.update(freshness_p50=percentile(fresh, 50), freshness_p95=percentile(fresh, 95))
    if name == "postgres":
        figures.update(bare_fts(app, searches))
    gc.unfreeze()
    app.extensions["db_engine"].dispose()
    return figures


def bare_fts(app, searches: int) -> dict[str, float]:
    """The bare full-text statement on the same tables, through one raw connection (no app, no policy layer):
    English only, and in every language's configuration, interleaved query by query."""
    raw = app.extensions["db_engine"].raw_connection()
    try:
        cursor = raw.cursor()
        timings: dict[str, list[float]] = {"bare_fts": [], "bare_fts_languages": []}
        for n in range(searches):
            q = QUERIES[n % len(QUERIES)].replace(" NOT ", " -").replace("*", "")
            for name, statement in (("bare_fts", BARE_FTS), ("bare_fts_languages", BARE_FTS_LANGUAGES)):
                started = time.perf_counter()
                cursor.execute(statement, {"q": q})
                cursor.fetchall()
                timings[name].append((time.perf_counter() - started) * 1000)
    finally:
        raw.close()
    return {f"{name}_p{p}": percentile(values, p) for name, values in timings.items() for p in (50, 95)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", ""))
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--large", action="store_true", help="100,000 items")
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--freshness-rounds", type=int, default=40)
    parser.add_argument("--backends", default="postgres,whoosh", help="which to measure, in order (comma-separated)")
    options = parser.parse_args()
    if not options.postgres_url.startswith("postgresql"):
        parser.error("--postgres-url (or BENCH_POSTGRES_URL) must be a PostgreSQL URL; its schema is replaced")
    items = 100_000 if options.large else options.items
    folder = Path(tempfile.mkdtemp(prefix="bench-backends-"))
    print(f"items: {items} count")
    _fresh_schema(options.postgres_url)
    results = {}
    urls = {"postgres": options.postgres_url, "whoosh": f"sqlite:///{folder / 'bench.sqlite3'}"}
    for backend in options.backends.split(","):
        # Printed as soon as measured: a long run under load still leaves the first backend's figures.
        figures = results[backend] = run_backend(backend, urls[backend], folder, items, options.searches,
                                                 options.freshness_rounds)
        for name, value in figures.items():
            unit = "items/s" if name.endswith("rate") else "count" if name == "documents" else "ms"
            line = f"{backend}_{name}: {value:.1f} {unit}" if unit == "ms" else f"{backend}_{name}: {value:.0f} {unit}"
            print(line, flush=True)
    if "postgres" in results:
        ratio = results["postgres"]["search_p95"] / max(results["postgres"]["bare_fts_p95"], 1e-6)
        print(f"postgres_app_over_bare_fts_p95: {ratio:.1f} x")
        ratio = results["postgres"]["search_p95"] / max(results["postgres"]["bare_fts_languages_p95"], 1e-6)
        print(f"postgres_app_over_bare_fts_languages_p95: {ratio:.1f} x")
        ratio = results["postgres"]["bare_fts_languages_p95"] / max(results["postgres"]["bare_fts_p95"], 1e-6)
        print(f"postgres_bare_fts_languages_over_english_p95: {ratio:.1f} x")
    if "postgres" in results and "whoosh" in results:
        ratio = results["postgres"]["search_p95"] / max(results["whoosh"]["search_p95"], 1e-6)
        print(f"postgres_over_whoosh_search_p95: {ratio:.1f} x")


if __name__ == "__main__":
    main()
