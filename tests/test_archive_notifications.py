"""The archive tells paragraph watchers of new publications: once per item, only those who may read it, never the
one who published it; a Chatham House synthesis names no one in the notification or the e-mail either."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from tests.archive_helpers import concluded_synthesis, practice_data, viewer
from tests.notification_helpers import run_digests
from webapp.db import session
from webapp.models import Notification
from webapp.services import notifications
from webapp.services.submission_workflow import publish_submission, submit_submission
from webapp.services.submissions import create_submission, update_submission


@pytest.fixture
def people(app, make_user, make_org):
    return {
        "author": make_user(clearance="restricted", org=make_org(stakeholder_type="academia", country="KE")),
        "reviewer": make_user(clearance="restricted", roles=("facilitator",), name="Rhea Reviewer"),
        "member": make_user(clearance="community"),
        "cleared": make_user(clearance="restricted"),
    }


def _watch(app, user, *paragraphs):
    with app.test_request_context():
        for number in paragraphs:
            notifications.watch(viewer(user), "paragraph", number)


def _received(app, user) -> list[tuple[str, str, int]]:
    with app.test_request_context():
        return [(n.event, n.object_kind, n.object_id) for n in session().scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]


def _publish(app, people, **fields):
    before = {name: _received(app, user) for name, user in people.items()}
    with app.test_request_context():
        item = create_submission(viewer(people["author"]), "good_practice", practice_data(**fields))
        update_submission(viewer(people["author"]), item.id, practice_data(**fields))
        submit_submission(viewer(people["author"]), item.id)
    after = {name: _received(app, user) for name, user in people.items()}
    assert after.pop("reviewer") == before.pop("reviewer") + [("review_requested", "submission", item.id)]
    assert after == before  # drafts: no one; the submission: the reviewer only
    with app.test_request_context():
        return publish_submission(viewer(people["reviewer"]), item.id)


def test_publishing_notifies_readers_watching_its_paragraphs_once(app, people):
    _watch(app, people["member"], 14, 16)
    _watch(app, people["cleared"], 16)
    _watch(app, people["reviewer"], 14)
    item = _publish(app, people, paragraphs=[14, 16], tier="community")
    assert _received(app, people["member"]) == [("published", "submission", item.id)]  # two paragraphs, one notice
    assert _received(app, people["cleared"]) == [("published", "submission", item.id)]
    # the one who published it hears nothing of the publication (only of the review requests)
    assert [event for event, _kind, _id in _received(app, people["reviewer"])] == ["review_requested"]
    assert _received(app, people["author"])[-1] == ("submission_published", "submission", item.id)
    restricted = _publish(app, people, paragraphs=[16], tier="restricted", title="Restricted practice")
    assert _received(app, people["member"]) == [("published", "submission", item.id)]  # not even a hint
    assert _received(app, people["cleared"])[-1] == ("published", "submission", restricted.id)


def test_a_concluded_round_notifies_paragraph_watchers_of_its_synthesis(app, people, make_user, client_for):
    facilitator = make_user(clearance="restricted", roles=("facilitator",), name="Fenna Facilitator")
    _watch(app, people["member"], 16)
    _watch(app, people["cleared"], 16)
    synthesis = concluded_synthesis(app, facilitator, title="Frank round", tier="restricted", chatham_house=True,
                                    paragraphs=(16,))
    assert ("published", "submission", synthesis.id) in _received(app, people["cleared"])
    assert ("published", "submission", synthesis.id) not in _received(app, people["member"])
    run_digests(app)  # publications in watched paragraphs come in the daily digest
    outbox = Path(app.config["MAIL_OUTBOX_FILE"]).read_text(encoding="utf-8")
    assert "an item marked TLP:AMBER" in outbox and "Frank round" not in outbox  # mailed without the title
    assert "Fenna Facilitator" not in outbox  # Chatham House: no one is named, by page or by mail
    page = client_for(people["cleared"]).get("/notifications/").get_data(as_text=True)
    assert "Frank round" in page and "Fenna Facilitator" not in page

