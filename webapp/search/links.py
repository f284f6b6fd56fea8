"""Links from search hits to the pages of other features, robust to a feature's blueprint not being installed."""
from __future__ import annotations

from flask import current_app, url_for


def link(endpoint: str, fallback: str, anchor: str | None = None, **values) -> str:
    """url_for(endpoint) when the endpoint exists, else the documented path `fallback`."""
    if endpoint in current_app.view_functions:
        return url_for(endpoint, _anchor=anchor, **values)
    return fallback + (f"#{anchor}" if anchor else "")
