"""What people change about themselves: name, language, time zone."""
from __future__ import annotations

from zoneinfo import available_timezones

from flask import current_app
from flask_babel import lazy_gettext as _l

from webapp.db import unit_of_work
from webapp.models import User
from webapp.services import ServiceError
from webapp.services.audit import record


def time_zones() -> list[str]:
    """IANA time zone names, sorted."""
    return sorted(zone for zone in available_timezones() if "/" in zone or zone == "UTC")


def update_profile(user: User, *, name: str, locale: str | None, time_zone: str | None) -> User:
    """Change the person's own name, language and time zone (empty: the browser's language, UTC)."""
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ServiceError(_l("Give your name (at most 120 characters)."))
    if locale and locale not in current_app.config["LANGUAGES"]:
        raise ServiceError(_l("Unknown language."))
    if time_zone and time_zone not in available_timezones():
        raise ServiceError(_l("Unknown time zone."))
    with unit_of_work() as db:
        stored = db.get(User, user.id)
        before = {"name": stored.name, "locale": stored.locale, "time_zone": stored.time_zone}
        stored.name, stored.locale, stored.time_zone = name, locale or None, time_zone or None
        record(db, user.id, "user.profile_changed", "user", user.id, before=before)
    user.name, user.locale, user.time_zone = stored.name, stored.locale, stored.time_zone
    return user
