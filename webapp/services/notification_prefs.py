"""What each kind of event is called, how a person wants to hear of it, and the signed one-click unsubscribe token.

Deliveries: "in_app" (the Notifications page only), "immediate" (and an e-mail at once), "daily"/"weekly" (and an
e-mail digest), "off" (nothing at all). Workflow events default to an e-mail at once; dialogue activity (new posts,
threads, rounds and publications in what you watch) to a daily digest.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.db import unit_of_work
from webapp.models import NotificationPreference, User, utcnow
from webapp.policy import Viewer
from webapp.services import NotFound, ServiceError
from webapp.services.audit import record

IN_APP, IMMEDIATE, DAILY, WEEKLY, OFF = "in_app", "immediate", "daily", "weekly", "off"
DELIVERIES: dict[str, object] = {
    IN_APP: _l("On this site only"),
    IMMEDIATE: _l("E-mail at once"),
    DAILY: _l("Daily digest"),
    WEEKLY: _l("Weekly digest"),
    OFF: _l("Off"),
}
DIGEST_PERIODS = (DAILY, WEEKLY)


@dataclass(frozen=True)
class EventKind:
    """A kind of event people can be told of: its label, its group on the preferences page and its default."""

    label: object
    group: str
    default: str


WORKFLOW, ROUNDS, ACTIVITY = "workflow", "rounds", "activity"
GROUP_LABELS = {WORKFLOW: _l("Reviews, moderation and your account"), ROUNDS: _l("Dialogue rounds"),
                ACTIVITY: _l("Activity in what you watch")}

EVENT_KINDS: dict[str, EventKind] = {
    "review_requested": EventKind(_l("A submission waits for your review"), WORKFLOW, IMMEDIATE),
    "revision_pending": EventKind(_l("A revision of a published item waits for your review"), WORKFLOW, IMMEDIATE),
    "submission_returned": EventKind(_l("Your submission was returned with comments"), WORKFLOW, IMMEDIATE),
    "submission_published": EventKind(_l("Your submission was published"), WORKFLOW, IMMEDIATE),
    "translation_pending": EventKind(_l("A translation of a published item waits for your review"), WORKFLOW,
                                     IMMEDIATE),
    "translation_published": EventKind(_l("Your translation was published"), WORKFLOW, IMMEDIATE),
    "translation_returned": EventKind(_l("Your translation was returned with comments"), WORKFLOW, IMMEDIATE),
    "post_flagged": EventKind(_l("A post you moderate was flagged"), WORKFLOW, IMMEDIATE),
    "post_hidden": EventKind(_l("Your post was hidden by a facilitator"), WORKFLOW, IMMEDIATE),
    "post_unhidden": EventKind(_l("Your post is visible again"), WORKFLOW, IMMEDIATE),
    "mention": EventKind(_l("You were mentioned in a post"), WORKFLOW, IMMEDIATE),
    "tier_changed": EventKind(_l("Someone else changed who may read your item"), WORKFLOW, IMMEDIATE),
    "declassification_proposed": EventKind(_l("Someone proposes lowering the tier of your item"), WORKFLOW,
                                           IMMEDIATE),
    "declassification_answered": EventKind(_l("Your proposal to lower an item's tier was answered"), WORKFLOW,
                                           IMMEDIATE),
    "scheduled_release_done": EventKind(_l("A release you scheduled took effect"), WORKFLOW, IMMEDIATE),
    "review_due": EventKind(_l("An item of yours is due for review"), WORKFLOW, IMMEDIATE),
    "group_user_added": EventKind(_l("An administrator added a person to your sharing group"), WORKFLOW, IMMEDIATE),
    "group_user_removed": EventKind(_l("An administrator removed a person from your sharing group"), WORKFLOW,
                                    IMMEDIATE),
    "group_organisation_added": EventKind(_l("An administrator added an organisation to your sharing group"),
                                          WORKFLOW, IMMEDIATE),
    "group_organisation_removed": EventKind(_l("An administrator removed an organisation from your sharing group"),
                                            WORKFLOW, IMMEDIATE),
    "erasure_request": EventKind(_l("A former member asks that their contributions be deleted"), WORKFLOW,
                                 IMMEDIATE),
    "erasure_request_answered": EventKind(_l("An organisation answered a request to delete contributions"),
                                          WORKFLOW, IMMEDIATE),
    "registration": EventKind(_l("Someone registered and awaits verification"), WORKFLOW, IMMEDIATE),
    "account_verified": EventKind(_l("Your account was verified"), WORKFLOW, IMMEDIATE),
    "account_refused": EventKind(_l("Your registration was refused"), WORKFLOW, IMMEDIATE),
    "round_invitation": EventKind(_l("You are invited to a dialogue round"), ROUNDS, IMMEDIATE),
    "round_opened": EventKind(_l("Round opened"), ROUNDS, IMMEDIATE),
    "round_closing_soon": EventKind(_l("Round closes within 24 hours"), ROUNDS, IMMEDIATE),
    "round_closed": EventKind(_l("Round closed"), ROUNDS, IMMEDIATE),
    "round_concluded": EventKind(_l("Round concluded, outcome published"), ROUNDS, IMMEDIATE),
    "new_post": EventKind(_l("New post"), ACTIVITY, DAILY),
    "new_thread": EventKind(_l("New thread"), ACTIVITY, DAILY),
    "round_created": EventKind(_l("New dialogue round"), ACTIVITY, DAILY),
    "published": EventKind(_l("Newly published"), ACTIVITY, DAILY),
}


def default_delivery(event: str) -> str:
    """The delivery of an event nobody chose for (unknown kinds: on this site only)."""
    kind = EVENT_KINDS.get(event)
    return kind.default if kind else IN_APP


def preferences(db: Session, user_id: int) -> dict[str, str]:
    """Every event kind with the person's delivery (their choice, else the default)."""
    chosen = dict(db.execute(select(NotificationPreference.event, NotificationPreference.delivery)
                             .where(NotificationPreference.user_id == user_id)).all())
    return {event: chosen.get(event, kind.default) for event, kind in EVENT_KINDS.items()}


