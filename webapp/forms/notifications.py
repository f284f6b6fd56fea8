"""Notification settings: one choice of delivery per kind of event."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField

from webapp.services.notification_prefs import DELIVERIES, EVENT_KINDS


class NotificationSettingsForm(FlaskForm):
    """Fields are added per kind of event below (names are the event kinds)."""

    def choices(self) -> dict[str, str]:
        """{event kind: chosen delivery}."""
        return {event: self[event].data for event in EVENT_KINDS}


for _event, _kind in EVENT_KINDS.items():
    setattr(NotificationSettingsForm, _event,
            SelectField(_kind.label, choices=[(code, label) for code, label in DELIVERIES.items()], validate_choice=True))


class UnsubscribeForm(FlaskForm):
    """The confirmation button; the signed token in the address is what authorises it (no sign-in needed)."""

    class Meta:
        csrf = False  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without any page or cookie
