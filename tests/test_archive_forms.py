"""Archive forms over HTTP: every bad input of the issue gets a clear message, the right status, and changes nothing."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.archive_helpers import lesson_data, practice_data, viewer
from webapp.db import session
from webapp.models import AuditEvent, Submission, SubmissionRevision, SubmissionStatus, Tier
from webapp.services.submission_workflow import publish_submission, submit_submission
from webapp.services.submissions import create_submission


def form_fields(data: dict) -> dict:
    """Service data → posted form fields (paragraphs as a repeated key, None as empty)."""
    posted = {k: ("" if v is None else v) for k, v in data.items() if k != "paragraphs"}
    posted["paragraphs"] = [str(n) for n in data.get("paragraphs", [])]
    return posted


@pytest.fixture
def people(app, make_user, make_org):
    org = make_org(stakeholder_type="academia", country="FR")
    return {
        "author": make_user(clearance="restricted", org=org),
        "colleague": make_user(clearance="restricted", org=org),
        "facilitator": make_user(clearance="restricted", roles=("facilitator",)),
        "other": make_user(clearance="restricted"),
    }


@pytest.fixture
def signed_in(client_for, form_token):
    """signed_in(user) → (client, csrf token)."""

    def factory(user):
        client = client_for(user)
        return client, form_token(client, "/archive/new" if user else "/sign-in")

    return factory


def _count(app, model=Submission) -> int:
    with app.app_context():
        return session().scalar(select(func.count()).select_from(model))


def _service(app, fn, user, *args, **kwargs):
    """Call a service as `user` in its own request context."""
    with app.test_request_context():
        return fn(viewer(user), *args, **kwargs)


def test_create_lesson_through_the_form(app, people, signed_in):
    client, token = signed_in(people["author"])
    assert client.get("/archive/new/lesson_learnt").status_code == 200
    response = client.post("/archive/new/lesson_learnt", data={**form_fields(lesson_data()), "csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        item = session().scalars(select(Submission)).one()
        assert item.author_id == people["author"].id and item.status is SubmissionStatus.DRAFT
        assert item.paragraph_numbers == [14, 16] and item.keywords == ["human-machine teaming", "trust"]
        assert response.headers["Location"].endswith(f"/archive/{item.id}")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"title": ""}, "A title is required."),
        ({"summary": ""}, "A summary is required."),
        ({"paragraphs": []}, "Choose at least one paragraph of the Call to Action."),
        ({"paragraphs": [0]}, "there is no paragraph 0"),
        ({"paragraphs": [26]}, "there is no paragraph 26"),
        ({"lifecycle_stage": "launch"}, "Unknown lifecycle stage"),
        ({"lesson_status": "finished"}, "Unknown lesson status"),
        ({"tier": "secret"}, "Unknown access tier"),
        ({"tier": "confidential"}, "above your clearance"),
        ({"sharing_group_id": "999"}, "sharing group you belong to"),
        ({"sharing_group_id": "abc"}, "Unknown sharing group"),
    ],
)
def test_bad_input_is_400_with_a_clear_message(app, people, signed_in, override, message):
    client, token = signed_in(people["author"])
    data = form_fields(lesson_data(**override))
    response = client.post("/archive/new/lesson_learnt", data={**data, "csrf_token": token})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(app) == 0 and _count(app, SubmissionRevision) == 0


def test_group_the_author_is_in_is_accepted(app, people, signed_in, make_group):
    group = make_group(users=(people["author"],))
    client, token = signed_in(people["author"])
    response = client.post("/archive/new/good_practice", data={
        **form_fields(practice_data(tier="restricted", sharing_group_id=str(group.id))), "csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        assert session().scalars(select(Submission)).one().sharing_group_id == group.id


def test_a_megabyte_body_is_413(app, people, signed_in):
    client, token = signed_in(people["author"])
    data = form_fields(lesson_data(observation="x" * 1_000_000))
    response = client.post("/archive/new/lesson_learnt", data={**data, "csrf_token": token})
    assert response.status_code == 413
    data = form_fields(lesson_data(observation="y" * 150_000))  # under the request limit, over the field limit
    response = client.post("/archive/new/lesson_learnt", data={**data, "csrf_token": token})
    assert response.status_code == 413 and "too long" in response.get_data(as_text=True)
    assert _count(app) == 0


def test_hostile_markdown_is_neutralised(app, people, signed_in):
    client, token = signed_in(people["author"])
    hostile = ('<script>alert(1)</script><img src=x onerror=alert(2)> [a](javascript:alert(3)) '
               '[b](data:text/html;base64,PHNjcmlwdD4=) <svg onload=alert(4)><iframe src=//x><form><style>*{}</style>')
    data = form_fields(practice_data(title='"><script>alert(5)</script>', practice=hostile, keywords="<b>k</b>"))
    assert client.post("/archive/new/good_practice", data={**data, "csrf_token": token}).status_code == 302
    with app.app_context():
        item_id = session().scalars(select(Submission.id)).one()
    page = client.get(f"/archive/{item_id}").get_data(as_text=True)
    main = page[page.index("<main"):]
    for bad in ("<script", "<img", "<svg", "<iframe", "<form><style", 'href="javascript:', 'href="data:',
                "<b>k</b>"):
        assert bad not in main, bad
    assert "&lt;script&gt;alert(5)" in main


def test_forged_author_and_status_are_ignored(app, people, signed_in):
    client, token = signed_in(people["author"])
    data = {**form_fields(practice_data()), "author_id": str(people["other"].id), "status": "published",
            "author_organisation_id": "1", "tier_confirmed": "y", "csrf_token": token}
    assert client.post("/archive/new/good_practice", data=data).status_code == 302
    with app.app_context():
        item = session().scalars(select(Submission)).one()
        assert item.author_id == people["author"].id and item.status is SubmissionStatus.DRAFT
        assert item.author_organisation_id == people["author"].organisation_id


def test_csrf_is_required(app, people, client_for):
    client = client_for(people["author"])
    response = client.post("/archive/new/good_practice", data=form_fields(practice_data()))
    assert response.status_code == 400 and _count(app) == 0


def test_unknown_kinds_and_syntheses_have_no_form(people, signed_in):
    client, _token = signed_in(people["author"])
    assert client.get("/archive/new/essay").status_code == 404
    assert client.get("/archive/new/outcome_synthesis").status_code == 404


def test_pending_and_anonymous_cannot_contribute(app, make_user, client_for):
    pending = make_user(status="pending")
    assert client_for(pending).get("/archive/new").status_code == 403
    assert client_for(pending).get("/archive/new/good_practice").status_code == 403
    response = client_for(None).get("/archive/new/good_practice")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_editing_someone_elses(app, people, signed_in):
    draft = _service(app, create_submission, people["author"], "good_practice", practice_data())
    done = _service(app, create_submission, people["author"], "good_practice", practice_data(title="Done"))
    _service(app, submit_submission, people["author"], done.id)
    _service(app, publish_submission, people["facilitator"], done.id)
    client, token = signed_in(people["other"])
    posted = {**form_fields(practice_data(title="Hijacked")), "csrf_token": token}
    assert client.get(f"/archive/{draft.id}/edit").status_code == 404  # invisible draft
    assert client.post(f"/archive/{draft.id}/edit", data=posted).status_code == 404
    assert client.get(f"/archive/{done.id}/edit").status_code == 403  # visible, not theirs
    assert client.post(f"/archive/{done.id}/edit", data=posted).status_code == 403
    with app.app_context():
        assert "Hijacked" not in list(session().scalars(select(Submission.title)))


def test_acting_on_invisible_submissions_is_404(app, people, signed_in):
    draft = _service(app, create_submission, people["author"], "good_practice", practice_data())
    client, token = signed_in(people["other"])
    for action in ("submit", "publish", "withdraw", "retire", "new-version", "return", "tier"):
        response = client.post(f"/archive/{draft.id}/{action}", data={"csrf_token": token, "comments": "x",
                                                                      "tier": "public", "confirm": "y"})
        assert response.status_code == 404, action
    facilitator, ftoken = signed_in(people["facilitator"])
    assert facilitator.post(f"/archive/{draft.id}/publish", data={"csrf_token": ftoken}).status_code == 404
    with app.app_context():
        assert session().get(Submission, draft.id).status is SubmissionStatus.DRAFT


def test_workflow_over_http_with_409_for_illegal_transitions(app, people, signed_in):
    author, token = signed_in(people["author"])
    author.post("/archive/new/good_practice", data={**form_fields(practice_data()), "csrf_token": token})
    with app.app_context():
        item_id = session().scalars(select(Submission.id)).one()
    assert author.post(f"/archive/{item_id}/retire", data={"csrf_token": token}).status_code == 409
    assert author.post(f"/archive/{item_id}/submit", data={"csrf_token": token}).status_code == 302
    response = author.post(f"/archive/{item_id}/submit", data={"csrf_token": token})
    assert response.status_code == 409 and "only a submission that is draft or returned" in response.get_data(as_text=True)
    assert author.post(f"/archive/{item_id}/publish", data={"csrf_token": token}).status_code == 403
    facilitator, ftoken = signed_in(people["facilitator"])
    response = facilitator.post(f"/archive/{item_id}/return", data={"csrf_token": ftoken, "comments": ""})
    assert response.status_code == 400 and "Write the comments" in response.get_data(as_text=True)
    assert facilitator.get(f"/archive/{item_id}/return").status_code == 200
    assert facilitator.post(f"/archive/{item_id}/return",
                            data={"csrf_token": ftoken, "comments": "Add *evidence*."}).status_code == 302
    page = author.get(f"/archive/{item_id}").get_data(as_text=True)
    assert "Reviewer comments" in page and "<em>evidence</em>" in page
    assert author.post(f"/archive/{item_id}/submit", data={"csrf_token": token}).status_code == 302
    assert facilitator.post(f"/archive/{item_id}/publish", data={"csrf_token": ftoken}).status_code == 302
    assert facilitator.post(f"/archive/{item_id}/publish", data={"csrf_token": ftoken}).status_code == 409
    assert author.post(f"/archive/{item_id}/withdraw", data={"csrf_token": token}).status_code == 302
    assert author.post(f"/archive/{item_id}/withdraw", data={"csrf_token": token}).status_code == 409
    assert facilitator.get(f"/archive/{item_id}").status_code == 404  # withdrawn: the author's only
    assert author.get(f"/archive/{item_id}").status_code == 200
    assert author.get(f"/archive/{item_id}/edit").status_code == 409


def test_incomplete_draft_cannot_be_submitted(app, people, signed_in):
    client, token = signed_in(people["author"])
    data = form_fields(lesson_data(observation="", recommendation=""))
    assert client.post("/archive/new/lesson_learnt", data={**data, "csrf_token": token}).status_code == 302
    with app.app_context():
        item_id = session().scalars(select(Submission.id)).one()
    response = client.post(f"/archive/{item_id}/submit", data={"csrf_token": token})
    assert response.status_code == 400 and "Observation, Recommendation" in response.get_data(as_text=True)


def test_edit_form_and_declassification(app, people, signed_in):
    client, token = signed_in(people["author"])
    client.post("/archive/new/good_practice", data={**form_fields(practice_data(tier="restricted")), "csrf_token": token})
    with app.app_context():
        item_id = session().scalars(select(Submission.id)).one()
    page = client.get(f"/archive/{item_id}/edit").get_data(as_text=True)
    assert "Red-teaming before fielding" in page
    assert re.search(r'<option (selected value="restricted"|value="restricted" selected)', page)
    lowered = {**form_fields(practice_data(tier="community")), "csrf_token": token}
    response = client.post(f"/archive/{item_id}/edit", data=lowered)
    assert response.status_code == 400 and "confirm the declassification" in response.get_data(as_text=True)
    assert client.post(f"/archive/{item_id}/edit", data={**lowered, "confirm_declassify": "y"}).status_code == 302
    with app.app_context():
        assert session().get(Submission, item_id).tier is Tier.COMMUNITY
        assert session().scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "submission.declassified")) == 1


def test_tier_form(app, people, signed_in):
    item = _service(app, create_submission, people["author"], "good_practice", practice_data(tier="restricted"))
    _service(app, submit_submission, people["author"], item.id)
    _service(app, publish_submission, people["facilitator"], item.id)
    author, token = signed_in(people["author"])
    assert author.get(f"/archive/{item.id}/tier").status_code == 200
    response = author.post(f"/archive/{item.id}/tier", data={"csrf_token": token, "tier": "public"})
    assert response.status_code == 400 and "confirm" in response.get_data(as_text=True)
    response = author.post(f"/archive/{item.id}/tier", data={"csrf_token": token, "tier": "confidential"})
    assert response.status_code == 400 and "above your clearance" in response.get_data(as_text=True)
    other, otoken = signed_in(people["other"])
    response = other.post(f"/archive/{item.id}/tier", data={"csrf_token": otoken, "tier": "public", "confirm": "y"})
    assert response.status_code == 403
    # A colleague of the author who is neither author nor reviewer changes nothing (issue 8, defect 2).
    colleague, ctoken = signed_in(people["colleague"])
    response = colleague.post(f"/archive/{item.id}/tier", data={"csrf_token": ctoken, "tier": "public", "confirm": "y"})
    assert response.status_code == 403
    response = author.post(f"/archive/{item.id}/tier", data={"csrf_token": token, "tier": "public", "confirm": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert session().get(Submission, item.id).tier is Tier.PUBLIC


def test_new_policy_version_button(app, people, signed_in):
    from tests.archive_helpers import policy_data

    item = _service(app, create_submission, people["author"], "responsible_ai_policy", policy_data())
    client, token = signed_in(people["author"])
    response = client.post(f"/archive/{item.id}/new-version", data={"csrf_token": token})
    assert response.status_code == 302 and "/edit" in response.headers["Location"]
    other, otoken = signed_in(people["other"])
    _service(app, submit_submission, people["author"], item.id)
    _service(app, publish_submission, people["facilitator"], item.id)
    assert other.post(f"/archive/{item.id}/new-version", data={"csrf_token": otoken}).status_code == 403


def test_reviewer_and_tier_pages_refuse_others(app, people, signed_in):
    item = _service(app, create_submission, people["author"], "good_practice", practice_data())
    _service(app, submit_submission, people["author"], item.id)
    other, _token = signed_in(people["other"])
    assert other.get(f"/archive/{item.id}/return").status_code == 404  # submitted: not theirs to see
    facilitator, _ftoken = signed_in(people["facilitator"])
    assert facilitator.get(f"/archive/{item.id}/return").status_code == 200
    _service(app, publish_submission, people["facilitator"], item.id)
    assert other.get(f"/archive/{item.id}/return").status_code == 403
    assert facilitator.get(f"/archive/{item.id}/return").status_code == 409
    assert other.get(f"/archive/{item.id}/tier").status_code == 403
    colleague, _ctoken = signed_in(people["colleague"])
    assert colleague.get(f"/archive/{item.id}/tier").status_code == 403  # neither author nor reviewer
    assert facilitator.get(f"/archive/{item.id}/tier").status_code == 200  # a reviewer may raise it


def _state(app, item_id: int) -> tuple:
    """Everything an edit could change: the row's fields, its revisions, its audit rows."""
    with app.app_context():
        item = session().get(Submission, item_id)
        fields = (item.title, item.summary, item.status, item.tier, item.author_id, item.author_organisation_id,
                  item.sharing_group_id, item.paragraph_numbers, item.challenge_source, item.practice_html)
        revisions = session().scalar(select(func.count()).select_from(SubmissionRevision)
                                     .where(SubmissionRevision.submission_id == item_id))
        audits = session().scalar(select(func.count()).select_from(AuditEvent))
        return fields, revisions, audits


