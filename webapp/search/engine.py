"""Which backend serves this app: config SEARCH_BACKEND, by default PostgreSQL full-text search on a PostgreSQL
database and Whoosh (in SEARCH_INDEX_DIR) otherwise."""
from __future__ import annotations

from flask import Flask, current_app

from webapp.search.backend import SearchBackend

BACKENDS = ("whoosh", "postgres")


def backend_name(app: Flask) -> str:
    """The configured backend, or the default for the app's database."""
    name = (app.config.get("SEARCH_BACKEND") or "").strip().lower()
    if name:
        return name
    return "postgres" if str(app.config.get("DATABASE_URL", "")).startswith("postgresql") else "whoosh"


def backend(app: Flask | None = None) -> SearchBackend:
    """The process-wide backend for the app's configuration."""
    app = app or current_app._get_current_object()
    name = backend_name(app)
    if name == "whoosh":
        from webapp.search.whoosh.backend import backend_for_dir

        return backend_for_dir(app.config["SEARCH_INDEX_DIR"])
    if name == "postgres":
        from webapp.search.postgres.backend import backend_for_engine

        return backend_for_engine(app.extensions["db_engine"])
    raise RuntimeError(f"unknown SEARCH_BACKEND {name!r} (supported: {', '.join(BACKENDS)})")
