"""The archive, write side: create and edit submissions, the workflow buttons, tier changes, my submissions and
the review queue. Each view: parse → one service → redirect (PRG); a refused input re-renders the form with 400."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webapp import policy, queries
from webapp.auth import current_viewer, login_required, verified_required
from webapp.db import session
from webapp.forms.archive import FORMS, ActionForm, ReturnForm, SubmissionForm, TierForm, section_tier_values
from webapp.ids import parse_id
from webapp.models import SharingGroup, Submission, SubmissionKind, Tier
from webapp.policy.archive import (
    author_viewer,
    can_change_tier,
    can_edit_submission,
    can_review,
    can_review_revision,
    can_see_review_queue,
    follows_its_round,
    may_choose_group,
    tier_choices_for,
)
from webapp.models.submission_revision import REVIEW_PENDING
from webapp.policy.audience_preview import audience_of, may_preview_choice
from webapp.queries_archive import detail, listing
from webapp.services import ServiceError
from webapp.services import submission_workflow as workflow
from webapp.services import idempotency, review_dates, submissions
from webapp.services.submission_fields import STATUS_WORDS, fields_from_snapshot
from webapp.views.archive import bp, visible_or_404
from webapp.views.markdown_preview import previewed


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
    # The item's tier is chosen on the same form: any tier up to the clearance (the service refuses one below it).
    form.limit_section_tiers(Tier.PUBLIC, policy.max_authoring_tier(current_viewer()))
    form.describe_review_date(review_dates.default_days(submission_kind))
    if _is_get():
        form.preselect_paragraph(parse_id(request.args.get("paragraph")))  # a hint: a wrong one is ignored
    if _wants_preview():
        viewer = current_viewer()
        return _preview(form, submission_kind, None, viewer.organisation_id, viewer.user_id)
    if previewed(form, _markdown_names(form)):
        return render_template("archive/form.html", form=form, kind=submission_kind, item=None)
    if form.validate_on_submit():
        viewer = current_viewer()
        try:
            url, repeated = idempotency.create_once(
                viewer, "submission", form.idempotency_key.data,
                lambda: url_for("archive.show", submission_id=submissions.create_submission(
                    viewer, submission_kind, form.service_data(),
                    **form.release(), review_on=form.review_on.data).id),
                fallback_url=url_for("archive.mine"))
        except ServiceError as error:
            _refused(form, error)
        else:
            flash(_("This form was already sent: here is the draft it saved.") if repeated else
                  _("Your draft is saved. Submit it for review when it is ready."), "success")
            return redirect(url)
    status = 400 if form.is_submitted() else 200
    return render_template("archive/form.html", form=form, kind=submission_kind, item=None), status


@bp.route("/<id:submission_id>/edit", methods=["GET", "POST"])
@login_required
def edit(submission_id: int):
    """Edit your own submission; every save is a revision."""
    item = visible_or_404(submission_id)
    if follows_its_round(item):
        abort(409, description=_("An outcome synthesis is written in its dialogue round; it cannot be edited here."))
    if not can_edit_submission(current_viewer(), item):
        if item.author_id != current_viewer().user_id:
            abort(403, description=_("Only the author can edit this submission."))
        abort(409, description=_("A submission that is %(status)s cannot be edited.", status=STATUS_WORDS[item.status.value]))
    form_class = FORMS[item.kind]
    # An author who already proposed a revision of a published item goes on from it, not from the published text.
    proposal = detail.open_proposal(session(), current_viewer(), item.id)
    form = form_class(formdata=None, data=_current_values(item, proposal)) if _is_get() else form_class()
    form.set_groups(_own_groups())
    form.set_paragraph_titles(queries.all_paragraphs(session()))
    form.limit_tiers(policy.max_authoring_tier(current_viewer()), keep=item.tier)
    form.limit_section_tiers(item.tier, policy.max_authoring_tier(current_viewer()), keep=item.section_tiers)
    form.describe_review_date(review_dates.default_days(item.kind))
    if _wants_preview():
        return _preview(form, item.kind, item, item.author_organisation_id, item.author_id)
    if previewed(form, _markdown_names(form)):
        return render_template("archive/form.html", form=form, kind=item.kind, item=item, proposal=proposal)
    if not _is_get() and form.validate_on_submit():
        try:
            submissions.update_submission(
                current_viewer(), item.id, form.service_data(),
                confirm_declassify=bool(form.confirm_declassify.data), note=form.note.data or "",
                review_on=form.review_on.data,
            )
        except ServiceError as error:
            _refused(form, error)
        else:
            if item.status.value == "published":
                flash(_("Your revision is waiting for review. Readers see the published text until a reviewer "
                        "publishes it."), "success")
            else:
                flash(_("Saved. A new revision was recorded."), "success")
            return redirect(url_for("archive.show", submission_id=item.id))
    status = 400 if not _is_get() else 200
    return render_template("archive/form.html", form=form, kind=item.kind, item=item, proposal=proposal), status


def _markdown_names(form) -> list[str]:
    """The form's Markdown fields (its kind's long texts), which the text preview renders."""
    return [f.name for f in form.kind_fields() if f.type == "TextAreaField"]


def _wants_preview() -> bool:
    """The form's second button: show who would read the chosen audience, save nothing (CSRF is checked app-wide)."""
    return request.method == "POST" and "preview_audience" in request.form


