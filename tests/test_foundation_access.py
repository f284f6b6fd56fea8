"""Role × tier matrix over every foundation route (main, auth, paragraphs, admin)."""
from __future__ import annotations

import pytest

from tests.conftest import csrf_token
from webapp.services import retention

COVERED_ENDPOINTS = {
    "main.index", "main.about", "main.terms", "main.conduct", "main.accessibility", "main.contact",
    "main.markdown_help", "paragraphs.index", "paragraphs.show",
    "auth.register", "auth.sign_in", "auth.sign_out", "auth.account", "auth.change_password",
    "admin.index", "admin.organisations", "admin.verify_organisation", "admin.users", "admin.user",
    "admin.verify_user", "admin.set_roles", "admin.set_clearance", "admin.deactivate", "admin.reactivate",
    "admin.groups", "admin.group", "admin.add_group_user", "admin.remove_group_user",
    "admin.add_group_organisation", "admin.remove_group_organisation", "admin.audit",
    "health.health", "admin.mail_queue", "admin.retry_mail",
    "admin.send_password_reset", "admin.reset_second_factor",
    "auth.check_mailbox", "auth.second_factor", "auth.forgot_password", "auth.reset_password", "auth.verify_email",
    "auth.update_profile", "auth.change_email", "auth.resend_verification", "auth.two_factor",
    "auth.start_two_factor", "auth.confirm_two_factor", "auth.sessions", "auth.end_session",
    "auth.end_other_sessions", "auth.security",
}

ROLES = ["anonymous", "pending", "community", "restricted", "confidential-in-group", "confidential-other-org",
         "facilitator", "admin", "admin_no_2fa"]

MISSING = 999_999


@pytest.fixture
def people(make_org, make_user, make_group):
    home, other = make_org(name="Home ministry"), make_org(name="Other company", stakeholder_type="private_sector")
    group = make_group(organisations=[home])
    return {
        "anonymous": None,
        "pending": make_user(org=home, status="pending", clearance="confidential"),
        "community": make_user(org=home, clearance="community"),
        "restricted": make_user(org=home, clearance="restricted"),
        "confidential-in-group": make_user(org=home, clearance="confidential", groups=(group,)),
        "confidential-other-org": make_user(org=other, clearance="confidential"),
        "facilitator": make_user(org=home, roles=("facilitator",), clearance="restricted"),
        "admin": make_user(org=home, roles=("admin",), clearance="community"),
        # DESIGN §3.12: an admin without a second factor acts as a member
        "admin_no_2fa": make_user(org=home, roles=("admin",), clearance="community", second_factor=False),
    }


def _expected_get(endpoint: str, role: str) -> int:
    if endpoint.startswith("admin."):
        return {"anonymous": 302, "admin": 200}.get(role, 403)
    if endpoint in {"auth.register", "auth.sign_in"}:
        return 200 if role == "anonymous" else 302
    if endpoint in {"auth.account", "auth.two_factor", "auth.sessions", "auth.security"}:
        return 302 if role == "anonymous" else 200
    if endpoint == "auth.second_factor":
        return 302  # no password step in progress: back to sign-in
    if endpoint in {"auth.reset_password", "auth.verify_email"}:
        return 404  # a forged link
    return 200


GET_ROUTES = {
    "main.index": "/", "main.about": "/about", "main.terms": "/terms", "main.conduct": "/code-of-conduct",
    "main.accessibility": "/accessibility", "main.contact": "/contact", "main.markdown_help": "/help/markdown",
    "paragraphs.index": "/paragraphs/", "paragraphs.show": "/paragraphs/14",
    "auth.register": "/register", "auth.sign_in": "/sign-in", "auth.account": "/account",
    "admin.index": "/admin/", "admin.organisations": "/admin/organisations", "admin.users": "/admin/users",
    "admin.user": "/admin/users/{user}", "admin.groups": "/admin/groups", "admin.group": "/admin/groups/{group}",
    "admin.audit": "/admin/audit", "health.health": "/api/health", "admin.mail_queue": "/admin/mail",
    "auth.check_mailbox": "/register/check-your-mailbox", "auth.second_factor": "/sign-in/second-factor",
    "auth.forgot_password": "/password/forgot", "auth.reset_password": "/password/reset/forged",
    "auth.verify_email": "/email/confirm/forged", "auth.two_factor": "/account/two-factor",
    "auth.sessions": "/account/sessions", "auth.security": "/account/security",
}


@pytest.mark.parametrize("role", ROLES)
def test_get_matrix(role, people, client_for, make_group):
    client = client_for(people[role])
    group = make_group()
    target = people["community"]
    for endpoint, template in GET_ROUTES.items():
        url = template.format(user=target.id, group=group.id)
        response = client.get(url)
        assert response.status_code == _expected_get(endpoint, role), (role, endpoint, response.status_code)
        if response.status_code == 302 and role == "anonymous":
            assert response.headers["Location"].startswith("/sign-in")
        if response.status_code == 403:
            assert "This page is for administrators." in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLES)
