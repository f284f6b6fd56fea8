"""Every rule of the app's URL map as a concrete URL (numbers for path parameters)."""
from __future__ import annotations

from collections.abc import Iterator

PLACEHOLDERS = {"int": "1", "default": "x", "string": "x", "path": "x"}


def concrete_urls(app, *, methods=("GET", "POST")) -> Iterator[tuple[str, str, str]]:
    """(endpoint, method, url) for every rule except static files."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        values = {}
        for argument in rule.arguments:
            converter = type(rule._converters[argument]).__name__.lower()
            values[argument] = 1 if "integer" in converter else "x"
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        for method in sorted(rule.methods & set(methods)):
            yield rule.endpoint, method, url