def delivery_for(db: Session, user_id: int, event: str) -> str:
    """How this person hears of this kind of event."""
    chosen = db.scalar(select(NotificationPreference.delivery).where(
        NotificationPreference.user_id == user_id, NotificationPreference.event == event))
    return chosen if chosen in DELIVERIES else default_delivery(event)


def _store(db: Session, user_id: int, event: str, delivery: str) -> bool:
    row = db.scalar(select(NotificationPreference).where(
        NotificationPreference.user_id == user_id, NotificationPreference.event == event))
    if row is None:
        if delivery == default_delivery(event):
            return False
        db.add(NotificationPreference(user_id=user_id, event=event, delivery=delivery))
        return True
    if row.delivery == delivery:
        return False
    row.delivery, row.updated_at = delivery, utcnow()
    return True


def set_preferences(actor: Viewer, choices: dict[str, str]) -> int:
    """Save the signed-in person's deliveries; unknown kinds or deliveries are refused. Returns how many changed."""
    if actor.user_id is None:
        raise NotFound()
    for event, delivery in choices.items():
        if event not in EVENT_KINDS:
            raise ServiceError(_l("Unknown kind of notification."))
        if delivery not in DELIVERIES:
            raise ServiceError(_l("Choose one of the offered ways to be told."))
    with unit_of_work() as db:
        changed = {event: delivery for event, delivery in choices.items() if _store(db, actor.user_id, event, delivery)}
        if changed:
            record(db, actor.user_id, "notifications.preferences_changed", "user", actor.user_id, changed=changed)
    return len(changed)


# ---------------------------------------------------------------- one-click unsubscribe (RFC 8058)

UNSUBSCRIBE_SALT = "notification-unsubscribe"
# A digest mail carries one token for the digest itself: unsubscribing moves the kinds on that digest to in-app.
DIGEST_SCOPES = {DAILY: "digest:daily", WEEKLY: "digest:weekly"}


class BadUnsubscribeToken(ServiceError):
    """A forged, expired, unknown or someone else's unsubscribe token: nothing is changed."""

    def __init__(self, message: str = "This unsubscribe link is not valid: it may have expired or been altered. "
                                      "Sign in and change your notification settings instead.") -> None:
        super().__init__(message, status=400)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user_id: int, scope: str) -> str:
    """A signed token naming the person and the one preference (event kind or digest) it switches off e-mail for."""
    return _serializer().dumps({"u": user_id, "e": scope})


@dataclass(frozen=True)
class Unsubscription:
    """What a valid token would change."""

    user_id: int
    scope: str

    @property
    def label(self) -> object:
        if self.scope in DIGEST_SCOPES.values():
            return _l("Daily digest") if self.scope == DIGEST_SCOPES[DAILY] else _l("Weekly digest")
        return EVENT_KINDS[self.scope].label


def read_unsubscribe_token(db: Session, token: str, *, signed_in_user_id: int | None = None) -> Unsubscription:
    """The preference a token names; raises BadUnsubscribeToken if forged, expired, unknown or another person's."""
    try:
        data = _serializer().loads(token, max_age=current_app.config.get("UNSUBSCRIBE_TOKEN_MAX_AGE", 90 * 86400))
    except (SignatureExpired, BadSignature):
        raise BadUnsubscribeToken() from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("e"), str):
        raise BadUnsubscribeToken()
    scope = data["e"]
    if scope not in EVENT_KINDS and scope not in DIGEST_SCOPES.values():
        raise BadUnsubscribeToken()
    if db.get(User, data["u"]) is None:
        raise BadUnsubscribeToken()
    if signed_in_user_id is not None and signed_in_user_id != data["u"]:
        raise BadUnsubscribeToken(_l("This unsubscribe link belongs to another person's account: nothing was changed. "
                                  "Sign out to use it, or change your own settings under Notifications."))
    return Unsubscription(user_id=data["u"], scope=scope)


def unsubscribe(token: str, *, signed_in_user_id: int | None = None) -> Unsubscription:
    """Stop e-mail for the one preference the token names (it stays listed on the site); no sign-in needed."""
    with unit_of_work() as db:
        wanted = read_unsubscribe_token(db, token, signed_in_user_id=signed_in_user_id)
        if wanted.scope in EVENT_KINDS:
            events = [wanted.scope]
        else:
            period = DAILY if wanted.scope == DIGEST_SCOPES[DAILY] else WEEKLY
            events = [event for event, delivery in preferences(db, wanted.user_id).items() if delivery == period]
        changed = [event for event in events
                   if delivery_for(db, wanted.user_id, event) != OFF and _store(db, wanted.user_id, event, IN_APP)]
        record(db, wanted.user_id, "notifications.unsubscribed", "user", wanted.user_id, scope=wanted.scope,
               changed=changed)
    return wanted
