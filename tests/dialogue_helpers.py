"""Helpers shared by the dialogue tests: viewers, rounds, threads and posts made through the real services."""
from __future__ import annotations

from datetime import timedelta

from webapp import db as database
from webapp import policy
from webapp.models import Tier, User, utcnow
from webapp.services import dialogue_posts, dialogue_rounds


def viewer(app, user: User | None):
    """The Viewer of `user`, built like a request would."""
    with app.test_request_context():
        return policy.viewer_for(database.session().get(User, user.id) if user else None, database.session())


def make_round(app, facilitator: User, *, tier=Tier.COMMUNITY, group=None, opens_in=timedelta(hours=-1),
               closes_in=timedelta(days=7), chatham_house=False, invited_types=(), invited_organisation_ids=(),
               title="Sharing test and evaluation practice", facilitators=(), paragraphs=(16, 24), hidden_roster=False,
               thread_pseudonyms=False):
    """A round created by `facilitator` through the service."""
    now = utcnow()
    with app.test_request_context():
        return dialogue_rounds.create_round(
            viewer(app, facilitator),
            title=title,
            questions_source="1. What worked?\n2. What did not?",
            paragraphs=list(paragraphs),
            tier=tier,
            sharing_group_id=group.id if group else None,
            opens_at=now + opens_in,
            closes_at=now + closes_in,
            chatham_house=chatham_house,
            hidden_roster=hidden_roster,
            thread_pseudonyms=thread_pseudonyms,
            invited_types=invited_types,
            invited_organisation_ids=invited_organisation_ids,
            facilitator_ids=[f.id for f in facilitators],
        )


def make_thread(app, author: User, *, round_=None, title="Lessons from field trials", body="First post",
                tier=Tier.COMMUNITY, group=None, paragraphs=(14,)):
    """A thread (in `round_` or standalone) with its first post."""
    with app.test_request_context():
        return dialogue_posts.create_thread(
            viewer(app, author), title=title, body_source=body, round_id=round_.id if round_ else None,
            paragraphs=list(paragraphs) if round_ is None else (), tier=tier, sharing_group_id=group.id if group else None,
        )


def make_post(app, author: User, thread, body="A reply", parent=None, quote=None):
    """A post in `thread`."""
    with app.test_request_context():
        return dialogue_posts.create_post(
            viewer(app, author), thread.id, body_source=body, parent_id=parent.id if parent else None,
            quoted_post_id=quote.id if quote else None,
        )


def table_counts(app) -> dict[str, int]:
    """Row counts of every table (compare before/after to prove nothing changed)."""
    from sqlalchemy import text

    from webapp.db import Base

    with app.extensions["db_engine"].connect() as conn:
        return {t.name: conn.scalar(text(f'SELECT COUNT(*) FROM "{t.name}"')) for t in Base.metadata.sorted_tables}


def send(client, path: str, data: dict | None = None, token_page: str = "/dialogue/"):
    """POST a form with a valid CSRF token (taken from `token_page`)."""
    from tests.conftest import csrf_token

    payload = {"csrf_token": csrf_token(client, token_page)}
    payload.update(data or {})
    return client.post(path, data=payload)


def fetch(app, model, object_id):
    """A fresh copy of a row (outside any request's session)."""
    with app.test_request_context():
        obj = database.session().get(model, object_id)
        database.session().expunge_all()
        return obj


def outbox(app) -> list[tuple[str, int]]:
    """(kind, object id) of every queued search update."""
    from sqlalchemy import select

    from webapp.models import SearchOutboxEntry

    with app.test_request_context():
        return [(e.kind, e.object_id) for e in database.session().scalars(select(SearchOutboxEntry).order_by(SearchOutboxEntry.id))]


def audit_actions(app, prefix: str = "") -> list:
    """Audit events (optionally by action prefix), oldest first."""
    from sqlalchemy import select

    from webapp.models import AuditEvent

    with app.test_request_context():
        rows = list(database.session().scalars(select(AuditEvent).where(AuditEvent.action.startswith(prefix)).order_by(AuditEvent.id)))
        database.session().expunge_all()
        return rows


class World:
    """Organisations and people the dialogue tests share."""

    def __init__(self, make_org, make_user):
        self.state_org = make_org("state", "NL", name="Ministry of Defence NL")
        self.company = make_org("private_sector", "DE", name="Sensor Systems GmbH")
        self.university = make_org("academia", "KE", name="University of Nairobi AI Lab")
        self.facilitator = make_user("confidential", roles=("facilitator",), org=self.state_org, name="Fatima Facilitator")
        self.other_facilitator = make_user("restricted", roles=("facilitator",), org=self.company, name="Olaf Otherfac")
        self.member = make_user("community", org=self.state_org, name="Maria Member")
        self.company_member = make_user("community", org=self.company, name="Carl Company")
        self.researcher = make_user("restricted", org=self.university, name="Rita Researcher")
        self.admin = make_user("community", roles=("admin",), org=self.state_org, name="Adam Admin")
        self.pending = make_user("community", org=self.company, status="pending", name="Pete Pending")


def make_world(make_org, make_user) -> World:
    """The shared cast."""
    return World(make_org, make_user)
