"""The archive's declassification routes (DESIGN.md rule 8): propose a lower tier, answer a proposal, schedule or
cancel a release, and the proposer's list. Each view: parse → one service → redirect (PRG); a refused input
re-renders the tier page with 400; 403/404/409 become the error page."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from webapp.auth import current_viewer, login_required
from webapp.db import session
from webapp.forms.archive import ActionForm
from webapp.forms.declassification import AnswerForm, ProposalForm, ReleaseForm
from webapp.models import DialogueRound, Tier
from webapp.policy.dialogue import can_propose_round_declassification, is_round_originator
from webapp.policy.archive import can_declassify, can_propose_declassification
from webapp.services import ServiceError
from webapp.services import declassification, idempotency
from webapp.views.archive import bp, visible_or_404


def _lower_tiers(item) -> list[Tier]:
    return [tier for tier in Tier if tier < item.tier]


def tier_page_context(item, *, proposal_form=None, release_form=None) -> dict:
    """What the tier page shows beside the tier form: the proposal form, or the originator's scheduled release."""
    viewer = current_viewer()
    context: dict = {"proposal_form": None, "release_form": None, "release": None, "cancel_form": None}
    if can_propose_declassification(viewer, item):
        form = proposal_form or ProposalForm(formdata=None, data={
            "proposed_group_id": str(item.sharing_group_id or "")})
        form.offer(_lower_tiers(item), item.sharing_group)
        context["proposal_form"] = form
    elif can_declassify(viewer, item):
        release = declassification.pending_release(session(), item.id)
        form = release_form or ReleaseForm(formdata=None, data={
            "release_tier": release.tier.code if release else "",
            "release_at": release.release_at.strftime("%Y-%m-%d %H:%M") if release else ""})
        form.offer(_lower_tiers(item))
        context.update(release_form=form, release=release, cancel_form=ActionForm())
    return context


def _tier_page_with(item, status: int = 400, **forms):
    from webapp.views.archive_write import render_tier_page

    return render_tier_page(item, None, False, status, **forms)


def _form_problem(form) -> None:
    """Collect a form's field errors as one refusal message."""
    messages = "; ".join(" ".join(map(str, errors)) for errors in form.errors.values())
    form.form_errors.append(messages or _("The form is incomplete."))


@bp.post("/<id:submission_id>/propose")
@login_required
def propose(submission_id: int):
    """Propose to the originator to lower the tier or remove the sharing group, with a reason."""
    item = visible_or_404(submission_id)
    form = ProposalForm()
    form.offer(_lower_tiers(item), item.sharing_group)
    if not form.validate_on_submit():
        _form_problem(form)
        return _tier_page_with(item, proposal_form=form)
    viewer = current_viewer()

    def create() -> str:
        declassification.propose(viewer, item.id, tier=form.proposed_tier.data,
                                 sharing_group_id=form.proposed_group_id.data or None, reason=form.reason.data)
        return url_for("archive.proposals")

    try:
        url, repeated = idempotency.create_once(viewer, "proposal", form.idempotency_key.data, create,
                                                fallback_url=url_for("archive.proposals"))
    except ServiceError as error:
        if error.status != 400:
            raise
        form.form_errors.append(error.message)
        return _tier_page_with(item, proposal_form=form)
    flash(_("This form was already sent: your proposal is among these.") if repeated else
          _("Your proposal was sent to the originating organisation."), "success")
    return redirect(url)


def _target_url(proposal) -> str:
    if proposal.target_kind == "round":
        return url_for("dialogue.round", round_id=proposal.round_id)
    return url_for("archive.show", submission_id=proposal.submission_id)


@bp.post("/proposals/<id:proposal_id>/accept")
@login_required
def accept_proposal(proposal_id: int):
    """The originator accepts a proposal: the tier changes now, as the originator's act."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400, description=_("The form is incomplete."))
    proposal = declassification.accept(current_viewer(), proposal_id)
    flash(_("Proposal accepted: the access tier changed."), "success")
    return redirect(_target_url(proposal))


@bp.post("/proposals/<id:proposal_id>/refuse")
@login_required
def refuse_proposal(proposal_id: int):
    """The originator refuses a proposal (optional reason): nothing changes."""
    form = AnswerForm()
    if not form.validate_on_submit():
        abort(400, description="; ".join(" ".join(map(str, e)) for e in form.errors.values())
              or _("The form is incomplete."))
    proposal = declassification.refuse(current_viewer(), proposal_id, form.reason.data)
    flash(_("Proposal refused: nothing was changed."), "success")
    return redirect(_target_url(proposal))


@bp.get("/proposals")
@login_required
def proposals():
    """Your proposals to lower items' tiers, and their answers."""
    return render_template("archive/proposals.html",
                           proposals=declassification.proposals_by(session(), current_viewer()))


@bp.post("/<id:submission_id>/release")
@login_required
def schedule_release(submission_id: int):
    """The originator schedules (or changes) "release to TIER on DATE"."""
    item = visible_or_404(submission_id)
    form = ReleaseForm()
    form.offer(_lower_tiers(item))
    if not form.validate_on_submit():
        _form_problem(form)
        return _tier_page_with(item, release_form=form)
    try:
        declassification.schedule_release(current_viewer(), item.id, tier=form.release_tier.data,
                                          release_at=form.release_at.data)
    except ServiceError as error:
        if error.status != 400:
            raise
        form.form_errors.append(error.message)
        return _tier_page_with(item, release_form=form)
    flash(_("Release scheduled."), "success")
    return redirect(url_for("archive.change_tier", submission_id=item.id))


@bp.post("/<id:submission_id>/release/cancel")
@login_required
def cancel_release(submission_id: int):
    """The originator cancels the scheduled release."""
    item = visible_or_404(submission_id)
    if not ActionForm().validate_on_submit():
        abort(400, description=_("The form is incomplete."))
    declassification.cancel_release(current_viewer(), item.id)
    flash(_("Scheduled release cancelled."), "success")
    return redirect(url_for("archive.change_tier", submission_id=item.id))


def pending_proposals(item) -> list:
    """For the item page: the proposals waiting on the originator's answer (empty for anyone else)."""
    return declassification.pending_for(session(), current_viewer(), item)


def synthesis_decides_in_round(round_id: int | None) -> bool:
    """For a synthesis' page: may the viewer propose or decide its audience (which is its round's, on the round)?"""
    if round_id is None:
        return False
    round_, viewer = session().get(DialogueRound, round_id), current_viewer()
    return is_round_originator(viewer, round_) or can_propose_round_declassification(viewer, round_)


def answer_form() -> AnswerForm:
    return AnswerForm(formdata=None)
