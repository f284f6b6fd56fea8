"""Home and about pages."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

from webapp import navigation, queries
from webapp.auth import current_viewer
from webapp.db import session
from webapp.policy.archive import can_create_submission
from webapp.policy.dialogue import can_create_round

bp = Blueprint("main", __name__)
navigation.add("main.about", _l("About"), 90)


@bp.get("/")
def index():
    """The home page: where each kind of participant starts, and the featured paragraphs of the Call."""
    viewer = current_viewer()
    can = {"contribute": can_create_submission(viewer), "create_round": can_create_round(viewer)}
    return render_template("main/index.html", featured=queries.featured_paragraphs(session()), viewer=viewer, can=can)


@bp.get("/about")
def about():
    """What the platform is and how access tiers work."""
    return render_template("main/about.html")
