"""The archive, write side: create and edit submissions, the workflow buttons, tier changes, my submissions and
the review queue. Each view: parse → one service → redirect (PRG); a refused input re-renders the form with 400."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webapp import policy, queries
from webapp.auth import current_viewer, login_required, verified_required
from webapp.db import session
from webapp.forms.archive import FORMS, ActionForm, ReturnForm, SubmissionForm, TierForm
from webapp.models import SharingGroup, Submission, SubmissionKind
from webapp.policy.archive import (
    can_change_tier,
    can_edit_submission,
    can_review,
    can_see_review_queue,
    follows_its_round,
)
from webapp.queries_archive import listing
from webapp.services import ServiceError
from webapp.services import submission_workflow as workflow
from webapp.services import submissions
from webapp.views.archive import bp, visible_or_404


def _own_groups() -> list[SharingGroup]:
    return listing.own_sharing_groups(session(), current_viewer())


def _kind_or_404(kind: str) -> SubmissionKind:
    try:
        found = SubmissionKind(kind)
    except ValueError:
        abort(404)
    if found not in FORMS:
        abort(404)
    return found


def _refused(form, error: ServiceError) -> None:
    """Show a 400-class refusal on the form; anything else (403, 404, 409, 413) becomes the error page."""
    if error.status != 400:
        raise error
    form.form_errors.append(error.message)


def _posted(form_class) -> object:
    """A posted action form, or 400 (an expired or forged CSRF token is answered by the CSRF handler)."""
    form = form_class()
    if not form.validate_on_submit():
        messages = "; ".join(" ".join(map(str, errors)) for errors in form.errors.values())
        abort(400, description=messages or _("The form is incomplete."))
    return form


@bp.get("/new")
@verified_required
def new():
    """Choose what to contribute."""
    return render_template("archive/new.html", kinds=list(FORMS))


@bp.route("/new/<kind>", methods=["GET", "POST"])
@verified_required
def create(kind: str):
    """Write a new lesson learnt, good practice or responsible-AI policy; it is saved as a draft."""
    submission_kind = _kind_or_404(kind)
    form: SubmissionForm = FORMS[submission_kind]()
    form.set_groups(_own_groups())
    form.set_paragraph_titles(queries.all_paragraphs(session()))
    form.limit_tiers(policy.max_authoring_tier(current_viewer()))
    if _is_get():
        form.preselect_paragraph(request.args.get("paragraph", type=int))
    if form.validate_on_submit():
        try:
            item = submissions.create_submission(current_viewer(), submission_kind, form.service_data())
        except ServiceError as error:
            _refused(form, error)
        else:
            flash(_("Your draft is saved. Submit it for review when it is ready."), "success")
            return redirect(url_for("archive.show", submission_id=item.id))
    status = 400 if form.is_submitted() else 200
    return render_template("archive/form.html", form=form, kind=submission_kind, item=None), status


@bp.route("/<int:submission_id>/edit", methods=["GET", "POST"])
@login_required
def edit(submission_id: int):
    """Edit your own submission; every save is a revision."""
    item = visible_or_404(submission_id)
    if follows_its_round(item):
        abort(409, description=_("An outcome synthesis is written in its dialogue round; it cannot be edited here."))
    if not can_edit_submission(current_viewer(), item):
        if item.author_id != current_viewer().user_id:
            abort(403, description=_("Only the author can edit this submission."))
        abort(409, description=_("A submission that is %(status)s cannot be edited.", status=item.status.value))
    form_class = FORMS[item.kind]
    form = form_class(formdata=None, data=_current_values(item)) if _is_get() else form_class()
    form.set_groups(_own_groups())
    form.set_paragraph_titles(queries.all_paragraphs(session()))
    form.limit_tiers(policy.max_authoring_tier(current_viewer()), keep=item.tier)
    if not _is_get() and form.validate_on_submit():
        try:
            submissions.update_submission(
                current_viewer(), item.id, form.service_data(),
                confirm_declassify=bool(form.confirm_declassify.data), note=form.note.data or "",
            )
        except ServiceError as error:
            _refused(form, error)
        else:
            flash(_("Saved. A new revision was recorded."), "success")
            return redirect(url_for("archive.show", submission_id=item.id))
    status = 400 if not _is_get() else 200
    return render_template("archive/form.html", form=form, kind=item.kind, item=item), status


def _is_get() -> bool:
    return request.method == "GET"


def _current_values(item: Submission) -> dict:
    values = {
        "title": item.title, "summary": item.summary, "keywords": ", ".join(item.keywords or []),
        "paragraphs": item.paragraph_numbers, "tier": item.tier.code,
        "sharing_group_id": str(item.sharing_group_id) if item.sharing_group_id else "",
    }
    for name in item.markdown_fields():
        values[name] = getattr(item, f"{name}_source")
    values.update(
        application_area=item.application_area, military_context=item.military_context,
        lifecycle_stage=item.lifecycle_stage.value if item.lifecycle_stage else "",
        lesson_status=item.lesson_status.value if item.lesson_status else "identified",
        issuer=item.issuer, effective_date=item.effective_date, policy_version=item.policy_version, link=item.link,
    )
    return values


def _transition(submission_id: int, service, message: str):
    _posted(ActionForm)
    service(current_viewer(), submission_id)
    flash(message, "success")
    return redirect(url_for("archive.show", submission_id=submission_id))


@bp.post("/<int:submission_id>/submit")
@login_required
def submit(submission_id: int):
    """Send a draft or returned submission to the reviewers."""
    return _transition(submission_id, workflow.submit_submission, _("Submitted for review."))


@bp.post("/<int:submission_id>/publish")
@login_required
def publish(submission_id: int):
    """A reviewer publishes a submitted item."""
    return _transition(submission_id, workflow.publish_submission, _("Published."))


@bp.post("/<int:submission_id>/withdraw")
@login_required
def withdraw(submission_id: int):
    """The author withdraws a submission."""
    return _transition(submission_id, workflow.withdraw_submission, _("Withdrawn."))


@bp.post("/<int:submission_id>/archive")
@login_required
def archive_item(submission_id: int):
    """The author or a reviewer archives a published item."""
    return _transition(submission_id, workflow.archive_submission, _("Archived."))


@bp.route("/<int:submission_id>/return", methods=["GET", "POST"])
@login_required
def return_for_revision(submission_id: int):
    """A reviewer returns a submitted item to its author with comments."""
    item = visible_or_404(submission_id)
    if not can_review(current_viewer(), item):
        abort(403, description=_("Only a facilitator other than the author can return this."))
    if item.status not in workflow.TRANSITIONS["return"]:
        abort(409, description=_("Only a submission under review can be returned."))
    form = ReturnForm()
    if form.validate_on_submit():
        try:
            workflow.return_submission(current_viewer(), item.id, form.comments.data)
        except ServiceError as error:
            _refused(form, error)
        else:
            flash(_("Returned to the author with your comments."), "success")
            return redirect(url_for("archive.review"))
    status = 400 if form.is_submitted() else 200
    return render_template("archive/return.html", form=form, item=item), status


@bp.route("/<int:submission_id>/tier", methods=["GET", "POST"])
@login_required
def change_tier(submission_id: int):
    """Change the tier or sharing group; lowering it (declassification) needs confirmation and is audited."""
    item = visible_or_404(submission_id)
    if follows_its_round(item):
        abort(409, description=_(
            "An outcome synthesis keeps the audience of its dialogue round; its tier cannot be changed."))
    if not can_change_tier(current_viewer(), item):
        abort(403, description=_("Only the author, the author's organisation or a reviewer can change the tier."))
    if _is_get():
        form = TierForm(formdata=None, data={
            "tier": item.tier.code, "sharing_group_id": str(item.sharing_group_id or ""),
        })
    else:
        form = TierForm()
    form.set_groups(_own_groups())
    if not _is_get() and form.validate_on_submit():
        try:
            submissions.change_submission_tier(
                current_viewer(), item.id, tier=form.tier.data, sharing_group_id=form.sharing_group_id.data or None,
                confirm=bool(form.confirm.data),
            )
        except ServiceError as error:
            _refused(form, error)
        else:
            flash(_("Access tier changed."), "success")
            return redirect(url_for("archive.show", submission_id=item.id))
    status = 400 if not _is_get() else 200
    return render_template("archive/tier.html", form=form, item=item), status


@bp.post("/<int:submission_id>/new-version")
@verified_required
def new_version(submission_id: int):
    """Start a new version of a responsible-AI policy as a draft."""
    _posted(ActionForm)
    draft = submissions.create_policy_version(current_viewer(), submission_id)
    flash(_("A new version was started as a draft. Update the version and effective date."), "success")
    return redirect(url_for("archive.edit", submission_id=draft.id))


@bp.get("/mine")
@verified_required
def mine():
    """Everything you wrote, drafts included."""
    return render_template("archive/mine.html", items=listing.my_submissions(session(), current_viewer()))


@bp.get("/review")
@login_required
def review():
    """Facilitators: the queue of submitted items to publish or return."""
    if not can_see_review_queue(current_viewer()):
        abort(403, description=_("The review queue is for facilitators."))
    return render_template(
        "archive/review.html", items=listing.review_queue(session(), current_viewer()), action=ActionForm()
    )