def _preview(form, kind: SubmissionKind, item: Submission | None, author_organisation_id: int, author_id: int):
    """Re-render the form with the audience of its tier and group; a tier or group the author may not choose gets
    a message instead (400), and nothing is ever saved."""
    try:
        tier = Tier.from_code(form.tier.data or "")
    except ValueError:
        tier = None
    group_id = parse_id(form.sharing_group_id.data) if form.sharing_group_id.data else None
    audience, status = None, 400
    if tier is None:
        form.form_errors.append(_("Choose who may read it to preview its audience."))
    elif (form.sharing_group_id.data and group_id is None) or not may_preview_choice(current_viewer(), tier, group_id):
        form.form_errors.append(_("You can preview only a tier up to your clearance and a sharing group you belong to."))
    else:
        audience = audience_of(session(), tier, group_id, author_organisation_id, author_id)
        status = 200
    return render_template("archive/form.html", form=form, kind=kind, item=item, audience=audience), status


def _is_get() -> bool:
    return request.method == "GET"


def _current_values(item: Submission, proposal=None) -> dict:
    values = _proposed_values(item, proposal) if proposal is not None else None
    if values is not None:
        return {**values, "review_on": item.review_on.isoformat() if item.review_on else ""}
    values = {
        "title": item.title, "summary": item.summary, "keywords": ", ".join(item.keywords or []),
        "paragraphs": item.paragraph_numbers, "tier": item.tier.code,
        "sharing_group_id": str(item.sharing_group_id) if item.sharing_group_id else "", "language": item.language,
    }
    for name in item.markdown_fields():
        values[name] = getattr(item, f"{name}_source")
        if item.section_tier(name) > item.tier:
            values[f"{name}_tier"] = item.section_tier(name).code
    values.update(
        application_area=item.application_area, military_context=item.military_context,
        lifecycle_stage=item.lifecycle_stage.value if item.lifecycle_stage else "",
        lesson_status=item.lesson_status.value if item.lesson_status else "identified",
        issuer=item.issuer, effective_date=item.effective_date, policy_version=item.policy_version, link=item.link,
        review_on=item.review_on.isoformat() if item.review_on else "",
    )
    return values


def _proposed_values(item: Submission, proposal) -> dict:
    """Form values from a pending or returned revision's snapshot (the item keeps its current audience)."""
    data = fields_from_snapshot(item, proposal.snapshot)
    data.update(section_tier_values(data.pop("section_tiers", None)))
    data.update(
        keywords=", ".join(data.get("keywords") or []), tier=item.tier.code,
        sharing_group_id=str(item.sharing_group_id) if item.sharing_group_id else "",
        lesson_status=data.get("lesson_status") or "identified", language=item.language,
    )
    if data.get("effective_date"):
        data["effective_date"] = date.fromisoformat(data["effective_date"])
    return data


def _transition(submission_id: int, service, message: str):
    _posted(ActionForm)
    service(current_viewer(), submission_id)
    flash(message, "success")
    return redirect(url_for("archive.show", submission_id=submission_id))


@bp.post("/<id:submission_id>/submit")
@login_required
def submit(submission_id: int):
    """Send a draft or returned submission to the reviewers."""
    return _transition(submission_id, workflow.submit_submission, _("Submitted for review."))


