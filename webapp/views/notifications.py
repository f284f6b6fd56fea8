"""Notifications (with the unread count in the header) and watches."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp import navigation
from webapp.auth import current_viewer, login_required
from webapp.db import session
from webapp.forms.dialogue import WatchForm
from webapp.models.watch import WATCH_KINDS
from webapp.queries_dialogue import notifications as notification_queries
from webapp.security import safe_next
from webapp.services import notifications
from webapp.services.notifications import EVENT_LABELS, target_title, target_url
from webapp.views.dialogue import checked

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
navigation.add("notifications.index", _l("Notifications"), 70, shown_to=lambda viewer: not viewer.is_anonymous)


@bp.app_context_processor
def _unread() -> dict:
    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        if "unread_notifications" not in g:
            g.unread_notifications = notification_queries.unread_count(session(), current_viewer())
        return g.unread_notifications

    return {"unread_notifications": unread_notifications}


@bp.get("/")
@login_required
def index():
    """Newest first; only about things the reader may read now."""
    db, viewer = session(), current_viewer()
    return render_template(
        "notifications/index.html",
        items=notification_queries.notifications(db, viewer),
        watches=notification_queries.watches(db, viewer),
        labels=EVENT_LABELS,
        target_title=target_title,
        target_url=target_url,
        form=WatchForm(),
    )


@bp.get("/<id:notification_id>")
@login_required
def open_notification(notification_id: int):
    """Mark read and go to what it is about."""
    item = notification_queries.visible_notification(session(), current_viewer(), notification_id)
    if item is None:
        abort(404)
    notifications.mark_read(current_viewer(), notification_id)
    return redirect(target_url(item.target, event=item.notification.event))


@bp.post("/read-all")
@login_required
def read_all():
    """Mark every notification read."""
    checked(WatchForm())
    notifications.mark_all_read(current_viewer())
    flash(_("All notifications are marked read."), "success")
    return redirect(url_for("notifications.index"))


def _watch_back(kind: str, target_id: int) -> str:
    fallback = {
        "round": lambda: url_for("dialogue.round", round_id=target_id),
        "thread": lambda: url_for("dialogue.thread", thread_id=target_id),
        "paragraph": lambda: url_for("paragraphs.show", number=target_id),
    }.get(kind, lambda: url_for("notifications.index"))
    return safe_next(request.form.get("next")) or fallback()


@bp.post("/watch/<kind>/<id:target_id>")
@login_required
def watch(kind: str, target_id: int):
    """Start watching."""
    if kind not in WATCH_KINDS:
        abort(404)
    checked(WatchForm())
    notifications.watch(current_viewer(), kind, target_id)
    flash(_("You will be notified of new activity."), "success")
    return redirect(_watch_back(kind, target_id))


@bp.post("/unwatch/<kind>/<id:target_id>")
@login_required
def unwatch(kind: str, target_id: int):
    """Stop watching."""
    if kind not in WATCH_KINDS:
        abort(404)
    checked(WatchForm())
    notifications.unwatch(current_viewer(), kind, target_id)
    flash(_("You no longer watch this."), "success")
    return redirect(_watch_back(kind, target_id))
