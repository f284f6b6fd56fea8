"""Erasure requests (issue 14): a person erasing themselves (or an administrator on their request) may ask that their
contributions be deleted; the organisation answers — its focal points, or an administrator recording the
organisation's written agreement. Nobody else acts: a focal point of another organisation gets the missing-id 404,
a colleague who is not a focal point gets nothing, a focal point cannot erase a colleague."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from tests.dialogue_helpers import make_post, make_thread, viewer
from tests.search_helpers import publish
from webapp import db as database
from webapp.models import AuditEvent, ErasureRequest, Notification, Post, Submission, User
from webapp.services import NotFound, erasure

PASSWORD = "orbit lantern quietly harvest"


def _post(client, path, data=None, token_page=None):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, token_page or path)})


@pytest.fixture
def leaver(app, make_org, make_user, client_for):
    """A person of an organisation with a focal point, with an archive item and a post; another organisation's
    focal point; an admin."""
    org = make_org(name="Ministry of Leaving")
    other_org = make_org(name="Other Ministry")
    admin = make_user(roles=("admin",))
    focal = make_user(org=org, roles=("focal_point",), name="Fiona Focal")
    colleague = make_user(org=org, name="Colin Colleague")
    other_focal = make_user(org=other_org, roles=("focal_point",), name="Oscar Otherfocal")
    reviewer = make_user(roles=("facilitator",), clearance="restricted")
    person = make_user(org=org, name="Lena Leaver")
    item = publish(app, person, reviewer, title="Lesson the leaver wrote")
    thread = make_thread(app, colleague, title="A colleague's thread", body="Opening words")
    post = make_post(app, person, thread, body="Words the leaver posted")
    return {"org": org, "admin": admin, "focal": focal, "colleague": colleague, "other_focal": other_focal,
            "person": person, "item": item, "post": post}


def _erase_asking(app, client_for, person):
    client = client_for(person)
    response = _post(client, "/account/erase", {"password": PASSWORD, "understood": "y", "ask_organisation": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        return database.session().scalar(select(ErasureRequest.id))


def _actions(app, prefix):
    with app.app_context():
        return list(database.session().scalars(
            select(AuditEvent).where(AuditEvent.action.startswith(prefix)).order_by(AuditEvent.id)))


def test_asking_opens_a_request_that_the_focal_points_are_told_of(app, leaver, client_for):
    request_id = _erase_asking(app, client_for, leaver["person"])
    with app.app_context():
        db = database.session()
        request = db.get(ErasureRequest, request_id)
        assert request.state == "pending" and request.organisation_id == leaver["org"].id
        assert db.get(User, leaver["person"].id).is_erased
        assert db.get(Submission, leaver["item"].id) is not None  # credited until the organisation answers
        told = db.scalars(select(Notification.user_id).where(Notification.event == "erasure_request")).all()
        assert told == [leaver["focal"].id]
    [opened] = _actions(app, "erasure_request.opened")
    assert opened.object_id == request_id and opened.details["reference"].startswith("person #")
    page = client_for(leaver["focal"]).get("/erasure-requests").get_data(as_text=True)
    assert f"/erasure-requests/{request_id}" in page and "Lena" not in page


def test_a_focal_point_agrees_and_the_contributions_are_deleted(app, leaver, client_for):
    request_id = _erase_asking(app, client_for, leaver["person"])
    client = client_for(leaver["focal"])
    page = client.get(f"/erasure-requests/{request_id}")
    assert page.status_code == 200 and "Lesson the leaver wrote" in page.get_data(as_text=True)
    unticked = _post(client, f"/erasure-requests/{request_id}", {"answer": "agree"})
    assert unticked.status_code == 400 and "Tick the box" in unticked.get_data(as_text=True)
    response = _post(client, f"/erasure-requests/{request_id}", {"answer": "agree", "understood": "y"})
    assert response.status_code == 302
    with app.app_context():
        db = database.session()
        assert db.get(Submission, leaver["item"].id) is None
        post = db.get(Post, leaver["post"].id)
        assert post.body_source == "" and post.deleted_at is not None
        assert db.get(ErasureRequest, request_id).state == "agreed"
        assert db.scalars(select(Notification.user_id).where(
            Notification.event == "erasure_request_answered")).all() == [leaver["admin"].id]
    [agreed] = _actions(app, "erasure_request.agreed")
    assert agreed.actor_id == leaver["focal"].id and agreed.details["by"] == "focal_point"
    assert agreed.details["submissions"] == 1 and agreed.details["posts"] == 1
    again = _post(client, f"/erasure-requests/{request_id}", {"answer": "decline"})
    assert again.status_code in (400, 409)
    with app.app_context():
        assert database.session().get(ErasureRequest, request_id).state == "agreed"


def test_a_focal_point_declines_and_the_contributions_stay_credited(app, leaver, client_for):
    request_id = _erase_asking(app, client_for, leaver["person"])
    response = _post(client_for(leaver["focal"]), f"/erasure-requests/{request_id}", {"answer": "decline"})
    assert response.status_code == 302
    with app.app_context():
        assert database.session().get(Submission, leaver["item"].id) is not None
        assert database.session().get(ErasureRequest, request_id).state == "declined"
    assert [e.details["by"] for e in _actions(app, "erasure_request.declined")] == ["focal_point"]


def test_another_organisations_focal_point_gets_the_missing_id_404(app, leaver, client_for, row_counts):
    request_id = _erase_asking(app, client_for, leaver["person"])
    client = client_for(leaver["other_focal"])
    client.get("/erasure-requests")  # the sign-in's flash message is shown once, here
    missing = client.get("/erasure-requests/987654")
    theirs = client.get(f"/erasure-requests/{request_id}")
    assert missing.status_code == theirs.status_code == 404
    assert theirs.get_data(as_text=True) == missing.get_data(as_text=True)
    before = row_counts()
    answer = _post(client, f"/erasure-requests/{request_id}", {"answer": "agree", "understood": "y"},
                   token_page="/erasure-requests")
    assert answer.status_code == 404 and row_counts() == before
    assert f"/erasure-requests/{request_id}" not in client.get("/erasure-requests").get_data(as_text=True)
    with app.app_context():
        assert database.session().get(ErasureRequest, request_id).state == "pending"
    # A colleague who is not a focal point: no list, no request.
    colleague = client_for(leaver["colleague"])
    assert colleague.get("/erasure-requests").status_code == 403
    assert colleague.get(f"/erasure-requests/{request_id}").status_code == 404


def test_a_focal_point_cannot_erase_a_colleague(app, leaver, client_for):
    """Erasure is the person's own right (or an administrator's act on their request), not their organisation's."""
    client = client_for(leaver["focal"])
    response = _post(client, f"/admin/users/{leaver['colleague'].id}/erase",
                     {"reason": "They left", "understood": "y"}, token_page="/account/my-data")
    assert response.status_code in (403, 404)
    with app.test_request_context():
        with pytest.raises(NotFound):
            erasure.erase_person(viewer(app, leaver["focal"]), leaver["colleague"].id)
    with app.app_context():
        assert not database.session().get(User, leaver["colleague"].id).is_erased


