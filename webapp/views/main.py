"""Home and about pages."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l

from webapp import navigation, queries
from webapp.auth import current_viewer
from webapp.db import session

bp = Blueprint("main", __name__)
navigation.add("main.about", _l("About"), 90)


@bp.get("/")
def index():
    """The home page: the featured paragraphs of the Call and how to take part."""
    return render_template("main/index.html", featured=queries.featured_paragraphs(session()), viewer=current_viewer())


@bp.get("/about")
def about():
    """What the platform is and how access tiers work."""
    return render_template("main/about.html")
