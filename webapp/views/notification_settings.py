"""Notification settings under the account area, and the one-click unsubscribe link every e-mail carries."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.auth import current_viewer, login_required
from webapp.db import session
from webapp.extensions import csrf
from webapp.forms.notifications import NotificationSettingsForm
from webapp.services import ServiceError, notification_prefs
from webapp.services.notification_prefs import DELIVERIES, EVENT_KINDS, GROUP_LABELS, BadUnsubscribeToken

bp = Blueprint("notification_settings", __name__)


def _settings_page(form, status=200, error=None):
    groups = {group: [event for event, kind in EVENT_KINDS.items() if kind.group == group] for group in GROUP_LABELS}
    return render_template("notifications/settings.html", form=form, groups=groups, group_labels=GROUP_LABELS,
                           error=error), status


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def preferences():
    """How to be told of each kind of event (PRG; a refused choice re-renders with 400)."""
    form = NotificationSettingsForm()
    if not form.is_submitted():
        for event, delivery in notification_prefs.preferences(session(), current_viewer().user_id).items():
            form[event].data = delivery
        return _settings_page(form)
    if not form.validate():
        return _settings_page(form, 400)
    try:
        changed = notification_prefs.set_preferences(current_viewer(), form.choices())
    except ServiceError as error:
        return _settings_page(form, error.status, error.message)
    flash(_("Your notification settings are saved.") if changed else _("Nothing was changed."), "success")
    return redirect(url_for("notification_settings.preferences"))


def _signed_in_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _bad_link(error: BadUnsubscribeToken):
    return render_template("notifications/unsubscribe.html", error=error.message, wanted=None), 400


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str):
    """Confirm before changing anything: link scanners follow GET links, only the button (POST) unsubscribes."""
    try:
        wanted = notification_prefs.read_unsubscribe_token(session(), token, signed_in_user_id=_signed_in_id())
    except BadUnsubscribeToken as error:
        return _bad_link(error)
    return render_template("notifications/unsubscribe.html", wanted=wanted, token=token, done=False)


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # RFC 8058 one-click: the mail client POSTs with no page, cookie or CSRF token; the signature decides
def unsubscribe_confirmed(token: str):
    """Stop e-mail for the one preference the token names."""
    try:
        wanted = notification_prefs.unsubscribe(token, signed_in_user_id=_signed_in_id())
    except BadUnsubscribeToken as error:
        return _bad_link(error)
    return render_template("notifications/unsubscribe.html", wanted=wanted, token=token, done=True,
                           deliveries=DELIVERIES)
