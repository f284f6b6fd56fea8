"""Round pages: the list, one round, create/edit, open/close, conclude."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from webapp.queries_archive.detail import round_synthesis_id
from webapp import queries
from webapp.auth import current_viewer, verified_required
from webapp.db import session
from webapp.forms.admin import ActionForm
from webapp.forms.dialogue import ConcludeForm, RoundForm, WatchForm, utc
from webapp.models import AccountStatus, RoundState, User, utcnow
from webapp.models.stakeholder_type import STAKEHOLDER_CODES
from webapp.policy.dialogue import (
    can_create_round,
    can_manage_round,
    can_propose_round_declassification,
    can_start_thread_in_round,
    facilitates,
    is_round_originator,
    roster_visible_to,
)
from webapp.policy.small_cells import protect_key_points
from webapp.queries_dialogue import rounds as round_queries
from webapp.queries_dialogue import unread
from webapp.queries_dialogue.notifications import is_watching
from webapp.services import ServiceError, dialogue_rounds, idempotency
from webapp.services.dialogue_reads import record_read
from webapp.views.dialogue import bp, checked, fill_tier_choices, form_tier, limit_round_audience_choices
from webapp.views.markdown_preview import previewed
from webapp.locale_names import call_title


@bp.get("/")
def index():
    """Rounds by state, and standalone threads."""
    db, viewer = session(), current_viewer()
    all_rounds = round_queries.rounds(db, viewer)
    now = utcnow()
    by_state: dict[RoundState, list] = {state: [] for state in RoundState}
    for round_ in all_rounds:
        by_state[round_.state_at(now)].append(round_)
    standalone = round_queries.threads(db, viewer, standalone=True)
    return render_template(
        "dialogue/index.html",
        by_state=by_state,
        RoundState=RoundState,
        thread_counts=round_queries.thread_counts(db, viewer, [r.id for r in all_rounds]),
        standalone=standalone,
        post_counts=round_queries.post_counts(db, viewer, [t.id for t in standalone]),
        new_posts=unread.new_posts_by_thread(db, viewer, [t.id for t in standalone]),
        new_round_posts=unread.new_posts_by_round(db, viewer, [r.id for r in all_rounds]),
        can_create_round=can_create_round(viewer),
    )


def _round_or_404(round_id: int):
    round_ = round_queries.visible_round(session(), current_viewer(), round_id)
    if round_ is None:
        abort(404)
    return round_


@bp.get("/rounds/<id:round_id>")
def round(round_id: int):  # noqa: A001 - the endpoint is dialogue.round
    """One round: questions, paragraphs, facilitators, invitations, threads, participation, outcome."""
    db, viewer = session(), current_viewer()
    round_ = _round_or_404(round_id)
    record_read(viewer, "dialogue_round", round_.id, round_.tier)
    threads = round_queries.threads(db, viewer, round_id=round_.id)
    participation = round_queries.participation(db, viewer, round_.id)
    return render_template(
        "dialogue/round.html",
        round=round_,
        state=round_.state,
        RoundState=RoundState,
        threads=threads,
        post_counts=round_queries.post_counts(db, viewer, [t.id for t in threads]),
        new_posts=unread.new_posts_by_thread(db, viewer, [t.id for t in threads]),
        participation=participation,
        key_points=protect_key_points(round_.synthesis_key_points or {}, participation.figures),
        roster_visible=roster_visible_to(viewer, round_),
        invited_counts=round_queries.invited_organisation_counts(db, viewer, round_),
        stakeholder_labels={kind.code: kind.display_label for kind in queries.stakeholder_types(db)},
        can_manage=can_manage_round(viewer, round_),
        audience_link=("decide" if is_round_originator(viewer, round_)
                       else "propose" if can_propose_round_declassification(viewer, round_) else None),
        can_start_thread=can_start_thread_in_round(viewer, round_),
        is_facilitator=facilitates(viewer, round_),
        watching=is_watching(db, viewer, "round", round_.id),
        synthesis_id=round_synthesis_id(db, viewer, round_.id) if round_.state is RoundState.CONCLUDED else None,
        action=ActionForm(),
        watch_form=WatchForm(),
    )


def _round_form_choices(form: RoundForm) -> None:
    db = session()
    fill_tier_choices(form)
    form.paragraphs.choices = [(p.number, f"{p.number}. {call_title(p.title)}") for p in round_queries.paragraph_choices(db)]
    form.invited_types.choices = [(kind.code, kind.label) for kind in queries.stakeholder_types(db)]
    form.invited_organisations.choices = [(o.id, o.name) for o in queries.organisations(db, verified=True)]
    facilitators = db.scalars(
        select(User).where(User.is_facilitator.is_(True), User.status == AccountStatus.ACTIVE).order_by(User.name))
    form.facilitators.choices = [(u.id, f"{u.name} — {u.organisation.name}") for u in facilitators
                                 if u.id != current_viewer().user_id]


def _filtering_lists(form: RoundForm) -> bool:
    """Whether the person asked to narrow the invitation lists (the form is shown again, nothing saved): each list
    keeps the names containing the words, and everything already ticked."""
    if not (form.is_submitted() and request.form.get("filter_lists")):
        return False
    words = (form.list_filter.data or "").strip().casefold()[:100]
    for field in (form.invited_organisations, form.facilitators):
        ticked = set(field.data or ())
        field.choices = [(value, label) for value, label in field.choices
                         if value in ticked or words in str(label).casefold()]
    return True


def _round_fields(form: RoundForm) -> dict:
    return dict(
        title=form.title.data,
        questions_source=form.questions.data,
        paragraphs=form.paragraphs.data,
        tier=form_tier(form),
        sharing_group_id=form.sharing_group.data,
        opens_at=utc(form.opens_at.data),
        closes_at=utc(form.closes_at.data),
        chatham_house=form.chatham_house.data,
        hidden_roster=form.hidden_roster.data,
        thread_pseudonyms=form.thread_pseudonyms.data,
        invited_types=form.invited_types.data,
        invited_organisation_ids=form.invited_organisations.data,
        facilitator_ids=form.facilitators.data,
    )


@bp.route("/rounds/new", methods=["GET", "POST"])
@verified_required
def new_round():
    """A facilitator creates a round."""
    if not can_create_round(current_viewer()):
        abort(403, description=_("Only facilitators can create dialogue rounds."))
    form = RoundForm()
    _round_form_choices(form)
    if not form.is_submitted():
        now = utcnow().replace(second=0, microsecond=0, tzinfo=None)
        form.opens_at.data, form.closes_at.data = now, now + timedelta(days=14)
    if previewed(form, ("questions",)) or _filtering_lists(form):
        return render_template("dialogue/round_form.html", form=form, round=None, error=None)
    error, status = None, 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        viewer = current_viewer()
        try:
            url, repeated = idempotency.create_once(
                viewer, "round", form.idempotency_key.data,
                lambda: url_for("dialogue.round", round_id=dialogue_rounds.create_round(
                    viewer, **_round_fields(form), release_tier=form.release_tier.data,
                    release_at=form.release_at.data).id),
                fallback_url=url_for("dialogue.index"))
        except ServiceError as exc:
            error, status = exc.message, exc.status
        else:
            flash(_("This form was already sent: here is the round it created.") if repeated else
                  _("The round is created."), "success")
            return redirect(url)
    return render_template("dialogue/round_form.html", form=form, round=None, error=error), status


@bp.route("/rounds/<id:round_id>/edit", methods=["GET", "POST"])
@verified_required
def edit_round(round_id: int):
    """Facilitators edit a round."""
    round_ = _round_or_404(round_id)
    if not can_manage_round(current_viewer(), round_):
        abort(403, description=_("Only this round's facilitators can do this."))
    if round_.state is RoundState.CONCLUDED:
        abort(409, description=_("A concluded round can no longer be edited."))
    form = RoundForm()
    _round_form_choices(form)
    limit_round_audience_choices(form, round_)
    if not form.is_submitted():
        form.title.data, form.questions.data = round_.title, round_.questions_source
        form.paragraphs.data = [p.number for p in round_.paragraphs]
        form.tier.data = round_.tier.code
        form.sharing_group.data = round_.sharing_group_id
        form.opens_at.data = round_.opens_at.replace(tzinfo=None)
        form.closes_at.data = round_.closes_at.replace(tzinfo=None)
        form.chatham_house.data = round_.chatham_house
        form.hidden_roster.data = round_.hidden_roster
        form.thread_pseudonyms.data = round_.thread_pseudonyms
        form.invited_types.data = [kind.code for kind in round_.invited_types]
        form.invited_organisations.data = [o.id for o in round_.invited_organisations]
        form.facilitators.data = [u.id for u in round_.facilitators]
    if previewed(form, ("questions",)) or _filtering_lists(form):
        return render_template("dialogue/round_form.html", form=form, round=round_, error=None)
    error, status = None, 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            dialogue_rounds.update_round(current_viewer(), round_.id, **_round_fields(form),
                                         confirm_declassification=form.confirm_declassification.data)
        except ServiceError as exc:
            error, status = exc.message, exc.status
        else:
            flash(_("The round is saved."), "success")
            return redirect(url_for("dialogue.round", round_id=round_.id))
    return render_template("dialogue/round_form.html", form=form, round=round_, error=error), status


@bp.post("/rounds/<id:round_id>/open")
@verified_required
def open_round(round_id: int):
    """Open a scheduled round now."""
    checked(ActionForm())
    dialogue_rounds.open_round(current_viewer(), round_id)
    flash(_("The round is open."), "success")
    return redirect(url_for("dialogue.round", round_id=round_id))


@bp.post("/rounds/<id:round_id>/close")
@verified_required
def close_round(round_id: int):
    """Close a round; its threads are locked."""
    checked(ActionForm())
    dialogue_rounds.close_round(current_viewer(), round_id)
    flash(_("The round is closed and its threads are locked."), "success")
    return redirect(url_for("dialogue.round", round_id=round_id))


@bp.route("/rounds/<id:round_id>/conclude", methods=["GET", "POST"])
@verified_required
def conclude_round(round_id: int):
    """Write the outcome synthesis and conclude the round."""
    round_ = _round_or_404(round_id)
    if not can_manage_round(current_viewer(), round_):
        abort(403, description=_("Only this round's facilitators can do this."))
    if round_.state is RoundState.CONCLUDED:
        abort(409, description=_("This round is already concluded."))
    form = ConcludeForm()
    form.paragraphs.choices = [(p.number, f"{p.number}. {call_title(p.title)}") for p in round_queries.paragraph_choices(session())]
    if not form.is_submitted():
        form.paragraphs.data = [p.number for p in round_.paragraphs]
    if previewed(form, ("synthesis", *(f"key_{code}" for code in STAKEHOLDER_CODES))):
        return render_template("dialogue/conclude.html", form=form, round=round_, error=None,
                               participation=round_queries.participation(session(), current_viewer(), round_.id))
    error, status = None, 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            dialogue_rounds.conclude_round(current_viewer(), round_.id, synthesis_source=form.synthesis.data,
                                           key_points=form.key_points(), paragraphs=form.paragraphs.data,
                                           review_on=form.review_on.data)
        except ServiceError as exc:
            error, status = exc.message, exc.status
        else:
            flash(_("The round is concluded and its outcome synthesis is published."), "success")
            return redirect(url_for("dialogue.round", round_id=round_.id))
    return render_template("dialogue/conclude.html", form=form, round=round_, error=error,
                           participation=round_queries.participation(session(), current_viewer(), round_.id)), status