@bp.route("/<id:submission_id>/return", methods=["GET", "POST"])
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


@bp.post("/<id:submission_id>/revisions/<id:number>/publish")
@login_required
def publish_revision(submission_id: int, number: int):
    """A reviewer publishes the pending revision of a published item."""
    _posted(ActionForm)
    workflow.publish_revision(current_viewer(), submission_id, number)
    flash(_("The revision is published: readers now see it."), "success")
    return redirect(url_for("archive.show", submission_id=submission_id))


@bp.route("/<id:submission_id>/revisions/<id:number>/return", methods=["GET", "POST"])
@login_required
def return_revision(submission_id: int, number: int):
    """A reviewer returns the pending revision of a published item with comments (readers keep the published text)."""
    item = visible_or_404(submission_id)
    proposal = detail.open_proposal(session(), current_viewer(), item.id)
    if not can_review_revision(current_viewer(), item):
        abort(403, description=_("Only a reviewer other than the author can return this revision."))
    if proposal is None or proposal.number != number or proposal.review_state != REVIEW_PENDING:
        abort(409, description=_("This revision is not waiting for review."))
    form = ReturnForm()
    if form.validate_on_submit():
        try:
            workflow.return_revision(current_viewer(), item.id, number, form.comments.data)
        except ServiceError as error:
            _refused(form, error)
        else:
            flash(_("The revision was returned to its author with your comments."), "success")
            return redirect(url_for("archive.review"))
    status = 400 if form.is_submitted() else 200
    return render_template("archive/return.html", form=form, item=item, revision=proposal), status


@bp.route("/<id:submission_id>/tier", methods=["GET", "POST"])
@login_required
def change_tier(submission_id: int):
    """Change the tier or sharing group; lowering it (declassification) needs confirmation and is audited. A reviewer
    who is not the originator is offered only the tiers they may choose, and the item keeps its group."""
    item = visible_or_404(submission_id)
    viewer = current_viewer()
    if follows_its_round(item):
        abort(409, description=_(
            "An outcome synthesis keeps the audience of its dialogue round; its tier cannot be changed."))
    if not can_change_tier(viewer, item):
        abort(403, description=_("Only the author, a reviewer of the author's organisation or a reviewer who may "
                                 "read this item can change its tier."))
    form = TierForm(formdata=None, data={
        "tier": item.tier.code, "sharing_group_id": str(item.sharing_group_id or ""),
    }) if _is_get() else TierForm()
    originator = _offer_tier_choices(viewer, item, form)
    if not _is_get() and form.validate_on_submit():
        try:
            submissions.change_submission_tier(
                viewer, item.id, tier=form.tier.data, sharing_group_id=form.sharing_group_id.data or None,
                confirm=bool(form.confirm.data),
            )
        except ServiceError as error:
            _refused(form, error)
        else:
            flash(_("Access tier changed."), "success")
            return redirect(url_for("archive.show", submission_id=item.id))
    status = 400 if not _is_get() else 200
    return render_tier_page(item, form, originator, status)


def _offer_tier_choices(viewer, item, form) -> bool:
    """Offer the tier form exactly what the policy allows; True if the viewer is the originator."""
    originator = may_choose_group(viewer, item)
    if originator:
        form.set_groups(_own_groups(), keep=item.sharing_group)
    else:
        form.keep_group(item.sharing_group)
    form.offer_tiers(tier_choices_for(viewer, item, author_viewer(session(), item)))
    return originator


def render_tier_page(item, form, originator: bool, status: int, **declassification_forms):
    """The tier page: the tier form, and the proposal form (elsewhere) or the scheduled release (originator)."""
    from webapp.views import declassification

    if form is None:
        form = TierForm(formdata=None, data={
            "tier": item.tier.code, "sharing_group_id": str(item.sharing_group_id or ""),
        })
        originator = _offer_tier_choices(current_viewer(), item, form)
    context = declassification.tier_page_context(item, **declassification_forms)
    return render_template("archive/tier.html", form=form, item=item, originator=originator, **context), status


@bp.post("/<id:submission_id>/new-version")
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
    items = listing.review_queue(session(), current_viewer())
    return render_template(
        "archive/review.html", items=items, action=ActionForm(),
        pending=listing.pending_revisions(session(), current_viewer()),
        new_versions=listing.new_policy_versions(session(), items),
    )
