"""The demo world of `flask seed --demo` plus dialogue rounds, and its personas, for the crawl tests.

Demo people get random passwords; the crawl sets a known one so that it can sign in through the real forms.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update
from tests.browser.conftest import serving

from tests.conftest import DEFAULT_PASSWORD, _empty_all_tables
from tests.dialogue_helpers import make_post, make_round, make_thread, viewer
from webapp import create_app
from webapp.db import session, unit_of_work
from webapp.models import Tier, User, organisation_focal_points
from webapp.services import moderation, passwords, seeding
from webapp.services.demo_content import load_demo_content


@dataclass(frozen=True)
class Persona:
    """Who crawls: a name for reports, and the demo person's e-mail (None: anonymous)."""

    label: str
    email: str | None
    id: int = 0
    totp_secret: str | None = None


PERSONAS = [
    ("anonymous", None),
    ("pending member", "t.oliveira@stopharm.example.org"),
    ("community member", "priya.raman@meridian.example.com"),
    ("confidential member", "jonas.weber@aurora.example.de"),
    ("facilitator", "anna.devries@mod.example.nl"),
    ("reviewer", "lea.martin@unidir.example.org"),
    ("admin", "ruth.admin@secretariat.example.org"),
    ("focal point", "w.kamau@mod.example.ke"),
]


def _by_email(email: str) -> User:
    return session().scalar(select(User).where(User.email == email))


def build_demo_world(app) -> list[Persona]:
    """Seed the demo world, its archive and three rounds with threads, replies and a flag; return the personas."""
    with app.test_request_context():
        seeding.load_demo_world()
        with unit_of_work() as db:
            db.execute(update(User).values(password_hash=passwords.hash_password(DEFAULT_PASSWORD)))
        load_demo_content()
        kenya = _by_email("w.kamau@mod.example.ke")
        with unit_of_work() as db:
            db.execute(organisation_focal_points.insert().values(organisation_id=kenya.organisation_id,
                                                                 user_id=kenya.id))
        people = {email: _by_email(email) for _label, email in PERSONAS if email}
        session().expunge_all()
    anna, lea = people["anna.devries@mod.example.nl"], people["lea.martin@unidir.example.org"]
    priya, jonas = people["priya.raman@meridian.example.com"], people["jonas.weber@aurora.example.de"]
    open_round = make_round(app, anna, title="Human judgement in targeting support", facilitators=(lea,))
    make_round(app, lea, title="Test and evaluation under the Chatham House rule", chatham_house=True,
               tier=Tier.RESTRICTED)
    make_round(app, anna, title="Data governance for training sets (upcoming)", opens_in=timedelta(days=3),
               closes_in=timedelta(days=10))
    thread = make_thread(app, priya, round_=open_round, title="Operators over-trusted the recommendation",
                         body="In the **exercise**, operators accepted https://example.org/a-very-long-address-"
                              "that-does-not-break-on-a-phone-screen-at-all without checking.")
    first = make_post(app, jonas, thread, body="We saw the same; a second check helped.")
    make_post(app, anna, thread, body="Thank you both: what made the second check stick?", parent=first)
    make_thread(app, jonas, title="Standalone: documenting model limits", body="A model card per release.")
    with app.test_request_context():
        moderation.flag_post(viewer(app, priya), first.id, reason="Names a unit that should stay unnamed.")
    personas = []
    for label, email in PERSONAS:
        user = people.get(email)
        personas.append(Persona(label, email, user.id if user else 0, user.totp_secret if user else None))
    return personas


@contextmanager
def served_demo_world(database_url: str, tmp: Path) -> Iterator[tuple[object, str, list[Persona]]]:
    """An app on a fresh demo world, served on a free local port: yields (app, base URL, personas), and empties
    the database afterwards."""
    app = create_app({
        "TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp / "instance"),
        "SEARCH_INDEX_DIR": str(tmp / "search-index"), "MAIL_OUTBOX_FILE": str(tmp / "mail.log"),
        "JOBS_BACKEND": "immediate", "RATELIMIT_ENABLED": False, "SESSION_COOKIE_SECURE": False,
    })
    _empty_all_tables(app.extensions["db_engine"])
    with app.app_context():
        seeding.load_reference_data()
    personas = build_demo_world(app)
    try:
        with serving(app) as base:  # waits for the requests in flight before the database is emptied
            yield app, base, personas
    finally:
        _empty_all_tables(app.extensions["db_engine"])
        app.extensions["db_engine"].dispose()
