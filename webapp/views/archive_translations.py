"""Translations of archive items (issue 13): propose one, read one, and review it (publish or return).

Each view: parse → one service or query → render or redirect (PRG). A translation the viewer may not read is the
generic 404, as if it did not exist; an item they may not read likewise.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webapp.auth import current_viewer, login_required, verified_required
from webapp.db import session
from webapp.forms.archive import ActionForm, ReturnForm, translation_form_for
from webapp.locale_names import LANGUAGE_NAMES
from webapp.models.submission_translation import TRANSLATION_PENDING
from webapp.policy.translations import can_review_translation, can_translate
from webapp.queries_archive import translations as translation_queries
from webapp.queries_archive.sections import reader_item
from webapp.services import ServiceError, idempotency
from webapp.services import translations as translation_service
from webapp.views.archive import bp, visible_or_404
from webapp.views.archive_write import _posted, _refused
from webapp.views.markdown_preview import previewed


@bp.route("/<id:submission_id>/translate", methods=["GET", "POST"])
@verified_required
def translate(submission_id: int):
    """Propose a translation of a published item (the author or a colleague of its organisation)."""
    item = visible_or_404(submission_id)
    viewer = current_viewer()
    if not can_translate(viewer, item):
        abort(403, description=_("Only the author or a colleague of the originating organisation who reads every "
                                 "section can translate this item, once it is published."))
    form = translation_form_for(item)
    if request.method == "GET" and request.args.get("language") in dict(form.language.choices):
        form.language.data = request.args["language"]
    original = reader_item(viewer, item)
    if previewed(form, form.section_names):
        return render_template("archive/translate.html", form=form, item=original)
    if form.validate_on_submit():
        try:
            url, repeated = idempotency.create_once(
                viewer, "translation", form.idempotency_key.data,
                lambda: url_for("archive.translation", submission_id=item.id,
                                translation_id=translation_service.propose_translation(
                                    viewer, item.id, form.language.data, form.service_data(), form.note.data).id),
                fallback_url=url_for("archive.show", submission_id=item.id))
        except ServiceError as error:
            _refused(form, error)
        else:
            flash(_("This form was already sent: here is the translation it saved.") if repeated else
                  _("Your translation is sent to the reviewers. Readers see it once a reviewer publishes it."),
                  "success")
            return redirect(url)
    status = 400 if form.is_submitted() else 200
    return render_template("archive/translate.html", form=form, item=original), status


def _translation_or_404(submission_id: int, translation_id: int):
    item = visible_or_404(submission_id)
    translation = translation_queries.one(session(), current_viewer(), item, translation_id)
    if translation is None:
        abort(404)
    return item, translation


@bp.get("/<id:submission_id>/translations/<id:translation_id>")
def translation(submission_id: int, translation_id: int):
    """One translation beside its review state: for its translator and the reviewers while it waits."""
    item, found = _translation_or_404(submission_id, translation_id)
    viewer = current_viewer()
    return render_template(
        "archive/translation.html", item=translation_queries.translated_item(viewer, item, found), translation=found,
        language_name=LANGUAGE_NAMES.get(found.language, found.language),
        reviews=found.review_state == TRANSLATION_PENDING and can_review_translation(viewer, item, found),
        action=ActionForm(),
    )


@bp.post("/<id:submission_id>/translations/<id:translation_id>/publish")
@login_required
def publish_translation(submission_id: int, translation_id: int):
    """A reviewer publishes a pending translation."""
    _posted(ActionForm)
    translation_service.publish_translation(current_viewer(), submission_id, translation_id)
    flash(_("The translation is published: readers of its language now see it."), "success")
    return redirect(url_for("archive.show", submission_id=submission_id))


@bp.route("/<id:submission_id>/translations/<id:translation_id>/return", methods=["GET", "POST"])
@login_required
def return_translation(submission_id: int, translation_id: int):
    """A reviewer returns a pending translation to its translator with comments."""
    item, found = _translation_or_404(submission_id, translation_id)
    if not can_review_translation(current_viewer(), item, found):
        abort(403, description=_("Only a reviewer other than the translator and the author, who reads every "
                                 "section, can return this translation."))
    if found.review_state != TRANSLATION_PENDING:
        abort(409, description=_("This translation is not waiting for review."))
    form = ReturnForm()
    form.comments.label.text = _("Comments for the translator")
    if form.validate_on_submit():
        try:
            translation_service.return_translation(current_viewer(), item.id, found.id, form.comments.data)
        except ServiceError as error:
            _refused(form, error)
        else:
            flash(_("The translation was returned to its translator with your comments."), "success")
            return redirect(url_for("archive.show", submission_id=item.id))
    status = 400 if form.is_submitted() else 200
    return render_template("archive/return.html", form=form, item=item, translation=found), status
