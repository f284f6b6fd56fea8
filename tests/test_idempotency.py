"""Duplicate submissions of one form (a retry after a dropped connection, a double click) create one item (issue 12).

Each form that creates something carries a fresh idempotency key per rendering; a second POST with the same key
redirects to what the first created, a different key creates another item, and another user's use of a key never
leads to the first user's item."""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.archive_helpers import lesson_data
from tests.conftest import csrf_token
from tests.dialogue_helpers import make_thread, make_world
from tests.test_archive_forms import form_fields
from tests.test_dialogue_rounds import _round_form
from webapp.db import session
from webapp.jobs import claims, schedule
from webapp.models import DialogueRound, FormSubmission, Post, Submission, Thread, utcnow

THREAD = {"title": "Red-teaming targeting aids", "body": "What worked?", "paragraphs": ["14"], "tier": "community",
          "sharing_group": ""}


@pytest.fixture
def world(make_org, make_user):
    return make_world(make_org, make_user)


def _count(app, model) -> int:
    with app.app_context():
        return session().scalar(select(func.count()).select_from(model))


def _key_of(page: str) -> str:
    match = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page) or re.search(
        r'id="idempotency_key" name="idempotency_key" type="hidden" value="([^"]+)"', page)
    assert match, "no idempotency key in the form"
    return match.group(1)


