"""Jinja setup: translations, locale-aware dates, and what every template may use."""
from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, has_request_context, request
from flask_babel import format_date, format_datetime, format_time, get_locale
from flask_babel.speaklater import LazyString

from webapp import navigation
from webapp.auth import current_viewer
from webapp.extensions import babel
from webapp.models import Tier

RTL_LANGUAGES = {"ar", "fa", "he", "ur"}


def _select_locale() -> str:
    if not has_request_context():  # CLI commands and background work speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"


def utc_datetime(value: datetime | None, style: str = "medium") -> str:
    """A timestamp formatted for the reader's locale, always with its time zone. 'short' keeps the time short
    but spells out the month: an all-numeric date (11/12/26) reads differently in different countries."""
    if value is None:
        return ""
    if style == "short":
        pattern = str(get_locale().datetime_formats.get("medium", "{1}, {0}"))
        return pattern.replace("{1}", format_date(value, "medium")).replace("{0}", format_time(value, "short")) + " UTC"
    return f"{format_datetime(value, style)} UTC"


def _plain_lazy_strings(value):
    return str(value) if isinstance(value, LazyString) else value


def init_app(app: Flask) -> None:
    """Register Babel, filters and template globals."""
    babel.init_app(app, locale_selector=_select_locale)
    app.jinja_env.filters["utc_datetime"] = utc_datetime
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    # Flask-Babel's lazy strings declare themselves HTML-safe (__html__), so a lazy string that interpolates
    # user data would be printed raw. Turning them into plain str before output lets autoescape do its job.
    app.jinja_env.finalize = _plain_lazy_strings

    @app.context_processor
    def _globals() -> dict:
        locale = str(get_locale() or "en")
        return {
            "viewer": current_viewer(),
            "nav_items": navigation.items_for(current_viewer()),
            "Tier": Tier,
            "html_lang": locale,
            "html_dir": "rtl" if locale.split("_")[0] in RTL_LANGUAGES else "ltr",
            "has_search": "search.search" in current_app.view_functions,
        }
