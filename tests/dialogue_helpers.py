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
               title="Sharing test and evaluation practice", facilitators=(), paragraphs=(16, 24)):
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