def _form_key(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return _key_of(response.get_data(as_text=True))


def _post(client, path: str, data: dict, key: str, token_page: str = "/dialogue/"):
    return client.post(path, data={**data, "idempotency_key": key, "csrf_token": csrf_token(client, token_page)})


def test_every_rendering_of_a_form_gets_its_own_key(app, world, client_for):
    client = client_for(world.member)
    assert _form_key(client, "/dialogue/threads/new") != _form_key(client, "/dialogue/threads/new")


def test_a_double_post_of_the_new_thread_form_creates_one_thread(app, world, client_for):
    client = client_for(world.member)
    key = _form_key(client, "/dialogue/threads/new")
    first = _post(client, "/dialogue/threads/new", THREAD, key)
    second = _post(client, "/dialogue/threads/new", THREAD, key)  # the retry after a dropped connection
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(app, Thread) == 1
    assert "This form was already sent" in client.get(second.headers["Location"]).get_data(as_text=True)


def test_different_keys_create_two_threads(app, world, client_for):
    client = client_for(world.member)
    first = _post(client, "/dialogue/threads/new", THREAD, _form_key(client, "/dialogue/threads/new"))
    second = _post(client, "/dialogue/threads/new", THREAD, _form_key(client, "/dialogue/threads/new"))
    assert first.headers["Location"] != second.headers["Location"]
    assert _count(app, Thread) == 2


def test_a_key_reused_by_another_user_does_not_reveal_the_first_users_item(app, world, client_for, make_user):
    member = client_for(world.member)
    key = _form_key(member, "/dialogue/threads/new")
    private = {**THREAD, "title": "Only my organisation's"}
    first = _post(member, "/dialogue/threads/new", private, key)
    assert first.status_code == 302
    other = client_for(make_user(clearance="community"))
    second = _post(other, "/dialogue/threads/new", {**THREAD, "title": "Mine"}, key)
    assert second.status_code == 302 and second.headers["Location"] != first.headers["Location"]
    assert _count(app, Thread) == 2  # the other user's submission is their own, new item
    page = other.get(second.headers["Location"]).get_data(as_text=True)
    assert "Mine" in page and "Only my organisation" not in page and "already sent" not in page


def test_a_double_post_of_a_reply_creates_one_post(app, world, client_for):
    thread = make_thread(app, world.member, title="A thread", body="opening")
    client = client_for(world.member)
    key = _form_key(client, f"/dialogue/threads/{thread.id}/reply")
    before = _count(app, Post)
    first = _post(client, f"/dialogue/threads/{thread.id}/posts", {"body": "A reply"}, key)
    second = _post(client, f"/dialogue/threads/{thread.id}/posts", {"body": "A reply"}, key)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(app, Post) == before + 1


def test_a_double_post_of_the_new_round_form_creates_one_round(app, world, client_for):
    client = client_for(world.facilitator)
    key = _form_key(client, "/dialogue/rounds/new")
    first = _post(client, "/dialogue/rounds/new", _round_form(), key)
    second = _post(client, "/dialogue/rounds/new", _round_form(), key)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(app, DialogueRound) == 1


def test_a_double_post_of_a_new_submission_creates_one_draft(app, make_user, client_for):
    author = make_user(clearance="restricted")
    client = client_for(author)
    key = _form_key(client, "/archive/new/lesson_learnt")
    data = form_fields(lesson_data())
    first = _post(client, "/archive/new/lesson_learnt", data, key, token_page="/archive/new")
    second = _post(client, "/archive/new/lesson_learnt", data, key, token_page="/archive/new")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(app, Submission) == 1


def test_a_refused_submission_leaves_its_key_free_for_the_corrected_retry(app, world, client_for):
    client = client_for(world.member)
    key = _form_key(client, "/dialogue/threads/new")
    refused = _post(client, "/dialogue/threads/new", {**THREAD, "title": ""}, key)
    assert refused.status_code == 400 and _count(app, FormSubmission) == 0
    corrected = _post(client, "/dialogue/threads/new", THREAD, key)
    assert corrected.status_code == 302 and _count(app, Thread) == 1


def test_two_simultaneous_posts_with_one_key_create_one_thread(app, world, client_for):
    clients = [client_for(world.member), client_for(world.member)]  # two connections, as two workers would get
    key = _form_key(clients[0], "/dialogue/threads/new")
    tokens = [csrf_token(client, "/dialogue/") for client in clients]
    start, locations = threading.Barrier(2), []

    def double_click(client, token):
        start.wait()
        response = client.post("/dialogue/threads/new", data={**THREAD, "idempotency_key": key, "csrf_token": token})
        locations.append((response.status_code, response.headers.get("Location")))

    workers = [threading.Thread(target=double_click, args=pair) for pair in zip(clients, tokens)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert [status for status, _ in locations] == [302, 302]
    assert locations[0][1] == locations[1][1]
    assert _count(app, Thread) == 1


def test_the_periodic_job_purges_old_keys(app, world, client_for):
    client = client_for(world.member)
    _post(client, "/dialogue/threads/new", THREAD, _form_key(client, "/dialogue/threads/new"))
    assert _count(app, FormSubmission) == 1
    job = schedule.periodic_job("forms.purge_idempotency_keys")
    assert claims.run_once(app, job, utcnow()) == 0  # fresh keys stay
    app.config["FORM_KEY_RETENTION_HOURS"] = 0
    assert claims.run_once(app, job, utcnow() + timedelta(hours=1)) == 1
    assert _count(app, FormSubmission) == 0


def test_a_double_post_of_a_declassification_proposal_sends_one_proposal(app, make_user, make_org, client_for):
    from tests.test_declassification import _published
    from webapp.models import TierProposal

    korea, elsewhere = make_org(country="KR"), make_org(country="NL")
    people = {"author": make_user(clearance="restricted", org=korea),
              "korean_reviewer": make_user(clearance="confidential", roles=("facilitator",), org=korea),
              "facilitator": make_user(clearance="confidential", roles=("facilitator",), org=elsewhere)}
    item = _published(app, people, tier="restricted")
    client = client_for(people["facilitator"])
    key = _form_key(client, f"/archive/{item.id}/tier")
    data = {"proposed_tier": "community", "reason": "Now in the public report."}
    first = _post(client, f"/archive/{item.id}/propose", data, key, token_page=f"/archive/{item.id}/tier")
    second = _post(client, f"/archive/{item.id}/propose", data, key, token_page=f"/archive/{item.id}/tier")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(app, TierProposal) == 1
