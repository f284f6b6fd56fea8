"""Every rule of the app's URL map as a concrete URL (numbers for path parameters)."""
from __future__ import annotations

from collections.abc import Iterator

# Endpoints whose GET needs a query string to be a meaningful request (without one they rightly answer 400).
QUERY_ARGUMENTS = {"search.api": {"q": "oversight"}}


def concrete_urls(app, *, methods=("GET", "POST"), values: dict | None = None) -> Iterator[tuple[str, str, str]]:
    """(endpoint, method, url) for every rule except static files; `values` gives path parameters by name."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        arguments = {}
        for argument in rule.arguments:
            converter = type(rule._converters[argument]).__name__.lower()
            arguments[argument] = (values or {}).get(argument, 1 if "integer" in converter else "x")
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **arguments, **QUERY_ARGUMENTS.get(rule.endpoint, {}))
        for method in sorted(rule.methods & set(methods)):
            yield rule.endpoint, method, url