@pytest.mark.parametrize(
    ("override", "status", "message"),
    [
        ({"title": ""}, 400, "A title is required."),
        ({"summary": ""}, 400, "A summary is required."),
        ({"paragraphs": []}, 400, "Choose at least one paragraph of the Call to Action."),
        ({"paragraphs": [0]}, 400, "there is no paragraph 0"),
        ({"paragraphs": [26]}, 400, "there is no paragraph 26"),
        ({"tier": "secret"}, 400, "Unknown access tier"),
        ({"tier": "confidential"}, 400, "above your clearance"),
        ({"sharing_group_id": "999"}, 400, "sharing group you belong to"),
        ({"practice": "x" * 150_000}, 413, "too long"),
        ({"practice": "x" * 1_000_000}, 413, "larger than this site accepts"),
    ],
)
def test_bad_edits_change_nothing(app, people, signed_in, override, status, message):
    item = _service(app, create_submission, people["author"], "good_practice", practice_data())
    client, token = signed_in(people["author"])
    before = _state(app, item.id)
    response = client.post(f"/archive/{item.id}/edit", data={**form_fields(practice_data(**override)),
                                                             "csrf_token": token})
    assert response.status_code == status and message in response.get_data(as_text=True)
    assert _state(app, item.id) == before


def test_forged_author_and_status_on_edit_are_ignored(app, people, signed_in):
    item = _service(app, create_submission, people["author"], "good_practice", practice_data())
    client, token = signed_in(people["author"])
    forged = {**form_fields(practice_data(title="Edited")), "csrf_token": token, "author_id": str(people["other"].id),
              "status": "published", "author_organisation_id": str(people["other"].organisation_id),
              "reviewer_id": str(people["facilitator"].id)}
    assert client.post(f"/archive/{item.id}/edit", data=forged).status_code == 302
    with app.app_context():
        stored = session().get(Submission, item.id)
        assert stored.title == "Edited" and stored.status is SubmissionStatus.DRAFT
        assert stored.author_id == people["author"].id and stored.reviewer_id is None
        assert stored.author_organisation_id == people["author"].organisation_id


