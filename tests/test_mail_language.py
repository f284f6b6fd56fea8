"""Every e-mail is written in its recipient's language and time zone, whoever triggers it (a request in another
language, or a job with no request), and every mail text is marked for translation."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from babel.messages import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from flask_babel import get_babel

from tests.dialogue_helpers import make_post, make_thread, make_world, viewer
from tests.smtp_server import body_text
from webapp.db import unit_of_work
from webapp.jobs import claims, schedule
from webapp.models import DialogueRound, Notification, User
from webapp.services import notification_mail, notifications
from webapp.services.mail_language import in_recipients_language

FRENCH = {
    "Someone else changed who may read your item": "Quelqu'un a changé qui peut lire votre élément",
    "You receive this because you are the author or originator of this item.":
        "Vous recevez ceci parce que vous êtes l'auteur de cet élément.",
    "Your daily digest": "Votre résumé quotidien",
    "It closes at %(when)s.": "Fermeture le %(when)s.",
    "Reset your password": "Choisir un nouveau mot de passe",
}


@pytest.fixture
def french(smtp_app, tmp_path):
    """The app with a tiny French catalogue beside English."""
    catalog = Catalog(locale="fr")
    for english, french_text in FRENCH.items():
        catalog.add(english, french_text)
    folder = tmp_path / "translations" / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "messages.mo", "wb") as out:
        write_mo(out, catalog)
    smtp_app.config["LANGUAGES"] = ["en", "fr"]
    smtp_app.extensions["babel"].translation_directories = [str(tmp_path / "translations")]
    with smtp_app.app_context():
        cache = get_babel().instance.domain_instance.cache
    cache.clear()  # the domain's cache outlives one app: no catalogue of another test
    yield smtp_app
    cache.clear()


@pytest.fixture
def world(make_org, make_user):
    return make_world(make_org, make_user)


def _speaks(app, user: User, locale: str | None, time_zone: str | None = None) -> None:
    with app.app_context(), unit_of_work() as db:
        stored = db.get(User, user.id)
        stored.locale, stored.time_zone = locale, time_zone


def test_an_event_mail_inside_an_english_request_is_in_the_recipients_language(french, world):
    app = french
    thread = make_thread(app, world.member, title="Field trials ML-1")
    _speaks(app, world.member, "fr")
    _speaks(app, world.company_member, None)
    with app.test_request_context(headers={"Accept-Language": "en"}), app.app_context():
        from webapp import db as database

        session = database.session()
        for person in (world.member, world.company_member):
            recipient = session.get(User, person.id)
            message = notification_mail.event_mail(
                recipient, viewer(app, recipient), Notification(id=person.id, event="tier_changed"),
                session.get(type(thread), thread.id), "https://example.org/t")
            if person is world.member:
                assert "Quelqu'un a changé qui peut lire votre élément: Field trials ML-1" in message.subject
                assert "parce que vous êtes l'auteur" in message.body
            else:
                assert "Someone else changed who may read your item: Field trials ML-1" in message.subject
                assert "Quelqu'un" not in message.subject + message.body
        from flask_babel import gettext

        assert gettext("Your daily digest") == "Your daily digest"  # the request's own language is untouched


def test_a_digest_sent_by_a_job_without_a_request_is_in_the_recipients_language(french, smtp_server, world,
                                                                                 make_user):
    app = french
    english = make_user()
    thread = make_thread(app, world.member, title="Digest in French ML-2")
    with app.test_request_context():
        notifications.watch(viewer(app, world.company_member), "thread", thread.id)
        notifications.watch(viewer(app, english), "thread", thread.id)
    _speaks(app, world.company_member, "fr")
    make_post(app, world.member, thread)
    with app.app_context():
        assert claims.run_once(app, schedule.periodic_job("notifications.daily_digest"), datetime(2031, 3, 4, 7)) == 2  # two digests
    [french_digest] = smtp_server.to(world.company_member.email)
    [english_digest] = smtp_server.to(english.email)
    assert "Votre résumé quotidien" in french_digest["Subject"] and "Votre résumé quotidien" in body_text(french_digest)
    assert "ML-2" in body_text(french_digest)
    assert "Your daily digest" in english_digest["Subject"]
    assert "Votre" not in english_digest["Subject"] + body_text(english_digest)


def test_an_account_mail_is_in_the_recipients_language(french, smtp_server, make_user):
    from webapp.services.account_links import mail_reset_link

    app = french
    french_user, english_user = make_user(), make_user()
    _speaks(app, french_user, "fr")
    for person in (french_user, english_user):
        with app.test_request_context(headers={"Accept-Language": "en"}), unit_of_work() as db:
            mail_reset_link(db, db.get(User, person.id))
    [french_mail] = smtp_server.to(french_user.email)
    [english_mail] = smtp_server.to(english_user.email)
    assert "Choisir un nouveau mot de passe" in french_mail["Subject"]
    assert "Reset your password" in english_mail["Subject"]
    assert body_text(french_mail) and body_text(english_mail)  # the plain-text part


def test_dates_in_a_mail_are_in_the_recipients_time_zone_and_language(french, world):
    app = french
    closing = DialogueRound(closes_at=datetime(2031, 1, 5, 12, 0))
    with app.app_context():
        paris = User(locale="fr", time_zone="Europe/Paris")
        with in_recipients_language(paris):
            text = notification_mail.details("round_closing_soon", closing)
        assert text.startswith("Fermeture le") and "13:00" in text and "Europe/Paris" in text
        with in_recipients_language(User(locale=None, time_zone=None)):
            text = notification_mail.details("round_closing_soon", closing)
        assert text.startswith("It closes at") and "12:00" in text and "UTC" in text
        with in_recipients_language(User(locale="xx", time_zone="Not/AZone")):  # unknown: the defaults
            assert notification_mail.details("round_closing_soon", closing).startswith("It closes at")


MAIL_COMPOSERS = ["notification_mail.py", "account_links.py", "account_recovery.py", "accounts.py",
                  "second_factor.py", "people.py", "notifications.py"]
MARKED = [
    "Confirm your e-mail address", "Reset your password", "Someone tried to register with your address",
    "Someone tried to use your address", "Your e-mail address was changed", "Your password was changed",
    "A recovery code was used", "Two-factor sign-in is on", "Your two-factor sign-in was reset",
    "REAIM Exchange. You receive this because of an action on your account.", "Your daily digest",
    "Your weekly digest", "%(event)s: %(title)s", "%(event)s, about an item marked %(tlp)s. Sign in to read it:",
    "Stop these e-mails (%(what)s): %(link)s", "All your notification settings: %(link)s",
    "You receive this because you registered on REAIM Exchange.", "Author: not shown (Chatham House rule)",
    "It closes at %(when)s.", "You receive this because your organisation owns this sharing group on REAIM Exchange.",
]


def test_every_mail_text_is_extracted_for_translation():
    services = Path(__file__).resolve().parent.parent / "webapp" / "services"
    extracted = set()
    for name in MAIL_COMPOSERS:
        for _lineno, message, _comments, _context in extract_from_file(
                "python", services / name, keywords={"_": None, "_l": None, "gettext": None, "lazy_gettext": None}):
            extracted.add(message)
    assert not [text for text in MARKED if text not in extracted]
    assert any(text.startswith("Hello %(name)s,\n\nplease confirm") for text in extracted)
