"""Who is signed in: Flask-Login wiring, the request's Viewer, and the guards views use."""
from __future__ import annotations

from functools import wraps

from flask import abort, g
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp import db, policy
from webapp.extensions import login_manager
from webapp.policy import Viewer
from webapp.services.accounts import user_for_token


def init_app(app) -> None:
    """Configure Flask-Login: the cookie carries a revocable session token, never remember-me."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load(token: str):
        return user_for_token(db.session(), token, lifetime=app.permanent_session_lifetime)


def current_viewer() -> Viewer:
    """The Viewer of this request, built once and cached on g."""
    if "viewer" not in g:
        user = current_user._get_current_object() if current_user.is_authenticated else None
        g.viewer = policy.viewer_for(user, db.session())
    return g.viewer


def login_required(view):
    """Send anonymous visitors to sign in (with a same-site next=)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapper


def verified_required(view):
    """Signed in, active and verified: the condition for contributing."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not policy.can_post(current_viewer()):
            abort(403, description=_l("Your account or organisation is waiting for verification by an administrator. "
                                      "Until then you can read public material only."))
        return view(*args, **kwargs)

    return wrapper


def admin_required(view):
    """Admin pages answer 403 to everybody else who is signed in."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not policy.can_administer(current_viewer()):
            abort(403, description=_l("This page is for administrators."))
        return view(*args, **kwargs)

    return wrapper