def test_health_is_the_same_for_every_role(role, people, client_for):
    """/api/health carries no content and nothing that depends on who asks (monitors are anonymous)."""
    body = client_for(people[role]).get("/api/health").get_json()
    assert body.pop("retention") == dict.fromkeys(retention.RETENTION_JOBS)  # when each ran: none yet, for all
    assert body == {"status": "ok", "database": {"status": "ok"},
                    "rate_limits": {"status": "disabled", "storage": "database"},
                    "jobs": {"status": "ok", "backend": "immediate"},
                    "search": {"status": "ok", "problems": []}}


# POSTs with a valid CSRF token but deliberately harmless targets (missing ids, empty forms):
# what matters is who gets past the guard.
POST_ROUTES = {
    "admin.verify_organisation": (f"/admin/organisations/{MISSING}/verify", {}),
    "admin.verify_user": (f"/admin/users/{MISSING}/verify", {}),
    "admin.set_roles": (f"/admin/users/{MISSING}/roles", {}),
    "admin.set_clearance": (f"/admin/users/{MISSING}/clearance", {"clearance": "public"}),
    "admin.deactivate": (f"/admin/users/{MISSING}/deactivate", {}),
    "admin.reactivate": (f"/admin/users/{MISSING}/reactivate", {}),
    "admin.groups": ("/admin/groups", {"name": ""}),
    "admin.add_group_user": (f"/admin/groups/{MISSING}/users", {"user-member": "1"}),
    "admin.remove_group_user": (f"/admin/groups/{MISSING}/users/1/remove", {}),
    "admin.add_group_organisation": (f"/admin/groups/{MISSING}/organisations", {"organisation-member": "1"}),
    "admin.remove_group_organisation": (f"/admin/groups/{MISSING}/organisations/1/remove", {}),
    "admin.retry_mail": (f"/admin/mail/{MISSING}/retry", {}),
    "admin.send_password_reset": (f"/admin/users/{MISSING}/password-reset", {}),
    "admin.reset_second_factor": (f"/admin/users/{MISSING}/second-factor/reset", {}),
    "auth.change_password": ("/account/password", {}),
    "auth.update_profile": ("/account/profile", {}),
    "auth.change_email": ("/account/email", {}),
    "auth.resend_verification": ("/account/email/resend", {}),
    "auth.confirm_two_factor": ("/account/two-factor", {}),
    "auth.end_session": (f"/account/sessions/{MISSING}/end", {}),
    "auth.second_factor": ("/sign-in/second-factor", {}),
    "auth.forgot_password": ("/password/forgot", {}),
    "auth.reset_password": ("/password/reset/forged", {}),
    "auth.verify_email": ("/email/confirm/forged", {}),
    "auth.sign_in": ("/sign-in", {}),
    "auth.register": ("/register", {}),
}
SIGNED_IN_POSTS = {  # what a signed-in person gets for an empty form or a missing id
    "auth.change_password": 400, "auth.update_profile": 400, "auth.change_email": 400,
    "auth.resend_verification": 409, "auth.confirm_two_factor": 400, "auth.end_session": 404,
}


def _expected_post(endpoint: str, role: str) -> int:
    if endpoint.startswith("admin."):
        if role == "anonymous":
            return 302
        if role != "admin":
            return 403
        return 400 if endpoint == "admin.groups" else 404
    if endpoint in SIGNED_IN_POSTS:
        return 302 if role == "anonymous" else SIGNED_IN_POSTS[endpoint]
    if endpoint == "auth.second_factor":
        return 302  # no password step in progress
    if endpoint == "auth.forgot_password":
        return 400
    if endpoint in {"auth.reset_password", "auth.verify_email"}:
        return 404
    return 400 if role == "anonymous" else 302  # sign-in and register: signed-in users are sent home


@pytest.mark.parametrize("role", ROLES)
def test_post_matrix(role, people, client_for, row_counts):
    client = client_for(people[role])
    token = csrf_token(client, "/sign-in" if role == "anonymous" else "/account")
    before = row_counts()
    for endpoint, (url, data) in POST_ROUTES.items():
        response = client.post(url, data={"csrf_token": token, **data})
        assert response.status_code == _expected_post(endpoint, role), (role, endpoint, response.status_code)
    assert row_counts() == before
    # these two write (a new pending secret; an audit row) but only about the person themselves
    for url in ("/account/two-factor/start", "/account/sessions/end-others"):
        response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 302, (role, url)
        assert response.headers["Location"].startswith("/sign-in" if role == "anonymous" else "/account/")
    response = client.post("/sign-out", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == ("/sign-in?next=%2Fsign-out" if role == "anonymous" else "/")
    assert client.get("/account").status_code == 302


@pytest.mark.parametrize("role", ROLES)
def test_navigation_and_labels_by_role(role, people, client_for):
    client = client_for(people[role])
    home = client.get("/").get_data(as_text=True)
    assert ('href="/admin/"' in home) == (role == "admin")
    assert ('href="/paragraphs/"' in home) and 'href="/about"' in home
    assert ("Your account is waiting for verification" in home) == (role == "pending")
    if role != "anonymous":
        account = client.get("/account").get_data(as_text=True)
        tlp = {"community": "TLP:GREEN", "restricted": "TLP:AMBER", "confidential": "TLP:RED"}
        clearance = people[role].clearance.code
        assert tlp.get(clearance, "TLP:CLEAR") in account
