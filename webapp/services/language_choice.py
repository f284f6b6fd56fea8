"""A signed-in person's choice of language from the switch on every page (saved in their profile)."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from webapp.db import unit_of_work
from webapp.models import User
from webapp.services import ServiceError
from webapp.services.audit import record


def choose_language(user: User, locale: str) -> User:
    """Save `locale` (one of LANGUAGES) as the person's language; an unchanged choice writes nothing."""
    if locale not in current_app.config["LANGUAGES"]:
        raise ServiceError(_l("Unknown language."))
    if user.locale == locale:
        return user
    with unit_of_work() as db:
        stored = db.get(User, user.id)
        before = stored.locale
        stored.locale = locale
        record(db, user.id, "user.language_chosen", "user", user.id, before=before, after=locale)
    user.locale = locale
    return user
