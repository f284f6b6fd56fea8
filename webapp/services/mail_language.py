"""Mail is composed in its recipient's language and time zone, not the sender's (nor the job's default)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from babel.dates import get_timezone as zone_named
from flask import current_app
from flask_babel import force_locale

from webapp.models import User


def recipient_locale(user: User | None) -> str:
    """The language a mail to `user` is written in: their profile's if the platform ships it, else the default."""
    languages = current_app.config.get("LANGUAGES") or []
    if user is not None and user.locale and user.locale in languages:
        return user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@contextmanager
def in_recipients_language(user: User | None) -> Iterator[None]:
    """Compose inside this block: gettext and format_datetime speak `user`'s language and zone (in a request
    whose reader speaks another, or in a job with no request at all)."""
    from flask_babel import _get_current_context

    with force_locale(recipient_locale(user)):
        babel_context = _get_current_context()
        previous_zone = getattr(babel_context, "babel_tzinfo", None)
        try:
            zone = zone_named(user.time_zone) if user is not None and user.time_zone else None
        except LookupError:  # a zone name the tz database no longer knows: UTC, like an unset one
            zone = None
        if babel_context is not None:
            babel_context.babel_tzinfo = zone or zone_named(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")
        try:
            yield
        finally:
            if babel_context is not None:
                babel_context.babel_tzinfo = previous_zone
