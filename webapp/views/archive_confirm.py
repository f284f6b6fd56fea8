"""The archive's irreversible workflow steps — publish, withdraw, retire — each on a page of its own.

GET shows the item and what happens next (no JavaScript needed); POST with the CSRF token does it (PRG). The GET
page checks what the service checks (404 unreadable, 403 not yours to do, 409 not in a state for it), so nobody is
asked to confirm something that would then be refused. "Retire" is the item's action formerly called "Archive": the
name no longer clashes with the Archive section; the stored status stays `archived`.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from webapp.auth import current_viewer, login_required
from webapp.forms.archive import ActionForm
from webapp.models import Submission
from webapp.policy.archive import can_archive, can_review, can_withdraw
from webapp.queries_archive.labels import STATUS_LABELS
from webapp.services import submission_workflow as workflow
from webapp.views.archive import bp, visible_or_404


class Step(NamedTuple):
    """One irreversible step: who may, from which states (TRANSITIONS key), the service, and the page's words."""

    transition: str
    may: Callable[..., bool]
    service: Callable[..., Submission]
    refusal: Callable[[], str]
    heading: Callable[[], str]
    button: Callable[[], str]
    done: Callable[[], str]
    danger: bool


def _consequences(step: str, item: Submission) -> list[str]:
    """What happens next, in plain words, for this item."""
    if step == "publish":
        return [
            _("Everyone who may read its access tier will find it in the archive, in search and in the feeds."),
            _("People who follow its Call paragraphs are told; the author is told it is published."),
            _("Publishing cannot be undone: afterwards the author can only withdraw it, or the author or a "
              "reviewer can retire it."),
        ]
    if step == "withdraw":
        lines = [_("Nobody but you will be able to read it: it leaves the archive, search and the feeds.")]
        if item.status.value == "published":
            lines.append(_("It is published now: links that readers saved will answer “not found”."))
        if item.kind.value == "responsible_ai_policy":
            lines.append(_("Earlier versions this policy replaced are listed again as current."))
        lines.append(_("Withdrawing cannot be undone: the item cannot be submitted or published again."))
        return lines
    return [
        _("It stays readable at its access tier, marked “Retired”: no longer current."),
        _("Nobody can edit it or propose revisions afterwards."),
        _("Retiring cannot be undone: the item cannot be made current again."),
    ]


STEPS: dict[str, Step] = {
    "publish": Step("publish", can_review, workflow.publish_submission,
                    lambda: _("Only a facilitator other than the author can publish this."),
                    lambda: _("Publish this item?"), lambda: _("Publish"), lambda: _("Published."), False),
    "withdraw": Step("withdraw", can_withdraw, workflow.withdraw_submission,
                     lambda: _("Only the author can withdraw this submission."),
                     lambda: _("Withdraw this item?"), lambda: _("Withdraw"), lambda: _("Withdrawn."), True),
    "retire": Step("archive", can_archive, workflow.archive_submission,
                   lambda: _("Only the author or a reviewer can retire this item."),
                   lambda: _("Retire this item?"), lambda: _("Retire"), lambda: _("Retired."), True),
}


def _confirm_or_act(name: str, submission_id: int):
    step = STEPS[name]
    form = ActionForm()
    if form.is_submitted():
        if not form.validate():
            abort(400, description=_("The form could not be read. Please try again."))
        step.service(current_viewer(), submission_id)
        flash(step.done(), "success")
        return redirect(url_for("archive.show", submission_id=submission_id))
    item = visible_or_404(submission_id)
    if not step.may(current_viewer(), item):
        abort(403, description=step.refusal())
    if item.status not in workflow.TRANSITIONS[step.transition]:
        abort(409, description=_("This item can no longer be changed this way: its status is “%(status)s”.",
                                 status=STATUS_LABELS[item.status.value]))
    return render_template("archive/confirm.html", item=item, form=form, step=step, name=name,
                           consequences=_consequences(name, item))


@bp.route("/<id:submission_id>/publish", methods=["GET", "POST"])
@login_required
def publish(submission_id: int):
    """A reviewer publishes a submitted item (GET: what happens next; POST: publish)."""
    return _confirm_or_act("publish", submission_id)


@bp.route("/<id:submission_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(submission_id: int):
    """The author withdraws a submission (GET: what happens next; POST: withdraw)."""
    return _confirm_or_act("withdraw", submission_id)


@bp.route("/<id:submission_id>/retire", methods=["GET", "POST"])
@login_required
def retire(submission_id: int):
    """The author or a reviewer retires a published item: still readable, no longer current."""
    return _confirm_or_act("retire", submission_id)
