"""Thread and post pages: a thread's tree, starting threads, replying, quoting, editing, deleting, flagging."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from webapp.auth import current_viewer, verified_required
from webapp.db import session
from webapp.forms.admin import ActionForm
from webapp.forms.dialogue import EditPostForm, FlagForm, PostForm, ReasonForm, ThreadForm, WatchForm
from webapp.ids import id_arg, parse_id
from webapp.models import Tier
from webapp.models.post import MAX_REPLY_DEPTH
from webapp.policy.dialogue import can_contribute_to_thread, can_edit_post, can_flag_post, can_read_hidden_post, can_start_thread_in_round
from webapp.queries_dialogue import rounds as round_queries
from webapp.queries_dialogue import threads as thread_queries
from webapp.services import ServiceError, dialogue_posts, idempotency, moderation
from webapp.services.dialogue_reads import mark_thread_read, record_read
from webapp.views.dialogue import bp, checked, fill_tier_choices, form_tier, page_arg, post_url, thread_page_url
from webapp.views.markdown_preview import previewed
from webapp.locale_names import call_title


def _post_arg(name: str) -> int | None:
    return id_arg(name, _("A post is given by its number."))


def _anchor(post_id: int, thread_id: int) -> str:
    return post_url(post_id, thread_id)


@bp.get("/threads/<id:thread_id>")
def thread(thread_id: int):
    """One page of a thread (?page=N): its posts in order, nested under a parent on the same page."""
    requested = page_arg()
    page = thread_queries.thread_page(session(), current_viewer(), thread_id, requested)
    if page is None:
        abort(404)
    if page.number != requested:  # past the last page: its last page (a link from before posts were erased)
        return redirect(thread_page_url(thread_id, page.number))
    # Reading is recorded on GET, like the read audit (DESIGN.md §5a): the mark moves up to this page's newest post.
    record_read(current_viewer(), "dialogue_thread", page.thread.id, page.thread.tier)
    mark_thread_read(current_viewer(), page.thread.id, page.newest_post_id)
    form = PostForm()
    return render_template("dialogue/thread.html", page=page, thread=page.thread, form=form, action=ActionForm(),
                           reason_form=ReasonForm(), watch_form=WatchForm(), max_depth=MAX_REPLY_DEPTH)


def _thread_form_page(form, round_, error=None, status=200):
    return render_template("dialogue/thread_form.html", form=form, round=round_, error=error), status


def _new_thread(round_=None):
    form = ThreadForm()
    fill_tier_choices(form)
    form.paragraphs.choices = [(p.number, f"{p.number}. {call_title(p.title)}") for p in round_queries.paragraph_choices(session())]
    came_from = parse_id(request.args.get("paragraph"))  # only a hint: a wrong one is ignored
    if request.method == "GET" and round_ is None and came_from in dict(form.paragraphs.choices):
        form.paragraphs.data = [came_from]  # started from a paragraph page: tag the thread with it
    if previewed(form, ("body",)):
        return _thread_form_page(form, round_)
    if not form.validate_on_submit():
        return _thread_form_page(form, round_, status=400 if form.is_submitted() else 200)
    viewer = current_viewer()

    def create() -> str:
        created = dialogue_posts.create_thread(
            viewer,
            title=form.title.data,
            body_source=form.body.data,
            round_id=round_.id if round_ else None,
            paragraphs=form.paragraphs.data or (),
            tier=form_tier(form) if round_ is None else Tier.COMMUNITY,
            sharing_group_id=form.sharing_group.data if round_ is None else None,
        )
        return url_for("dialogue.thread", thread_id=created.id)

    try:
        url, repeated = idempotency.create_once(viewer, "thread", form.idempotency_key.data, create,
                                                fallback_url=url_for("dialogue.index"))
    except ServiceError as exc:
        return _thread_form_page(form, round_, exc.message, exc.status)
    flash(_("This form was already sent: here is the thread it started.") if repeated else
          _("Your thread is started."), "success")
    return redirect(url)


@bp.route("/rounds/<id:round_id>/threads/new", methods=["GET", "POST"])
@verified_required
def new_round_thread(round_id: int):
    """Start a thread in a round (invited participants and facilitators)."""
    round_ = round_queries.visible_round(session(), current_viewer(), round_id)
    if round_ is None:
        abort(404)
    if not can_start_thread_in_round(current_viewer(), round_):
        abort(403, description=_("This round is open to invited participants only."))
    return _new_thread(round_)


@bp.route("/threads/new", methods=["GET", "POST"])
@verified_required
def new_thread():
    """Start a standalone thread, tagged with paragraphs and a tier."""
    return _new_thread(None)


def _visible_post_or_404(post_id: int):
    post = thread_queries.visible_post(session(), current_viewer(), post_id)
    if post is None:
        abort(404)
    return post


@bp.route("/threads/<id:thread_id>/reply", methods=["GET"])
@verified_required
def reply(thread_id: int):
    """The reply form, to the thread or to one post (?to=), optionally quoting a post (?quote=)."""
    db, viewer = session(), current_viewer()
    page_thread = thread_queries.visible_thread(db, viewer, thread_id)
    if page_thread is None:
        abort(404)
    if not can_contribute_to_thread(viewer, page_thread):
        abort(403, description=_("This round is open to invited participants only."))
    parent_id, quote_id = _post_arg("to"), _post_arg("quote")
    parent = thread_queries.visible_post(db, viewer, parent_id) if parent_id else None
    if parent_id and (parent is None or parent.thread_id != page_thread.id):
        abort(400, description=_("You can only reply to a post in the same thread."))
    quoted = thread_queries.visible_post(db, viewer, quote_id) if quote_id else None
    form = PostForm(parent_id=parent.id if parent else "", quote_id=quoted.id if quoted else "")
    return render_template("dialogue/reply.html", thread=page_thread, parent=parent, quoted=quoted, form=form)


@bp.post("/threads/<id:thread_id>/posts")
@verified_required
def create_post(thread_id: int):
    """Add a post; on refusal the form comes back with the message and the text kept."""
    db, viewer = session(), current_viewer()
    page_thread = thread_queries.visible_thread(db, viewer, thread_id)
    if page_thread is None:
        abort(404)
    form = PostForm()
    preview = previewed(form, ("body",))
    valid = form.validate_on_submit()  # an id that is not one is a field error: 400, the text kept
    parent_id, quote_id = form.parent_id.data, form.quote_id.data
    error, status = None, 200 if preview else 400
    if valid and not preview:
        def create() -> str:
            post = dialogue_posts.create_post(viewer, thread_id, body_source=form.body.data, parent_id=parent_id,
                                              quoted_post_id=quote_id, watch=form.watch.data)
            return _anchor(post.id, thread_id)

        try:
            url, repeated = idempotency.create_once(viewer, "post", form.idempotency_key.data, create,
                                                    fallback_url=url_for("dialogue.thread", thread_id=thread_id))
        except ServiceError as exc:
            error, status = exc.message, exc.status
        else:
            flash(_("This form was already sent: here is the post it added.") if repeated else
                  _("Your post is added."), "success")
            return redirect(url)
    parent = thread_queries.visible_post(db, viewer, parent_id) if parent_id else None
    quoted = thread_queries.visible_post(db, viewer, quote_id) if quote_id else None
    if parent is not None and parent.thread_id != thread_id:
        parent = None
    return render_template("dialogue/reply.html", thread=page_thread, parent=parent, quoted=quoted, form=form,
                           error=error), status


@bp.get("/threads/<id:thread_id>/unread")
def first_unread(thread_id: int):
    """The reader's first unread post of a thread (on its page), else the newest post; page 1 for anonymous readers."""
    location = thread_queries.unread_location(session(), current_viewer(), thread_id)
    if location is None:
        abort(404)
    return redirect(thread_page_url(thread_id, *location))


