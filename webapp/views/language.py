"""The language switch on every page: a plain form (no JavaScript), then back to the page one was on.

Visitors' form is a GET whose only effect is a cookie: their pages then need no session (and no CSRF token) just
for the switch. A signed-in person's choice changes their profile (and writes an audit row), so theirs is a POST
with CSRF, which no crawler or prefetcher makes; it sets the cookie too, so the choice outlasts signing out."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.security import safe_next
from webapp.services import ServiceError
from webapp.services.language_choice import choose_language
from webapp.templating import LANGUAGE_COOKIE

bp = Blueprint("language", __name__)

LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def _chosen_code(values) -> str:
    code = (values.get("lang") or "").strip()
    if code not in current_app.config["LANGUAGES"]:
        abort(400, description=_("Unknown language."))
    return code


def _back_with_cookie(code: str, target: str | None, status: int):
    response = redirect(safe_next(target) or url_for("main.index"), code=status)
    response.set_cookie(LANGUAGE_COOKIE, code, max_age=LANGUAGE_COOKIE_SECONDS, samesite="Lax", httponly=True,
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", True))
    return response


@bp.get("/language")
def switch_for_visitor():
    """Remember a visitor's language in a cookie (nothing else changes) and go back to the page."""
    return _back_with_cookie(_chosen_code(request.args), request.args.get("next"), 302)


@bp.post("/language")
def switch():
    """Save a signed-in person's language in their profile (a visitor's in the cookie) and go back to the page."""
    code = _chosen_code(request.form)
    if current_user.is_authenticated:
        try:
            choose_language(current_user._get_current_object(), code)
        except ServiceError as error:
            abort(error.status, description=str(error.message))
    return _back_with_cookie(code, request.form.get("next"), 303)  # PRG: the page is then fetched with GET


@bp.after_app_request
def _vary_on_language(response):
    """Pages are in the reader's language: a shared cache must key them on what chooses it."""
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response
