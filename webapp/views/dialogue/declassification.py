"""A round's audience page (DESIGN.md rule 8): a facilitator from elsewhere proposes lowering the round (and its
synthesis); the facilitating organisation answers proposals and schedules or cancels a release. Each view: parse →
one service → redirect (PRG); a refused input re-renders the page with 400; 403/404/409 become the error page."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from webapp.auth import current_viewer, verified_required
from webapp.db import session
from webapp.forms.archive import ActionForm
from webapp import policy
from webapp.forms.declassification import AnswerForm, ProposalForm, RaiseForm, ReleaseForm
from webapp.models import SharingGroup, Tier
from webapp.policy.dialogue import (
    can_manage_round,
    can_propose_round_declassification,
    is_round_originator,
    round_tier_choices,
)
from webapp.services import ServiceError, round_declassification
from webapp.views.dialogue import bp
from webapp.views.dialogue.rounds import _round_or_404


def _lower_tiers(round_) -> list[Tier]:
    return [tier for tier in Tier if tier < round_.tier]


def _group(round_):
    return session().get(SharingGroup, round_.sharing_group_id) if round_.sharing_group_id is not None else None


def _higher_tiers(round_) -> list[Tier]:
    viewer = current_viewer()
    creator = policy.viewer_for(round_.created_by, session())
    return [tier for tier in round_tier_choices(viewer, round_, creator) if tier > round_.tier]


def _page(round_, status: int = 200, *, proposal_form=None, release_form=None, raise_form=None):
    viewer, db = current_viewer(), session()
    context: dict = {"proposal_form": None, "release_form": None, "release": None, "proposals": [],
                     "raise_form": None}
    if can_manage_round(viewer, round_) and _higher_tiers(round_):
        form = raise_form or RaiseForm(formdata=None)
        form.offer(_higher_tiers(round_))
        context["raise_form"] = form
    if can_propose_round_declassification(viewer, round_):
        form = proposal_form or ProposalForm(formdata=None, data={
            "proposed_group_id": str(round_.sharing_group_id or "")})
        form.offer(_lower_tiers(round_), _group(round_))
        context["proposal_form"] = form
    elif is_round_originator(viewer, round_):
        release = round_declassification.pending_round_release(db, round_.id)
        form = release_form or ReleaseForm(formdata=None, data={
            "release_tier": release.tier.code if release else "",
            "release_at": release.release_at.strftime("%Y-%m-%d %H:%M") if release else ""})
        form.offer(_lower_tiers(round_))
        context.update(release_form=form, release=release,
                       proposals=round_declassification.pending_round_proposals(db, viewer, round_))
    elif context["raise_form"] is None:
        abort(403, description=_("Only a facilitator may propose lowering this round; only its facilitating "
                                 "organisation decides."))
    return render_template("dialogue/round_audience.html", round=round_, action=ActionForm(),
                           answer_form=AnswerForm(formdata=None), **context), status


def _form_problem(form) -> None:
    messages = "; ".join(" ".join(map(str, errors)) for errors in form.errors.values())
    form.form_errors.append(messages or _("The form is incomplete."))


@bp.get("/rounds/<id:round_id>/audience")
@verified_required
def round_audience(round_id: int):
    """Who decides who reads the round: the proposal form, or the originator's proposals and release."""
    return _page(_round_or_404(round_id))


@bp.post("/rounds/<id:round_id>/propose")
@verified_required
def propose_round(round_id: int):
    """Propose to the facilitating organisation to lower the round or remove its group, with a reason."""
    round_ = _round_or_404(round_id)
    form = ProposalForm()
    form.offer(_lower_tiers(round_), _group(round_))
    if not form.validate_on_submit():
        _form_problem(form)
        return _page(round_, 400, proposal_form=form)
    try:
        round_declassification.propose_round(current_viewer(), round_.id, tier=form.proposed_tier.data,
                                             sharing_group_id=form.proposed_group_id.data or None,
                                             reason=form.reason.data)
    except ServiceError as error:
        if error.status != 400:
            raise
        form.form_errors.append(error.message)
        return _page(round_, 400, proposal_form=form)
    flash(_("Your proposal was sent to the facilitating organisation."), "success")
    return redirect(url_for("archive.proposals"))


@bp.post("/rounds/<id:round_id>/raise")
@verified_required
def raise_round_tier(round_id: int):
    """A facilitator raises the round's tier now (its threads and synthesis with it)."""
    round_ = _round_or_404(round_id)
    form = RaiseForm()
    form.offer(_higher_tiers(round_))
    if not form.validate_on_submit():
        _form_problem(form)
        return _page(round_, 400, raise_form=form)
    try:
        round_declassification.raise_round_tier(current_viewer(), round_.id, tier=form.raise_tier.data)
    except ServiceError as error:
        if error.status != 400:
            raise
        form.form_errors.append(error.message)
        return _page(round_, 400, raise_form=form)
    flash(_("The round's tier was raised."), "success")
    return redirect(url_for("dialogue.round", round_id=round_.id))


@bp.post("/rounds/<id:round_id>/release")
@verified_required
def schedule_round_release(round_id: int):
    """The facilitating organisation schedules (or changes) "release to TIER on DATE"."""
    round_ = _round_or_404(round_id)
    form = ReleaseForm()
    form.offer(_lower_tiers(round_))
    if not form.validate_on_submit():
        _form_problem(form)
        return _page(round_, 400, release_form=form)
    try:
        round_declassification.schedule_round_release(current_viewer(), round_.id, tier=form.release_tier.data,
                                                      release_at=form.release_at.data)
    except ServiceError as error:
        if error.status != 400:
            raise
        form.form_errors.append(error.message)
        return _page(round_, 400, release_form=form)
    flash(_("Release scheduled."), "success")
    return redirect(url_for("dialogue.round_audience", round_id=round_.id))


@bp.post("/rounds/<id:round_id>/release/cancel")
@verified_required
def cancel_round_release(round_id: int):
    """The facilitating organisation cancels the scheduled release."""
    round_ = _round_or_404(round_id)
    if not ActionForm().validate_on_submit():
        abort(400, description=_("The form is incomplete."))
    round_declassification.cancel_round_release(current_viewer(), round_.id)
    flash(_("Scheduled release cancelled."), "success")
    return redirect(url_for("dialogue.round_audience", round_id=round_.id))
