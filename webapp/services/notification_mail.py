"""The e-mails notifications send: one event at once, or a digest. Plain text, with RFC 8058 one-click unsubscribe.

Above community tier a mail carries no title or text, only a link to sign in and read (mail leaves the platform).
Call these only after the recipient's access was checked.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from werkzeug.routing import BuildError

from webapp import mail
from webapp.links import public_url
from webapp.models import DialogueRound, Notification, Post, Submission, Thread, Tier, User
from webapp.policy import Viewer
from webapp.policy.dialogue import author_visible_to
from webapp.sanitize import html_to_text
from webapp.services.mail_language import in_recipients_language
from webapp.services.notification_prefs import DIGEST_SCOPES, EVENT_KINDS, unsubscribe_token

MAX_EXCERPT_CHARS = 1_500


def _in_recipients_zone(value) -> str:
    """A date in the language and zone `in_recipients_language` set, naming the zone."""
    from webapp.templating import utc_datetime

    return utc_datetime(value)


def external_url(endpoint: str, **values) -> str:
    """An absolute address at PUBLIC_URL, inside a request or not (scheduled jobs); never the request's host."""
    try:
        return public_url(endpoint, **values)
    except BuildError:  # the endpoint's blueprint is not registered in this app (e.g. a CLI-only app)
        return ""


def label(event: str) -> str:
    """The human name of an event."""
    kind = EVENT_KINDS.get(event)
    return str(kind.label) if kind else event


def tier_of(obj: Any) -> Tier:
    """The tier a mail about `obj` must respect; anything unknown counts as the most restricted."""
    if isinstance(obj, User):
        return Tier.COMMUNITY  # an account notice: only the person themself or admins receive it
    tier = getattr(obj, "tier", None)
    if tier is None:  # a post: its thread's tier
        tier = getattr(getattr(obj, "thread", None), "tier", None)
    return Tier.CONFIDENTIAL if tier is None else Tier(tier)


def _author_line(viewer: Viewer, obj: Any) -> str:
    author = getattr(obj, "author", None)
    if author is None or not isinstance(obj, (Post, Thread)):
        return ""
    from sqlalchemy.orm import object_session

    from webapp.queries_dialogue.pseudonyms import pseudonym_of

    letter = pseudonym_of(object_session(obj), obj)
    if not author_visible_to(viewer, obj):
        if letter:
            return _("Author: Participant %(letter)s in this thread (Chatham House rule: no names)", letter=letter) + "\n"
        return _("Author: not shown (Chatham House rule)") + "\n"
    if letter:
        return _("Author: %(name)s (%(organisation)s), Participant %(letter)s in this thread", name=author.name,
                 organisation=author.organisation.name, letter=letter) + "\n"
    return _("Author: %(name)s (%(organisation)s)", name=author.name, organisation=author.organisation.name) + "\n"