@bp.get("/posts/<id:post_id>")
def permalink(post_id: int):
    """A post's permanent address: redirects to the page of its thread that holds it, at its anchor, if the reader
    may see it (else the 404 of a missing id)."""
    location = thread_queries.post_location(session(), current_viewer(), post_id)
    if location is None:
        abort(404)
    thread_id, number = location
    return redirect(thread_page_url(thread_id, number, post_id=post_id))


@bp.route("/posts/<id:post_id>/edit", methods=["GET", "POST"])
@verified_required
def edit_post(post_id: int):
    """The author edits their post (a new revision)."""
    post = _visible_post_or_404(post_id)
    if not can_edit_post(current_viewer(), post):
        abort(403, description=_("Only the author can change this post."))
    if post.is_deleted:  # the form would show the deleted text again
        abort(409, description=_("This post was deleted."))
    form = EditPostForm()
    if not form.is_submitted():
        form.body.data = post.body_source
    error, status = None, 200
    if previewed(form, ("body",)):
        pass  # shown again below with the preview, nothing saved
    elif form.validate_on_submit():
        try:
            dialogue_posts.edit_post(current_viewer(), post.id, body_source=form.body.data)
        except ServiceError as exc:
            error, status = exc.message, exc.status
        else:
            flash(_("Your post is updated."), "success")
            return redirect(_anchor(post.id, post.thread_id))
    elif form.is_submitted():
        status = 400
    return render_template("dialogue/edit_post.html", post=post, form=form, error=error, action=ActionForm()), status


@bp.post("/posts/<id:post_id>/delete")
@verified_required
def delete_post(post_id: int):
    """The author deletes their post (a placeholder keeps the replies in place)."""
    checked(ActionForm())
    post = dialogue_posts.delete_post(current_viewer(), post_id)
    flash(_("Your post is deleted."), "success")
    return redirect(_anchor(post.id, post.thread_id))


@bp.get("/posts/<id:post_id>/revisions")
def revisions(post_id: int):
    """A post's revision history (not for deleted posts; hidden ones only for author and moderators)."""
    post = _visible_post_or_404(post_id)
    if post.is_deleted or (post.is_hidden and not can_read_hidden_post(current_viewer(), post)):
        abort(404)
    revisions = thread_queries.revisions(session(), current_viewer(), post.id)
    # Versions keep the tier they were written under, which may be above the thread's now.
    shown = max([post.thread.tier, *(revision.tier for revision in revisions)])
    record_read(current_viewer(), "dialogue_post", post.id, shown, how="revisions")
    return render_template("dialogue/revisions.html", post=post, revisions=revisions)


@bp.route("/posts/<id:post_id>/flag", methods=["GET", "POST"])
@verified_required
def flag_post(post_id: int):
    """Flag a post to the facilitators, with a reason."""
    post = _visible_post_or_404(post_id)
    if not can_flag_post(current_viewer(), post):
        abort(403, description=_("You cannot flag this post."))
    if post.is_deleted:  # the page would show the deleted text again
        abort(409, description=_("This post was deleted."))
    form = FlagForm()
    error, status = None, 200
    if form.validate_on_submit():
        try:
            moderation.flag_post(current_viewer(), post.id, reason=form.reason.data)
        except ServiceError as exc:
            error, status = exc.message, exc.status
        else:
            flash(_("Thank you. The facilitators will look at this post."), "success")
            return redirect(_anchor(post.id, post.thread_id))
    elif form.is_submitted():
        status = 400
    return render_template("dialogue/flag.html", post=post, form=form, error=error), status
