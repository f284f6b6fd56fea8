"""Which backend serves this app (config SEARCH_BACKEND; Whoosh in SEARCH_INDEX_DIR by default)."""
from __future__ import annotations

from flask import Flask, current_app

from webapp.search.backend import SearchBackend


def backend(app: Flask | None = None) -> SearchBackend:
    """The process-wide backend for the app's configuration."""
    app = app or current_app._get_current_object()
    name = app.config.get("SEARCH_BACKEND", "whoosh")
    if name != "whoosh":
        raise RuntimeError(f"unknown SEARCH_BACKEND {name!r} (supported: whoosh)")
    from webapp.search.whoosh_backend import backend_for_dir

    return backend_for_dir(app.config["SEARCH_INDEX_DIR"])
