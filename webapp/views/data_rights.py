"""Data-protection rights (issue 14): my data (export), erasing an account, and the privacy notice."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, session, url_for
from flask_babel import gettext as _
from flask_login import logout_user
from flask_wtf import FlaskForm

from webapp.auth import admin_required, current_viewer, login_required
from webapp.db import session as db_session
from webapp.forms.data_rights import DeleteItemForm, EraseMyAccountForm, ErasePersonForm, ErasureRequestAnswerForm
from webapp.models import User
from webapp.services import NotFound, ServiceError, data_export, deletion, erasure, erasure_requests, review_dates

bp = Blueprint("data_rights", __name__)


@bp.get("/privacy")
def privacy():
    """The privacy notice: what is stored, why, for how long, and whom to ask."""
    return render_template("main/privacy.html", periods=current_app.config)


@bp.get("/account/my-data")
@login_required
def my_data():
    """The person's exports and the way to erase their account."""
    return render_template("auth/my_data.html", exports=data_export.my_exports(db_session(), current_viewer()),
                           action=FlaskForm())


@bp.post("/account/my-data/export")
@login_required
def request_export():
    """Ask the job engine for a ZIP of everything held about the person."""
    if not FlaskForm().validate_on_submit():
        raise ServiceError(_("The form expired; reload the page and try again."))
    data_export.request_export(current_viewer())
    flash(_("Your export is being prepared; it appears below when it is ready."), "success")
    return redirect(url_for("data_rights.my_data"))


@bp.get("/account/my-data/export/<id:export_id>")
@login_required
def download_export(export_id: int):
    """The ZIP, for its person only (anyone else: not found)."""
    path = data_export.open_for_download(current_viewer(), export_id)
    return send_file(path, mimetype="application/zip", as_attachment=True, download_name="my-reaim-data.zip")


@bp.route("/account/erase", methods=["GET", "POST"])
@login_required
def erase_my_account():
    """Confirmation page of its own; erasing signs the person out for good."""
    form = EraseMyAccountForm()
    if form.validate_on_submit():
        try:
            erasure.erase_myself(current_viewer(), form.password.data,
                                 ask_organisation=bool(form.ask_organisation.data))
        except ServiceError as error:
            form.form_errors.append(error.message)
            return render_template("auth/erase.html", form=form), error.status
        logout_user()
        session.clear()
        flash(_("Your personal data has been erased. Goodbye."), "info")
        return redirect(url_for("main.index"))
    return render_template("auth/erase.html", form=form), 400 if form.is_submitted() else 200


@bp.route("/admin/users/<id:user_id>/erase", methods=["GET", "POST"])
@admin_required
def erase_person(user_id: int):
    """An administrator erases a person on their documented request."""
    target = db_session().get(User, user_id)
    if target is None:
        raise NotFound(_("No such user."))
    form = ErasePersonForm()
    if form.validate_on_submit():
        try:
            reference = erasure.erase_person(current_viewer(), user_id, reason=form.reason.data,
                                             delete_contributions=form.delete_contributions.data,
                                             ask_organisation=form.ask_organisation.data)
        except ServiceError as error:
            if error.status != 400:
                raise
            form.form_errors.append(error.message)
            return render_template("admin/erase.html", form=form, target=target), 400
        flash(_("The person's data has been erased; the audit log calls them %(reference)s.", reference=reference),
              "success")
        return redirect(url_for("admin.user", user_id=user_id))
    return render_template("admin/erase.html", form=form, target=target), 400 if form.is_submitted() else 200


def _delete_page(form, what: str, action: str, status: int = 200):
    return render_template("main/delete_item.html", form=form, what=what, action=action), status


@bp.route("/archive/<id:submission_id>/delete", methods=["GET", "POST"])
@login_required
def delete_submission(submission_id: int):
    """The originator (or an administrator on request) deletes a submission for good."""
    deletion.check_may_delete_submission(current_viewer(), submission_id)
    form = DeleteItemForm()
    action = url_for("data_rights.delete_submission", submission_id=submission_id)
    if form.validate_on_submit():
        try:
            deletion.delete_submission(current_viewer(), submission_id, reason=form.reason.data)
        except ServiceError as error:
            if error.status in (403, 404, 409):
                raise
            form.form_errors.append(error.message)
            return _delete_page(form, _("this submission"), action, error.status)
        flash(_("The submission is deleted, with its revisions."), "success")
        return redirect(url_for("archive.browse"))
    return _delete_page(form, _("this submission"), action, 400 if form.is_submitted() else 200)


@bp.route("/admin/posts/<id:post_id>/delete", methods=["GET", "POST"])
@admin_required
def delete_post_on_request(post_id: int):
    """An administrator deletes a post's words for good on a documented request."""
    deletion.check_may_delete_post(current_viewer(), post_id)
    form = DeleteItemForm()
    action = url_for("data_rights.delete_post_on_request", post_id=post_id)
    if form.validate_on_submit():
        try:
            deletion.delete_post(current_viewer(), post_id, reason=form.reason.data)
        except ServiceError as error:
            if error.status in (403, 404, 409):
                raise
            form.form_errors.append(error.message)
            return _delete_page(form, _("this post"), action, error.status)
        flash(_("The post's words are deleted, with its revisions."), "success")
        return redirect(url_for("admin.index"))
    return _delete_page(form, _("this post"), action, 400 if form.is_submitted() else 200)


@bp.app_template_global("review_date_of")
def review_date_of(item):
    """An archive item's review date (the one set, else its kind's default), for the item page."""
    return review_dates.review_on(item)


@bp.post("/archive/<id:submission_id>/review-date")
@login_required
def set_review_date(submission_id: int):
    """The originator keeps the item with a new review date."""
    if not FlaskForm().validate_on_submit():
        raise ServiceError(_("The form expired; reload the page and try again."))
    item = review_dates.set_review_date(current_viewer(), submission_id, request.form.get("review_on"))
    flash(_("Kept: the next review is due on %(date)s.", date=item.review_on.isoformat()), "success")
    return redirect(url_for("archive.show", submission_id=submission_id))


@bp.get("/archive/review-lapsed")
@login_required
def lapsed():
    """Items past their review date: a focal point's organisation's, or (admins) every readable one."""
    items = review_dates.lapsed_items(db_session(), current_viewer())
    return render_template("main/review_lapsed.html", items=items)


@bp.get("/erasure-requests")
@login_required
def erasure_requests_list():
    """Requests that former members' contributions be deleted: a focal point's organisation's, or (admins) all."""
    items = erasure_requests.requests_for(db_session(), current_viewer())
    return render_template("main/erasure_requests.html", items=items)


@bp.route("/erasure-requests/<id:request_id>", methods=["GET", "POST"])
@login_required
def erasure_request(request_id: int):
    """The organisation answers one request (another organisation's focal point: the missing-id 404)."""
    request_row = erasure_requests.load(db_session(), current_viewer(), request_id)
    form = ErasureRequestAnswerForm()
    if request_row.state == "pending" and form.validate_on_submit():
        try:
            erasure_requests.decide(current_viewer(), request_id, agree=form.answer.data == "agree",
                                    note=form.note.data or "")
        except ServiceError as error:
            if error.status != 400:
                raise
            form.form_errors.append(error.message)
        else:
            flash(_("Your organisation's answer is recorded."), "success")
            return redirect(url_for("data_rights.erasure_requests_list"))
    contributions = erasure_requests.readable_contributions(db_session(), current_viewer(), request_row)
    status = 400 if form.is_submitted() else 200
    return render_template("main/erasure_request.html", form=form, item=request_row,
                           contributions=contributions), status
