"""Every rule of the app's URL map as a concrete URL (numbers for path parameters)."""
from __future__ import annotations

from collections.abc import Iterator

from werkzeug.routing.converters import NumberConverter

from webapp.ids import IdConverter

# Endpoints whose GET needs a query string to be a meaningful request (without one they rightly answer 400).
QUERY_ARGUMENTS = {"search.api": {"q": "oversight"}, "language.switch_for_visitor": {"lang": "fr"}}


def id_arguments(rule) -> list[str]:
    """The path parameters of `rule` that are numbers (<id:…>, or any of werkzeug's number converters)."""
    return sorted(name for name in rule.arguments if isinstance(rule._converters[name], (IdConverter, NumberConverter)))


def _url(app, rule, values: dict) -> str:
    arguments = {name: values.get(name, 1 if name in id_arguments(rule) else "x") for name in rule.arguments}
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **arguments, **QUERY_ARGUMENTS.get(rule.endpoint, {}))


def _rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def concrete_urls(app, *, methods=("GET", "POST"), values: dict | None = None) -> Iterator[tuple[str, str, str]]:
    """(endpoint, method, url) for every rule except static files; `values` gives path parameters by name."""
    for rule in _rules(app):
        url = _url(app, rule, values or {})
        for method in sorted(rule.methods & set(methods)):
            yield rule.endpoint, method, url


def urls_with_one_id(app, number: int, *, methods=("GET", "POST"), values: dict | None = None
                     ) -> Iterator[tuple[str, str, str, str]]:
    """(endpoint, method, url, parameter): every rule once per id parameter, that one set to `number` and the
    others taken from `values` (so they name rows that exist)."""
    for rule in _rules(app):
        for name in id_arguments(rule):
            url = _url(app, rule, {**(values or {}), name: number})
            for method in sorted(rule.methods & set(methods)):
                yield rule.endpoint, method, url, name
