"""The Call's paragraphs: an index and one page per paragraph with what was shared under it."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_babel import lazy_gettext as _l

from webapp import navigation, queries
from webapp.auth import current_viewer
from webapp.db import session
from webapp.paragraph_listing import shared_under

bp = Blueprint("paragraphs", __name__, url_prefix="/paragraphs")
navigation.add("paragraphs.index", _l("Call to Action"), 20)


@bp.get("/")
def index():
    """All 25 paragraphs, featured ones marked."""
    return render_template("paragraphs/index.html", paragraphs=queries.all_paragraphs(session()))


@bp.get("/<id:number>")
def show(number: int):
    """One paragraph and what the viewer may read of what was shared under it."""
    paragraph = queries.paragraph(session(), number)
    if paragraph is None:
        abort(404)
    sections = shared_under(session(), current_viewer(), number)
    return render_template("paragraphs/show.html", paragraph=paragraph, sections=sections)