def test_an_admin_asks_for_the_person_and_records_the_organisations_answer_with_a_note(app, leaver, client_for):
    admin = client_for(leaver["admin"])
    both = _post(admin, f"/admin/users/{leaver['person'].id}/erase",
                 {"reason": "E-mail request, ref DPO-9", "understood": "y", "delete_contributions": "y",
                  "ask_organisation": "y"}, token_page="/admin/")
    assert both.status_code == 400 and "not both" in both.get_data(as_text=True)
    with app.app_context():
        assert not database.session().get(User, leaver["person"].id).is_erased
    response = _post(admin, f"/admin/users/{leaver['person'].id}/erase",
                     {"reason": "E-mail request, ref DPO-9", "understood": "y", "ask_organisation": "y"},
                     token_page="/admin/")
    assert response.status_code == 302
    with app.app_context():
        request = database.session().scalar(select(ErasureRequest))
        assert request.asked_by_id == leaver["admin"].id and request.reason == "E-mail request, ref DPO-9"
    without_note = _post(admin, f"/erasure-requests/{request.id}", {"answer": "agree", "understood": "y"})
    assert without_note.status_code == 400 and "Say where the organisation gave its answer" in \
        without_note.get_data(as_text=True)
    with_note = _post(admin, f"/erasure-requests/{request.id}",
                      {"answer": "agree", "understood": "y", "note": "Letter of the ministry, 2026-12-01"})
    assert with_note.status_code == 302
    [agreed] = _actions(app, "erasure_request.agreed")
    assert agreed.details["by"] == "administrator" and agreed.details["note"] == "Letter of the ministry, 2026-12-01"
    with app.app_context():
        assert database.session().get(Submission, leaver["item"].id) is None


def test_without_a_focal_point_the_administrators_are_told(app, make_org, make_user, client_for):
    org = make_org(name="Small NGO")
    admin = make_user(roles=("admin",))
    person = make_user(org=org)
    _erase_asking(app, client_for, person)
    with app.app_context():
        assert database.session().scalars(select(Notification.user_id).where(
            Notification.event == "erasure_request")).all() == [admin.id]