def test_refusals_say_why(app, people, signed_in):
    """Editing someone else's item is 403 with the reason; an invisible one is the generic 404 (no title)."""
    done = _service(app, create_submission, people["author"], "good_practice", practice_data(title="Theirs"))
    _service(app, submit_submission, people["author"], done.id)
    _service(app, publish_submission, people["facilitator"], done.id)
    draft = _service(app, create_submission, people["author"], "good_practice", practice_data(title="Secret draft"))
    client, token = signed_in(people["other"])
    posted = {**form_fields(practice_data(title="Hijacked")), "csrf_token": token}
    before = _state(app, done.id)
    response = client.post(f"/archive/{done.id}/edit", data=posted)
    assert response.status_code == 403 and "Only the author can edit this submission." in response.get_data(as_text=True)
    response = client.post(f"/archive/{done.id}/withdraw", data={"csrf_token": token})
    assert response.status_code == 403 and "Only the author can withdraw" in response.get_data(as_text=True)
    assert _state(app, done.id) == before
    hidden = client.post(f"/archive/{draft.id}/edit", data=posted)
    missing = client.post("/archive/987654/edit", data=posted)
    assert hidden.status_code == missing.status_code == 404
    assert "Secret draft" not in hidden.get_data(as_text=True)
    assert _without_token(hidden.get_data(as_text=True)) == _without_token(missing.get_data(as_text=True))