def _excerpt(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_EXCERPT_CHARS else text[: MAX_EXCERPT_CHARS - 1].rsplit(" ", 1)[0] + "…"


def details(event: str, obj: Any) -> str:
    """What the event adds to the bare fact (the reviewer's comments, the hiding reason, the synthesis)."""
    if event == "submission_returned" and isinstance(obj, Submission) and obj.reviewer_comments_source:
        return _("Comments from the reviewer:") + "\n" + _excerpt(obj.reviewer_comments_source) + "\n"
    if event == "post_hidden" and isinstance(obj, Post) and obj.hidden_reason:
        return _("Reason given: %(reason)s", reason=_excerpt(obj.hidden_reason)) + "\n"
    if event == "round_concluded" and isinstance(obj, DialogueRound) and obj.synthesis_html:
        return _("Outcome synthesis:") + "\n" + _excerpt(html_to_text(obj.synthesis_html)) + "\n"
    if event == "round_closing_soon" and isinstance(obj, DialogueRound):
        return _("It closes at %(when)s.", when=_in_recipients_zone(obj.closes_at)) + "\n"
    if event == "review_due" and isinstance(obj, Submission) and obj.review_on is not None:
        return _("Its review is due on %(date)s. Keep it (choose a new review date), retire it (still readable, no "
                 "longer current) or delete it, on the item's page.", date=obj.review_on.isoformat()) + "\n"
    if event == "registration" and isinstance(obj, User):
        return _("%(name)s (%(organisation)s) registered and awaits verification.", name=obj.name,
                 organisation=obj.organisation.name) + "\n"
    return ""


def _unsubscribe_headers(user: User, scope: str) -> tuple[tuple[tuple[str, str], ...], str]:
    link = external_url("notification_settings.unsubscribe", token=unsubscribe_token(user.id, scope))
    if not link:
        return (), ""
    headers = (("List-Unsubscribe", f"<{link}>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    return headers, link


def _footer(reason: str, unsubscribe_link: str, what: str) -> str:
    settings = external_url("notification_settings.preferences")
    lines = ["", "-- ", reason]
    if unsubscribe_link:
        lines.append(_("Stop these e-mails (%(what)s): %(link)s", what=what, link=unsubscribe_link))
    if settings:
        lines.append(_("All your notification settings: %(link)s", link=settings))
    return "\n".join(lines) + "\n"


def _received_because(event: str) -> str:
    """Why a person receives a notice: a notice not about something they chose to follow says so."""
    if event in ("tier_changed", "declassification_proposed"):
        return _("You receive this because you are the author or originator of this item.")
    if event == "scheduled_release_done":
        return _("You receive this because you scheduled this release.")
    if event == "declassification_answered":
        return _("You receive this because you proposed lowering this item's tier.")
    return _("You receive this because of your notification settings on REAIM Exchange.")


def event_mail(user: User, viewer: Viewer, notification: Notification, obj: Any, link: str) -> mail.Mail:
    """The e-mail sent at once for one notification, in the recipient's language and time zone."""
    with in_recipients_language(user):
        return _event_mail(user, viewer, notification, obj, link)


def _event_mail(user: User, viewer: Viewer, notification: Notification, obj: Any, link: str) -> mail.Mail:
    event = notification.event
    name, tier = label(event), tier_of(obj)
    from webapp.services.notifications import target_title

    if tier <= Tier.COMMUNITY:
        title = target_title(obj)
        subject = "[REAIM Exchange] " + _("%(event)s: %(title)s", event=name, title=title)
        body = (_("%(event)s: %(title)s (%(tlp)s)", event=name, title=title, tlp=tier.tlp) + "\n"
                + f"{_author_line(viewer, obj)}{details(event, obj)}\n{link}\n")
    else:
        subject = "[REAIM Exchange] " + _("%(event)s (%(tlp)s)", event=name, tlp=tier.tlp)
        body = _("%(event)s, about an item marked %(tlp)s. Sign in to read it:", event=name, tlp=tier.tlp) + f"\n{link}\n"
    headers, unsubscribe_link = _unsubscribe_headers(user, event)
    body += _footer(_received_because(event), unsubscribe_link, name)
    return mail.Mail(to=user.email, subject=subject, body=body, headers=headers, recipient_id=user.id,
                     dedup_key=f"notification:{notification.id}")


def refusal_mail(user: User, reason: str) -> mail.Mail:
    """The one notice a refused registrant gets (their account is deactivated, so no recipient check applies)."""
    with in_recipients_language(user):
        body = _("Your registration on REAIM Exchange as %(name)s (%(organisation)s) was not accepted by an "
                 "administrator.", name=user.name, organisation=user.organisation.name) + "\n"
        if reason:
            body += _("Reason given: %(reason)s", reason=_excerpt(reason)) + "\n"
        body += _("If you think this is a mistake, reply to the administrators of the platform.") + "\n"
        headers, unsubscribe_link = _unsubscribe_headers(user, "account_refused")
        body += _footer(_("You receive this because you registered on REAIM Exchange."), unsubscribe_link,
                        label("account_refused"))
        subject = "[REAIM Exchange] " + label("account_refused")
    # No recipient_id: a send-time check would drop it, since refusing deactivates the account on purpose.
    return mail.Mail(to=user.email, subject=subject, body=body,
                     headers=headers, dedup_key=f"account_refused:{user.id}", closing_notice=True)


def digest_mail(user: User, period: str, entries: Iterable[tuple[Notification, Any, str]], *, dedup_key: str) -> mail.Mail:
    """One digest: each (notification, readable target, link) on a line, titles only up to community tier."""
    with in_recipients_language(user):
        return _digest_mail(user, period, entries, dedup_key=dedup_key)


def _digest_mail(user: User, period: str, entries: Iterable[tuple[Notification, Any, str]], *, dedup_key: str) -> mail.Mail:
    from webapp.services.notifications import target_title

    lines = []
    for notification, obj, link in entries:
        tier = tier_of(obj)
        what = target_title(obj) if tier <= Tier.COMMUNITY else _("an item marked %(tlp)s", tlp=tier.tlp)
        lines.append(f"- {label(notification.event)}: {what}\n  {link}")
    daily = period == "daily"
    heading = _("Your daily digest") if daily else _("Your weekly digest")
    body = (_("%(heading)s from REAIM Exchange: %(count)d new.", heading=heading, count=len(lines)) + "\n\n"
            + "\n".join(lines) + "\n")
    headers, unsubscribe_link = _unsubscribe_headers(user, DIGEST_SCOPES[period])
    body += _footer(_("You receive this digest because of your notification settings on REAIM Exchange."),
                    unsubscribe_link, _("daily digest") if daily else _("weekly digest"))
    subject = "[REAIM Exchange] " + _("%(heading)s (%(count)d new)", heading=heading, count=len(lines))
    return mail.Mail(to=user.email, subject=subject, body=body, headers=headers, recipient_id=user.id,
                     dedup_key=dedup_key)
