"""Irreversible archive steps (publish, withdraw, retire) ask on a page of their own; GET changes nothing."""
from __future__ import annotations

import pytest

from tests.archive_helpers import practice_data, viewer
from webapp.db import session
from webapp.models import Submission, SubmissionStatus
from webapp.services.submission_workflow import publish_submission, submit_submission
from webapp.services.submissions import create_submission


@pytest.fixture
def people(app, make_user, make_org):
    org = make_org(stakeholder_type="academia", country="FR")
    return {
        "author": make_user(clearance="restricted", org=org),
        "facilitator": make_user(clearance="restricted", roles=("facilitator",)),
        "low_facilitator": make_user(clearance="community", roles=("facilitator",)),
        "community": make_user(clearance="community"),
    }


def _as(app, fn, user, *args):
    with app.test_request_context():
        return fn(viewer(user), *args)


def _status(app, item_id: int) -> SubmissionStatus:
    with app.app_context():
        return session().get(Submission, item_id).status


@pytest.fixture
def submitted(app, people):
    item = _as(app, create_submission, people["author"], "good_practice",
               practice_data(title="Operators over-trusted the model", tier="restricted"))
    _as(app, submit_submission, people["author"], item.id)
    return item.id


def test_publish_asks_first_and_get_changes_nothing(app, people, submitted, client_for, form_token):
    reviewer = client_for(people["facilitator"])
    queue = reviewer.get("/archive/review").get_data(as_text=True)
    assert f'href="/archive/{submitted}/publish"' in queue  # a link to the question, not a posting button
    page = reviewer.get(f"/archive/{submitted}/publish")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Publish this item?" in body and "What happens next" in body and "cannot be undone" in body
    assert 'name="csrf_token"' in body and f'action="/archive/{submitted}/publish"' in body
    assert _status(app, submitted) is SubmissionStatus.SUBMITTED
    token = form_token(reviewer, f"/archive/{submitted}/publish")
    response = reviewer.post(f"/archive/{submitted}/publish", data={"csrf_token": token})
    assert response.status_code == 302 and _status(app, submitted) is SubmissionStatus.PUBLISHED
    # Published: the question page now refuses with 409, and says why.
    again = reviewer.get(f"/archive/{submitted}/publish")
    assert again.status_code == 409 and "Published" in again.get_data(as_text=True)


def test_post_without_token_changes_nothing(app, people, submitted, client_for):
    reviewer = client_for(people["facilitator"])
    assert reviewer.post(f"/archive/{submitted}/publish", data={}).status_code == 400
    assert _status(app, submitted) is SubmissionStatus.SUBMITTED


def test_the_author_may_not_reach_the_publish_question(people, submitted, client_for):
    assert client_for(people["author"]).get(f"/archive/{submitted}/publish").status_code == 403


def test_a_lower_tier_sees_nothing_of_the_question_pages(people, submitted, client_for):
    for user in (people["low_facilitator"], people["community"]):
        client = client_for(user)
        for step in ("publish", "withdraw", "retire"):
            response = client.get(f"/archive/{submitted}/{step}")
            assert response.status_code == 404, step
            assert "Operators over-trusted" not in response.get_data(as_text=True)
    anonymous = client_for(None).get(f"/archive/{submitted}/publish")
    assert anonymous.status_code == 302 and "Operators over-trusted" not in anonymous.get_data(as_text=True)


def test_retire_is_named_retire_and_keeps_the_item_readable(app, people, submitted, client_for, form_token):
    _as(app, publish_submission, people["facilitator"], submitted)
    author = client_for(people["author"])
    item_page = author.get(f"/archive/{submitted}").get_data(as_text=True)
    assert f'href="/archive/{submitted}/retire"' in item_page and ">Archive</button>" not in item_page
    question = author.get(f"/archive/{submitted}/retire").get_data(as_text=True)
    assert "Retire this item?" in question and "stays readable" in question
    assert _status(app, submitted) is SubmissionStatus.PUBLISHED
    token = form_token(author, f"/archive/{submitted}/retire")
    assert author.post(f"/archive/{submitted}/retire", data={"csrf_token": token}).status_code == 302
    assert _status(app, submitted) is SubmissionStatus.ARCHIVED
    reader = client_for(people["facilitator"]).get(f"/archive/{submitted}").get_data(as_text=True)
    assert "Retired" in reader


def test_withdraw_says_links_stop_working_when_published(app, people, submitted, client_for, form_token):
    _as(app, publish_submission, people["facilitator"], submitted)
    author = client_for(people["author"])
    question = author.get(f"/archive/{submitted}/withdraw").get_data(as_text=True)
    assert "Withdraw this item?" in question and "not found" in question and "cannot be undone" in question
    assert client_for(people["facilitator"]).get(f"/archive/{submitted}/withdraw").status_code == 403
    token = form_token(author, f"/archive/{submitted}/withdraw")
    assert author.post(f"/archive/{submitted}/withdraw", data={"csrf_token": token}).status_code == 302
    assert _status(app, submitted) is SubmissionStatus.WITHDRAWN
    assert author.get(f"/archive/{submitted}/withdraw").status_code == 409
