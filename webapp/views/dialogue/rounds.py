"""Round pages: the list, one round, create/edit, open/close, conclude."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from webapp.queries_archive.detail import round_synthesis_id
from webapp import queries
from webapp.auth import current_viewer, verified_required
from webapp.db import session
from webapp.forms.admin import ActionForm
from webapp.forms.dialogue import ConcludeForm, RoundForm, WatchForm, utc
from webapp.models import AccountStatus, RoundState, User, utcnow
from webapp.policy.dialogue import can_create_round, can_manage_round, can_start_thread_in_round, facilitates
from webapp.queries_dialogue import rounds as round_queries
from webapp.queries_dialogue.notifications import is_watching
from webapp.services import ServiceError, dialogue_rounds
from webapp.services.dialogue_reads import record_read
from webapp.views.dialogue import bp, checked, fill_tier_choices, form_tier


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
        can_create_round=can_create_round(viewer),
    )


def _round_or_404(round_id: int):
    round_ = round_queries.visible_round(session(), current_viewer(), round_id)
    if round_ is None:
        abort(404)
    return round_


@bp.get("/rounds/<int:round_id>")
def round(round_id: int):  # noqa: A001 - the endpoint is dialogue.round
    """One round: questions, paragraphs, facilitators, invitations, threads, participation, outcome."""
    db, viewer = session(), current_viewer()
    round_ = _round_or_404(round_id)
    record_read(viewer, "dialogue_round", round_.id, round_.tier)
    threads = round_queries.threads(db, viewer, round_id=round_.id)
    return render_template(
        "dialogue/round.html",
        round=round_,
        state=round_.state,
        RoundState=RoundState,
        threads=threads,
        post_counts=round_queries.post_counts(db, viewer, [t.id for t in threads]),
        participation=round_queries.participation(db, viewer, round_.id),
        stakeholder_labels={kind.code: kind.label for kind in queries.stakeholder_types(db)},
        can_manage=can_manage_round(viewer, round_),
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
    form.paragraphs.choices = [(p.number, f"{p.number}. {p.title}") for p in round_queries.paragraph_choices(db)]
    form.invited_types.choices = [(kind.code, kind.label) for kind in queries.stakeholder_types(db)]
    form.invited_organisations.choices = [(o.id, o.name) for o in queries.organisations(db, verified=True)]
    facilitators = db.scalars(
        select(User).where(User.is_facilitator.is_(True), User.status == AccountStatus.ACTIVE).order_by(User.name))
    form.facilitators.choices = [(u.id, f"{u.name} — {u.organisation.name}") for u in facilitators
                                 if u.id != current_viewer().user_id]


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
    error, status = None, 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            round_ = dialogue_rounds.create_round(current_viewer(), **_round_fields(form))
        except ServiceError as exc:
            error, status = exc.message, exc.status
        else:
            flash(_("The round is created."), "success")
            return redirect(url_for("dialogue.round", round_id=round_.id))
    return render_template("dialogue/round_form.html", form=form, round=None, error=error), status


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
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
    if not form.is_submitted():
        form.title.data, form.questions.data = round_.title, round_.questions_source
        form.paragraphs.data = [p.number for p in round_.paragraphs]
        form.tier.data = round_.tier.code
        form.sharing_group.data = round_.sharing_group_id
        form.opens_at.data = round_.opens_at.replace(tzinfo=None)
        form.closes_at.data = round_.closes_at.replace(tzinfo=None)
        form.chatham_house.data = round_.chatham_house
        form.invited_types.data = [kind.code for kind in round_.invited_types]
        form.invited_organisations.data = [o.id for o in round_.invited_organisations]
        form.facilitators.data = [u.id for u in round_.facilitators]
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


@bp.post("/rounds/<int:round_id>/open")
@verified_required
def open_round(round_id: int):
    """Open a scheduled round now."""
    checked(ActionForm())
    dialogue_rounds.open_round(current_viewer(), round_id)
    flash(_("The round is open."), "success")
    return redirect(url_for("dialogue.round", round_id=round_id))


@bp.post("/rounds/<int:round_id>/close")
@verified_required
def close_round(round_id: int):
    """Close a round; its threads are locked."""
    checked(ActionForm())
    dialogue_rounds.close_round(current_viewer(), round_id)
    flash(_("The round is closed and its threads are locked."), "success")
    return redirect(url_for("dialogue.round", round_id=round_id))


@bp.route("/rounds/<int:round_id>/conclude", methods=["GET", "POST"])
@verified_required
def conclude_round(round_id: int):
    """Write the outcome synthesis and conclude the round."""
    round_ = _round_or_404(round_id)
    if not can_manage_round(current_viewer(), round_):
        abort(403, description=_("Only this round's facilitators can do this."))
    if round_.state is RoundState.CONCLUDED:
        abort(409, description=_("This round is already concluded."))
    form = ConcludeForm()
    form.paragraphs.choices = [(p.number, f"{p.number}. {p.title}") for p in round_queries.paragraph_choices(session())]
    if not form.is_submitted():
        form.paragraphs.data = [p.number for p in round_.paragraphs]
    error, status = None, 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            dialogue_rounds.conclude_round(current_viewer(), round_.id, synthesis_source=form.synthesis.data,
                                           key_points=form.key_points(), paragraphs=form.paragraphs.data)
        except ServiceError as exc:
            error, status = exc.message, exc.status
        else:
            flash(_("The round is concluded and its outcome synthesis is published."), "success")
            return redirect(url_for("dialogue.round", round_id=round_.id))
    return render_template("dialogue/conclude.html", form=form, round=round_, error=error,
                           participation=round_queries.participation(session(), current_viewer(), round_.id)), status
