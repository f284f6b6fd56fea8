"""Jinja setup: translations, locale-aware dates, and what every template may use."""
from __future__ import annotations

from datetime import date, datetime, timezone

from markupsafe import Markup
from wtforms.widgets import HiddenInput

from flask import Flask, current_app, has_request_context, request
from flask_babel import format_date, format_decimal, format_time, get_locale, get_timezone
from flask_login import current_user
from flask_babel.speaklater import LazyString

from webapp import navigation
from webapp.auth import current_viewer
from webapp.extensions import babel
from webapp.locale_names import LANGUAGE_NAMES, RTL_LANGUAGES, call_title, country_name, is_right_to_left
from webapp.models import Tier

__all__ = ["RTL_LANGUAGES", "init_app", "locale_date", "utc_datetime"]
LANGUAGE_COOKIE = "reaim_lang"  # set by the language switch (webapp/views/language.py)


def _signed_in_user():
    if not has_request_context() or not current_user or not current_user.is_authenticated:
        return None
    return current_user


def _select_locale() -> str:
    """The signed-in person's saved language, else the switch's cookie, else the browser's Accept-Language."""
    if not has_request_context():  # CLI commands and background work speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    user = _signed_in_user()
    if user is not None and user.locale in languages:
        return user.locale
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def _select_timezone() -> str | None:
    """The signed-in person's time zone (their profile), else the default (UTC)."""
    user = _signed_in_user()
    return user.time_zone if user is not None and user.time_zone else None


def _zone_label() -> str:
    zone = get_timezone()
    return getattr(zone, "key", None) or getattr(zone, "zone", None) or str(zone)


def locale_date(value) -> str:
    """A date in the reader's locale, the month spelled out: the locale's medium date, or its long one where the
    medium is all digits (Arabic 01/12/2026), since an all-numeric date reads differently in different countries."""
    if value is None:
        return ""
    medium = get_locale().date_formats["medium"].pattern
    return format_date(value, "medium" if "MMM" in medium or "LLL" in medium else "long")


def utc_datetime(value: datetime | None, style: str = "medium") -> str:
    """A timestamp in the reader's locale and time zone (profile, else UTC), always naming the zone: the date as
    `locale_date` (one date style across the site), the time with seconds ('medium') or without ('short')."""
    if value is None:
        return ""
    pattern = str(get_locale().datetime_formats.get("medium", "{1}, {0}"))
    time_part = format_time(value, "short" if style == "short" else "medium")
    return pattern.replace("{1}", locale_date(value)).replace("{0}", time_part) + f" {_zone_label()}"


def iso_datetime(value: datetime | date | None) -> str:
    """A valid HTML `datetime` attribute: seconds precision with the zone (stored times are UTC, naive or not)."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return value.isoformat()
    aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return aware.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def hidden_fields(form) -> Markup:
    """A form's hidden fields (its CSRF token) without ids: Flask-WTF's hidden_tag() gives each id="csrf_token",
    repeated on every page with several forms."""
    return Markup("".join(str(field(id=False)) for field in form if isinstance(field.widget, HiddenInput)))


def _plain_lazy_strings(value):
    return str(value) if isinstance(value, LazyString) else value


def init_app(app: Flask) -> None:
    """Register Babel, filters and template globals."""
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)
    app.jinja_env.filters["utc_datetime"] = utc_datetime
    app.jinja_env.filters["iso_datetime"] = iso_datetime
    app.jinja_env.globals["hidden_fields"] = hidden_fields
    app.jinja_env.filters["locale_date"] = locale_date
    app.jinja_env.filters["locale_number"] = format_decimal  # 12,345 / 12 345 / 12.345 by locale
    app.jinja_env.filters["call_title"] = call_title
    app.jinja_env.filters["country_name"] = country_name
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    # Flask-Babel's lazy strings declare themselves HTML-safe (__html__), so a lazy string that interpolates
    # user data would be printed raw. Turning them into plain str before output lets autoescape do its job.
    app.jinja_env.finalize = _plain_lazy_strings

    @app.context_processor
    def _globals() -> dict:
        locale = str(get_locale() or "en")
        nav_items = navigation.items_for(current_viewer())
        return {
            "viewer": current_viewer(),
            "nav_items": nav_items,
            "nav_current": navigation.current_for(nav_items, request.endpoint),
            "nav_counts": navigation.counts_for(current_viewer(), nav_items),
            "Tier": Tier,
            "html_lang": locale,
            "html_dir": "rtl" if is_right_to_left(locale) else "ltr",
            "language_choices": [(code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]],
            "language_names": LANGUAGE_NAMES,
            "rtl_languages": RTL_LANGUAGES,
            "has_search": "search.search" in current_app.view_functions,
        }
