"""Error pages: a clear message and the right status, never a stack trace; JSON for API clients."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

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
}


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


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return render_error(400, _l("Your form expired or was sent from elsewhere. Reload the page and try again."))

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
