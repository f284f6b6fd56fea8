"""Home and about pages."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import lazy_gettext as _l

from webapp import navigation, queries, queries_home
from webapp.auth import current_viewer
from webapp.db import session
from webapp.policy.archive import can_create_submission
from webapp.policy.dialogue import can_create_round
from webapp.queries_dialogue.unread import what_changed
from webapp.sanitize import markdown_to_html

bp = Blueprint("main", __name__)
navigation.add("main.about", _l("About"), 90)


@bp.get("/")
def index():
    """The home page: where each kind of participant starts, and the featured paragraphs of the Call."""
    viewer = current_viewer()
    can = {"contribute": can_create_submission(viewer), "create_round": can_create_round(viewer)}
    db = session()
    return render_template("main/index.html", featured=queries.featured_paragraphs(db), viewer=viewer, can=can,
                           changed=what_changed(db, viewer), latest=queries_home.latest_published(db, viewer),
                           open_rounds=queries_home.open_rounds(db, viewer), waiting=queries_home.waiting(db, viewer))


@bp.get("/about")
def about():
    """What the platform is and how access tiers work."""
    return render_template("main/about.html")


@bp.get("/terms")
def terms():
    """The terms of use."""
    return render_template("main/terms.html")


@bp.get("/code-of-conduct")
def conduct():
    """The code of conduct for dialogue rounds and threads."""
    return render_template("main/conduct.html")


@bp.get("/accessibility")
def accessibility():
    """The accessibility statement."""
    return render_template("main/accessibility.html")


# What the help page shows: each Markdown source next to what it becomes (rendered by the same sanitizer).
MARKDOWN_EXAMPLES = (
    (_l("Emphasis"), "*italic* and **bold**"),
    (_l("A list"), "- first point\n- second point\n\n1. first step\n2. second step"),
    (_l("A link"), "[REAIM](https://example.org/reaim)"),
    (_l("A quotation"), "> The operator accepted the recommendation without checking."),
    (_l("A heading"), "### Findings"),
    (_l("A table"), "| Phase | Finding |\n|---|---|\n| Test | Sensor drift |"),
    (_l("Code or an identifier"), "`model-v2.1`"),
)


@bp.get("/help/markdown")
def markdown_help():
    """How to format long texts (Markdown), with each example rendered."""
    examples = [(name, source, markdown_to_html(source)) for name, source in MARKDOWN_EXAMPLES]
    return render_template("main/markdown_help.html", examples=examples)


@bp.get("/contact")
def contact():
    """Whom to write to, and about what."""
    return render_template("main/contact.html", contact_email=current_app.config.get("CONTACT_EMAIL", ""))
