"""Dialogue: rounds, threads and posts (pages in rounds.py and threads.py; this module holds the blueprint)."""
from __future__ import annotations

from flask import Blueprint, abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webapp import navigation, paragraph_listing, policy
from webapp.auth import current_viewer
from webapp.db import session
from webapp.forms.admin import TIER_CHOICES
from webapp.models import SharingGroup, Tier
from webapp.policy.dialogue import author_visible_to
from webapp.queries_dialogue.rounds import paragraph_section

bp = Blueprint("dialogue", __name__, url_prefix="/dialogue")
navigation.add("dialogue.index", _l("Dialogue"), 40)
paragraph_listing.register("dialogue", paragraph_section)


@bp.app_context_processor
def _dialogue_globals() -> dict:
    # The one Chatham House presentation rule, for the one author macro (templates/dialogue/_macros.html).
    return {"author_visible_to": lambda item: author_visible_to(current_viewer(), item)}


def checked(form):
    """Validate an action form or answer 400 with the fields' messages."""
    if not form.validate_on_submit():
        messages = "; ".join(f"{name}: {' '.join(map(str, errors))}" for name, errors in form.errors.items())
        abort(400, description=messages or _("The form is incomplete."))
    return form


def fill_tier_choices(form) -> None:
    """Tiers up to the viewer's clearance; sharing groups the viewer belongs to."""
    viewer = current_viewer()
    ceiling = policy.max_authoring_tier(viewer)
    form.tier.choices = [(code, label) for code, label in TIER_CHOICES if Tier.from_code(code) <= ceiling]
    groups = []
    if viewer.group_ids:
        groups = list(session().scalars(
            select(SharingGroup).where(SharingGroup.id.in_(sorted(viewer.group_ids))).order_by(SharingGroup.name)))
    form.sharing_group.choices = [("", _("No group"))] + [(str(g.id), g.name) for g in groups]


def form_tier(form) -> Tier:
    """The chosen tier (the form's choices were limited, the service checks again)."""
    try:
        return Tier.from_code(form.tier.data or "community")
    except ValueError:
        abort(400, description=_("Unknown access tier."))


from webapp.views.dialogue import rounds, threads  # noqa: E402,F401  (routes register on bp)
