"""Role × tier matrix over the data-rights routes (issue 14): privacy notice, my data, exports, erasure."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from tests.test_foundation_access import ROLES, people  # noqa: F401  (the same people fixture)
from webapp import db as database
from webapp.models import DataExport, User

COVERED_ENDPOINTS = {
    "data_rights.privacy", "data_rights.my_data", "data_rights.request_export", "data_rights.download_export",
    "data_rights.erase_my_account", "data_rights.erase_person", "data_rights.delete_submission",
    "data_rights.delete_post_on_request", "data_rights.set_review_date", "data_rights.lapsed",
    "data_rights.erasure_requests_list", "data_rights.erasure_request",
}


def _expected_get(endpoint: str, role: str) -> int:
    if endpoint == "data_rights.privacy":
        return 200
    if role == "anonymous":
        return 302
    if endpoint == "data_rights.erase_person":
        return 200 if role == "admin" else 403
    if endpoint == "data_rights.lapsed":
        return 200 if role == "admin" else 403
    return 200


@pytest.mark.parametrize("role", ROLES)
def test_get_matrix(role, people, client_for):  # noqa: F811
    client = client_for(people[role])
    target = people["community"]
    for endpoint, url in {"data_rights.privacy": "/privacy", "data_rights.my_data": "/account/my-data",
                          "data_rights.erase_my_account": "/account/erase",
                          "data_rights.erase_person": f"/admin/users/{target.id}/erase",
                          "data_rights.lapsed": "/archive/review-lapsed"}.items():
        response = client.get(url)
        assert response.status_code == _expected_get(endpoint, role), (role, endpoint, response.status_code)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "community"])
def test_nobody_but_its_person_gets_an_export(role, people, client_for, app):  # noqa: F811
    owner = client_for(people["community"])
    assert owner.post("/account/my-data/export",
                      data={"csrf_token": csrf_token(owner, "/account/my-data")}).status_code == 302
    with app.app_context():
        export_id = database.session().scalar(select(DataExport.id))
    assert owner.get(f"/account/my-data/export/{export_id}").status_code == 200
    response = client_for(people[role]).get(f"/account/my-data/export/{export_id}")
    assert response.status_code == (302 if role == "anonymous" else 404), role
    if role != "anonymous":
        page = client_for(people[role]).get("/account/my-data").get_data(as_text=True)
        assert f"/account/my-data/export/{export_id}" not in page


@pytest.mark.parametrize("role", ROLES)
def test_only_an_admin_erases_someone_else(role, people, client_for, app):  # noqa: F811
    client = client_for(people[role])
    target = people["restricted"]
    token = csrf_token(client, "/account/my-data" if role != "anonymous" else "/sign-in")
    response = client.post(f"/admin/users/{target.id}/erase",
                           data={"reason": "Request ref 1", "understood": "y", "csrf_token": token})
    expected = {"anonymous": 302, "admin": 302}.get(role, 403)
    assert response.status_code == expected, (role, response.status_code)
    with app.app_context():
        assert database.session().get(User, target.id).is_erased == (role == "admin")


def test_the_privacy_notice_states_the_configured_periods_and_is_in_the_footer(app, client):
    app.config["RETENTION_AUDIT_ADDRESS_DAYS"] = 61
    app.config["DATA_EXPORT_DAYS"] = 3
    page = client.get("/privacy").get_data(as_text=True)
    assert "61 days" in page and "3 days" in page and "Who to ask" in page
    assert 'href="/privacy"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_delete_pages_matrix(role, people, client_for, app):  # noqa: F811
    """The confirmation pages: the originator and (on request) an admin; others are refused; missing → 404."""
    from tests.dialogue_helpers import make_post, make_thread
    from tests.search_helpers import publish

    item = publish(app, people["community"], people["facilitator"], title="Matrix lesson")
    thread = make_thread(app, people["community"], title="Matrix thread", body="Opening")
    post = make_post(app, people["community"], thread, body="Matrix post")
    client = client_for(people[role])
    own = role == "community"
    expected_item = 302 if role == "anonymous" else 200 if own or role == "admin" else 403
    assert client.get(f"/archive/{item.id}/delete").status_code == expected_item, role
    expected_post = {"anonymous": 302, "admin": 200}.get(role, 403)
    assert client.get(f"/admin/posts/{post.id}/delete").status_code == expected_post, role
    if role not in ("anonymous",):
        assert client.get("/archive/999999/delete").status_code == 404
    token = csrf_token(client, "/sign-in" if role == "anonymous" else "/account/my-data")
    soon = (date.today() + timedelta(days=100)).isoformat()
    answer = client.post(f"/archive/{item.id}/review-date", data={"review_on": soon, "csrf_token": token})
    assert answer.status_code == (302 if role in ("anonymous", "community") else 403), role


@pytest.mark.parametrize("role", ROLES + ["focal-home", "focal-other"])
def test_erasure_requests_matrix(role, people, client_for, app, make_user):  # noqa: F811
    """Only the erased person's organisation's focal points and admins see or answer a request; everyone else gets
    the list refused and the request as a missing id (404), and an answer changes nothing."""
    from webapp.models import ErasureRequest, Organisation

    with app.app_context():
        home = database.session().get(Organisation, people["community"].organisation_id)
        other = database.session().scalar(select(Organisation).where(Organisation.name == "Other company"))
    extra = {"focal-home": make_user(org=home, roles=("focal_point",)),
             "focal-other": make_user(org=other, roles=("focal_point",))}
    leaver = make_user(org=home)
    owner = client_for(leaver)
    assert owner.post("/account/erase", data={"password": "orbit lantern quietly harvest", "understood": "y",
                                              "ask_organisation": "y",
                                              "csrf_token": csrf_token(owner, "/account/erase")}).status_code == 302
    with app.app_context():
        request_id = database.session().scalar(select(ErasureRequest.id))
    client = client_for(extra.get(role) or people[role])
    answers = role in ("admin", "focal-home")
    listing = client.get("/erasure-requests")
    page = client.get(f"/erasure-requests/{request_id}")
    if role == "anonymous":
        assert listing.status_code == page.status_code == 302
        return
    assert listing.status_code == (200 if answers or role == "focal-other" else 403), role
    assert page.status_code == (200 if answers else 404), role
    assert client.get("/erasure-requests/999999").status_code == 404
    token = csrf_token(client, "/account/my-data")
    client.post(f"/erasure-requests/{request_id}", data={"answer": "decline", "note": "Written answer ref 3",
                                                         "csrf_token": token})
    with app.app_context():
        state = database.session().get(ErasureRequest, request_id).state
    assert state == ("declined" if answers else "pending"), role