def _without_token(body: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', "", body)


@pytest.mark.parametrize(
    ("posted", "status", "message"),
    [
        ({"tier": "secret", "confirm": "y"}, 400, "Unknown access tier"),
        ({"tier": "confidential", "confirm": "y"}, 400, "above your clearance"),
        ({"tier": "restricted", "sharing_group_id": "999", "confirm": "y"}, 400, "sharing group you belong to"),
        ({"tier": "restricted", "sharing_group_id": "abc", "confirm": "y"}, 400, "Unknown sharing group"),
        ({"tier": "community"}, 400, "confirm the declassification"),
        ({"tier": "restricted"}, 409, "unchanged"),
        ({}, 400, ""),
    ],
)
def test_bad_tier_changes_change_nothing(app, people, signed_in, posted, status, message):
    item = _service(app, create_submission, people["author"], "good_practice", practice_data(tier="restricted"))
    client, token = signed_in(people["author"])
    before = _state(app, item.id)
    response = client.post(f"/archive/{item.id}/tier", data={**posted, "csrf_token": token})
    assert response.status_code == status and message in response.get_data(as_text=True)
    assert _state(app, item.id) == before


def test_dropping_the_sharing_group_is_a_declassification(app, people, signed_in, make_group):
    group = make_group(users=(people["author"],))
    item = _service(app, create_submission, people["author"], "good_practice",
                    practice_data(tier="community", sharing_group_id=group.id))
    client, token = signed_in(people["author"])
    response = client.post(f"/archive/{item.id}/tier", data={"tier": "community", "csrf_token": token})
    assert response.status_code == 400 and "confirm the declassification" in response.get_data(as_text=True)
    assert client.post(f"/archive/{item.id}/tier", data={"tier": "community", "confirm": "y",
                                                         "csrf_token": token}).status_code == 302
    with app.app_context():
        assert session().get(Submission, item.id).sharing_group_id is None
        event = session().scalars(select(AuditEvent).where(AuditEvent.action == "submission.declassified")).one()
        assert event.object_id == item.id and event.actor_id == people["author"].id
        assert event.details["group_before"] == group.id and event.details["group"] is None


def test_service_refuses_public_with_a_sharing_group(app, make_user, make_group):
    """The form refuses it too; the service is where a forged request is stopped."""
    from tests.archive_helpers import practice_data, viewer
    from webapp.services import ServiceError
    from webapp.services.submissions import create_submission

    author = make_user(clearance="restricted")
    group = make_group(users=[author])
    with app.test_request_context(), pytest.raises(ServiceError, match="cannot be limited to a sharing group"):
        create_submission(viewer(author), "good_practice", practice_data(tier="public", sharing_group_id=group.id))
