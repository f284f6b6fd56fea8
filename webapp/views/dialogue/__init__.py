"""Dialogue: rounds, threads and posts (pages in rounds.py and threads.py; this module holds the blueprint)."""
from __future__ import annotations

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webapp import navigation, paragraph_listing, policy
from webapp.auth import current_viewer
from webapp.db import session
from webapp.forms.admin import TIER_CHOICES
from webapp.ids import parse_number
from webapp.models import SharingGroup, Tier
from webapp.policy.dialogue import author_visible_to, is_round_originator, round_tier_choices
from webapp.queries_dialogue.pseudonyms import pseudonym_of
from webapp.queries_dialogue.rounds import paragraph_section
from webapp.queries_dialogue.threads import post_location

bp = Blueprint("dialogue", __name__, url_prefix="/dialogue")
navigation.add("dialogue.index", _l("Dialogue"), 40)
paragraph_listing.register("dialogue", paragraph_section)


@bp.app_context_processor
def _dialogue_globals() -> dict:
    # The one Chatham House presentation rule, for the one author macro (templates/dialogue/_macros.html).
    return {"author_visible_to": lambda item: author_visible_to(current_viewer(), item),
            "pseudonym_of": lambda item: pseudonym_of(session(), item)}


def checked(form):
    """Validate an action form or answer 400 with the fields' messages."""
    if not form.validate_on_submit():
        messages = "; ".join(f"{name}: {' '.join(map(str, errors))}" for name, errors in form.errors.items())
        abort(400, description=messages or _("The form is incomplete."))
    return form


def thread_page_url(thread_id: int, number: int = 1, post_id: int | None = None) -> str:
    """A thread's page (page 1 has no ?page=, so it keeps the thread's one address), at a post's anchor if given."""
    return url_for("dialogue.thread", thread_id=thread_id, page=number if number > 1 else None,
                   _anchor=f"post-{post_id}" if post_id else None)


def post_url(post_id: int, thread_id: int) -> str:
    """Where a post is shown: the page of its thread that holds it, at its anchor."""
    location = post_location(session(), current_viewer(), post_id)
    return thread_page_url(*location, post_id=post_id) if location else thread_page_url(thread_id)


def page_arg() -> int:
    """The ?page= of a thread: absent is 1; a whole number from 1 (ASCII digits), else 400. A number too large for
    any thread stays a number (the view sends it to the last page)."""
    raw = request.args.get("page")
    if raw is None:
        return 1
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()) or not raw.strip("0"):
        abort(400, description=_("Page numbers are whole numbers from 1."))
    number = parse_number(raw)
    return number if number is not None else 2**31 - 1


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


def limit_round_audience_choices(form, round_) -> None:
    """On a round's edit form, offer exactly the tiers and groups the policy lets the viewer choose: anyone but the
    facilitating organisation keeps the round's group and may only raise it (DESIGN.md rule 8)."""
    viewer, db = current_viewer(), session()
    labels = dict(TIER_CHOICES)
    creator = policy.viewer_for(round_.created_by, db)
    form.tier.choices = [(tier.code, labels[tier.code])
                         for tier in round_tier_choices(viewer, round_, creator)]
    current = db.get(SharingGroup, round_.sharing_group_id) if round_.sharing_group_id is not None else None
    if not is_round_originator(viewer, round_):
        form.sharing_group.choices = [(str(current.id), current.name)] if current else [("", _("No group"))]
    elif current is not None and str(current.id) not in {value for value, _label in form.sharing_group.choices}:
        form.sharing_group.choices.append((str(current.id), current.name))  # kept, not chosen


def form_tier(form) -> Tier:
    """The chosen tier (the form's choices were limited, the service checks again)."""
    try:
        return Tier.from_code(form.tier.data or "community")
    except ValueError:
        abort(400, description=_("Unknown access tier."))


from webapp.views.dialogue import declassification, rounds, threads  # noqa: E402,F401  (routes register on bp)
