"""Error pages: a clear message and the right status, never a stack trace; JSON for API clients."""
from __future__ import annotations

import logging

from flask import Flask, current_app, g, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, SecurityError

from webapp.services import ServiceError

log = logging.getLogger(__name__)

TITLES = {
    400: _l("The request could not be processed"),
    403: _l("You do not have access to this"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    409: _l("This cannot be done now"),
    413: _l("Too much data"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong"),
    503: _l("The service is unavailable for a moment"),
}

DEFAULT_MESSAGES = {
    400: _l("Please check what you sent and try again."),
    403: _l("Your account does not allow this action."),
    # The same words for a missing item and an item the reader may not see: invisible means nonexistent.
    404: _l("There is nothing at this address. It may never have existed, or the link may be wrong."),
    405: _l("This address does not accept this kind of request."),
    409: _l("The item is not in a state that allows this."),
    413: _l("What you sent is larger than this site accepts. Shorten the text and try again."),
    429: _l("Please wait a minute before trying again."),
    500: _l("The error has been logged. Please try again later."),
    503: _l("The database cannot be reached just now. The site comes back by itself as soon as it answers again."),
}

# The database refused, dropped or timed out the connection (PostgreSQL down or restarting, a network cut, the pool
# exhausted, SQLite locked beyond its busy timeout): transient, so 503 with Retry-After, never a 500.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeoutError)
# SQLite reports a faulty statement ("no such table", a syntax error) as an OperationalError too: that is a bug to
# log as a 500, not an outage to wait out.
_SQLITE_STATEMENT_FAULTS = ("no such table", "no such column", "syntax error", "has no column", "misuse")


def is_database_outage(error: Exception) -> bool:
    """Whether `error` means the database is out of reach (503), rather than a faulty statement (500)."""
    if not isinstance(error, OperationalError) or getattr(error, "connection_invalidated", False):
        return True
    message = str(getattr(error, "orig", error)).lower()
    return not any(fault in message for fault in _SQLITE_STATEMENT_FAULTS)


def wants_json() -> bool:
    """API paths and clients that ask for JSON get JSON errors."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def render_error(status: int, message: str | None = None):
    """Render the error page (or JSON) for `status`."""
    if status == 404:
        message = None  # one body for every 404 — no hint of what might have been there
    text = str(message or DEFAULT_MESSAGES.get(status, DEFAULT_MESSAGES[400]))
    title = str(TITLES.get(status, TITLES[400]))
    if wants_json():
        return make_response(jsonify(error=title, message=text, status=status), status)
    body = render_template("errors/error.html", status=status, title=title, message=text, error_page=True)
    return make_response(body, status)


def render_unavailable():
    """The 503 page (or JSON) when the database cannot be reached, rendered without touching the database."""
    from webapp.extensions import login_manager

    # Nobody can be looked up now: the page (and Babel's locale choice) must see an anonymous visitor instead of
    # asking the database again for the signed-in one.
    g._login_user = login_manager.anonymous_user()
    retry_after = str(int(current_app.config.get("DATABASE_RETRY_AFTER_SECONDS", 15)))
    title, text = str(TITLES[503]), str(DEFAULT_MESSAGES[503])
    if wants_json():
        response = make_response(jsonify(error=title, message=text, status=503), 503)
    else:
        template = current_app.jinja_env.get_template("errors/unavailable.html")
        response = make_response(template.render(title=title, message=text, request=request), 503)
    response.headers["Retry-After"] = retry_after
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Register the handlers."""

    def _database_unavailable(error: Exception):
        if not is_database_outage(error):
            return _unexpected(error)
        log.error("database unavailable on %s %s: %s", request.method, request.path, error.__class__.__name__,
                  exc_info=error)
        from webapp import db

        try:
            db.session().rollback()  # return the broken connection; the pool pings before handing out the next
        except Exception:  # noqa: BLE001 - the connection is gone; closing the session at teardown discards it
            log.debug("rollback after a lost database connection failed", exc_info=True)
        return render_unavailable()

    for unavailable in DATABASE_UNAVAILABLE:
        app.register_error_handler(unavailable, _database_unavailable)

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return render_error(400, _l("Your form expired or was sent from elsewhere. Reload the page and try again."))

    @app.errorhandler(SecurityError)
    def _untrusted_host(_error: SecurityError):
        # A Host outside TRUSTED_HOSTS: no URL can be built for this request (Flask has no URL adapter), so the
        # answer is a bare 400 that neither renders the layout nor repeats the host it was sent.
        if wants_json():
            return make_response(jsonify(error=str(TITLES[400]), message=str(DEFAULT_MESSAGES[400]), status=400), 400)
        return make_response(f"{TITLES[400]}. {DEFAULT_MESSAGES[400]}\n", 400, {"Content-Type": "text/plain; charset=utf-8"})

    @app.errorhandler(ServiceError)
    def _service(error: ServiceError):
        return render_error(error.status, error.message)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        description = error.description if error.description != type(error).description else None
        if error.code == 429:
            description = None  # the limiter's description is its rule ("10 per 1 minute"), not a message
        response = render_error(error.code, description)
        if error.code == 405 and getattr(error, "valid_methods", None):
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return _http(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        # A failed statement leaves the session's transaction aborted (PostgreSQL): roll back so that the
        # error page itself, which reads the viewer, can still be rendered.
        from webapp import db

        try:
            db.session().rollback()
        except Exception:  # pragma: no cover - the database may be gone altogether
            log.exception("rollback after an unhandled error failed")
        return render_error(500)
