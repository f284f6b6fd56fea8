"""Moderation: the facilitators' flag queue, hide/unhide, lock/pin, move, and the moderation logs."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp import navigation
from webapp.auth import current_viewer, verified_required
from webapp.db import session
from webapp.forms.admin import ActionForm
from webapp.forms.dialogue import MoveForm, ReasonForm
from webapp.ids import parse_id
from webapp.policy.dialogue import (
    can_moderate_post,
    can_moderate_thread,
    can_see_moderation_queue,
    can_suspend_users,
    can_view_moderation_log,
)
from webapp.queries_dialogue import moderation as moderation_queries
from webapp.queries_dialogue import rounds as round_queries
from webapp.queries_dialogue import threads as thread_queries
from webapp.security import safe_next
from webapp.services import ServiceError, moderation
from webapp.views.dialogue import checked, post_url

bp = Blueprint("moderation", __name__, url_prefix="/moderation")
navigation.add("moderation.queue", _l("Moderation"), 60, shown_to=can_see_moderation_queue,
               count=lambda viewer: moderation_queries.open_flag_count(session(), viewer))

STANDALONE = "standalone"


def _back(default: str) -> str:
    return safe_next(request.form.get("next")) or default


def _post_anchor(post) -> str:
    return post_url(post.id, post.thread_id)


@bp.get("/")
@verified_required
def queue():
    """Open flags on posts in the rounds the facilitator facilitates (standalone threads: every facilitator)."""
    viewer = current_viewer()
    if not can_see_moderation_queue(viewer):
        abort(403, description=_("The moderation queue is for facilitators."))
    db = session()
    return render_template(
        "moderation/queue.html",
        flagged=moderation_queries.flag_queue(db, viewer),
        rounds=[r for r in round_queries.round_choices_for_move(db, viewer)],
        reason_form=ReasonForm(),
        can_suspend=can_suspend_users(viewer),
    )


@bp.get("/rounds/<id:round_id>/log")
@verified_required
def round_log(round_id: int):
    """Every moderation act in one round."""
    db, viewer = session(), current_viewer()
    round_ = round_queries.visible_round(db, viewer, round_id)
    if round_ is None:
        abort(404)
    if not can_view_moderation_log(viewer, round_):
        abort(403, description=_("The moderation log is for this round's facilitators."))
    events = moderation_queries.moderation_log(db, viewer, round_.id)
    return render_template("moderation/log.html", round=round_, events=events,
                           threads=moderation_queries.log_threads(db, viewer, events))


@bp.get("/standalone/log")
@verified_required
def standalone_log():
    """Every moderation act on standalone threads."""
    db, viewer = session(), current_viewer()
    if not can_view_moderation_log(viewer, None):
        abort(403, description=_("The moderation log is for facilitators."))
    events = moderation_queries.moderation_log(db, viewer, None)
    return render_template("moderation/log.html", round=None, events=events,
                           threads=moderation_queries.log_threads(db, viewer, events))


@bp.route("/posts/<id:post_id>/hide", methods=["GET", "POST"])
@verified_required
def hide_post(post_id: int):
    """Hide a post with a reason its author sees: GET asks (and says what happens next), POST hides."""
    db, viewer = session(), current_viewer()
    post = thread_queries.visible_post(db, viewer, post_id)
    if post is None:
        abort(404)
    if not can_moderate_post(viewer, post):
        abort(403, description=_("Only the facilitators of this round can moderate it."))
    form, error, status = ReasonForm(), None, 200
    back = safe_next(request.values.get("next")) or _post_anchor(post)
    if form.validate_on_submit():
        try:
            moderation.hide_post(viewer, post.id, reason=form.reason.data or "")
        except ServiceError as exc:
            if exc.status != 400:
                raise
            error, status = exc.message, 400
        else:
            flash(_("The post is hidden."), "success")
            return redirect(back)
    elif form.is_submitted():
        status = 400
    elif post.is_hidden:
        abort(409, description=_("This post is already hidden."))
    return render_template("moderation/hide.html", post=post, form=form, error=error, back=back), status


@bp.post("/posts/<id:post_id>/unhide")
@verified_required
def unhide_post(post_id: int):
    """Show a hidden post again."""
    form = checked(ReasonForm())
    post = moderation.unhide_post(current_viewer(), post_id, reason=form.reason.data or "")
    flash(_("The post is visible again."), "success")
    return redirect(_back(_post_anchor(post)))


@bp.post("/posts/<id:post_id>/dismiss")
@verified_required
def dismiss_flags(post_id: int):
    """Resolve a post's open flags without action."""
    form = checked(ReasonForm())
    moderation.dismiss_flags(current_viewer(), post_id, reason=form.reason.data or "")
    flash(_("The flags are dismissed."), "success")
    return redirect(_back(url_for("moderation.queue")))


def _thread_act(service, thread_id: int, message: str):
    form = checked(ReasonForm())
    service(current_viewer(), thread_id, reason=form.reason.data or "")
    flash(message, "success")
    return redirect(url_for("dialogue.thread", thread_id=thread_id))


@bp.post("/threads/<id:thread_id>/lock")
@verified_required
def lock_thread(thread_id: int):
    """No more posts except by the thread's moderators."""
    return _thread_act(moderation.lock_thread, thread_id, _("The thread is locked."))


@bp.post("/threads/<id:thread_id>/unlock")
@verified_required
def unlock_thread(thread_id: int):
    """Allow posts again (the round's window still applies)."""
    return _thread_act(moderation.unlock_thread, thread_id, _("The thread is unlocked."))


@bp.post("/threads/<id:thread_id>/pin")
@verified_required
def pin_thread(thread_id: int):
    """Keep the thread at the top of its list."""
    return _thread_act(moderation.pin_thread, thread_id, _("The thread is pinned."))


@bp.post("/threads/<id:thread_id>/unpin")
@verified_required
def unpin_thread(thread_id: int):
    """Let the thread take its place by activity again."""
    return _thread_act(moderation.unpin_thread, thread_id, _("The thread is unpinned."))


@bp.route("/threads/<id:thread_id>/move", methods=["GET", "POST"])
@verified_required
def move_thread(thread_id: int):
    """Move a thread to another round you facilitate, or out to stand alone."""
    db, viewer = session(), current_viewer()
    thread = thread_queries.visible_thread(db, viewer, thread_id)
    if thread is None:
        abort(404)
    if not can_moderate_thread(viewer, thread):
        abort(403, description=_("Only the facilitators of this round can moderate it."))
    form = MoveForm()
    targets = [r for r in round_queries.round_choices_for_move(db, viewer) if r.id != thread.round_id]
    under_rule = thread.round is not None and thread.round.chatham_house
    if under_rule:  # only offer places where the rule still holds (the service refuses the others anyway)
        targets = [r for r in targets if r.chatham_house]
    targets = moderation_queries.allowed_move_targets(db, viewer, thread, targets)
    form.target.choices = ([(STANDALONE, _("Stand alone (no round)"))] if thread.round_id and not under_rule else []) + [
        (str(r.id), r.title) for r in targets]
    error, status = None, 200
    if form.validate_on_submit():
        raw = form.target.data
        target_round_id = None if raw == STANDALONE else parse_id(raw)
        try:
            if target_round_id is None and raw != STANDALONE:  # not an id: no round has it (never asked of the database)
                raise ServiceError(_("There is no round you facilitate with this number to move the thread to."))
            moderation.move_thread(viewer, thread.id, target_round_id=target_round_id, reason=form.reason.data or "",
                                   confirm_declassification=form.confirm_declassification.data)
        except ServiceError as exc:
            error, status = exc.message, exc.status
        else:
            flash(_("The thread is moved."), "success")
            return redirect(url_for("dialogue.thread", thread_id=thread.id))
    elif form.is_submitted():
        status = 400
    return render_template("moderation/move.html", thread=thread, form=form, error=error, action=ActionForm()), status
