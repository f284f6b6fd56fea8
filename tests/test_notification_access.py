"""Role matrix over the notification-settings routes and the refusal of registrations."""
from __future__ import annotations

import pytest

from tests.conftest import csrf_token

COVERED_ENDPOINTS = {
    "notification_settings.preferences", "notification_settings.unsubscribe",
    "notification_settings.unsubscribe_confirmed", "admin.refuse_user",
}

ROLES = ["anonymous", "pending", "community", "facilitator", "admin"]
MISSING = 999_999


@pytest.fixture
def people(make_org, make_user):
    home = make_org(name="Home ministry")
    return {
        "anonymous": None,
        "pending": make_user(org=home, status="pending"),
        "community": make_user(org=home),
        "facilitator": make_user(org=home, roles=("facilitator",), clearance="restricted"),
        "admin": make_user(org=home, roles=("admin",)),
    }


@pytest.mark.parametrize("role", ROLES)
def test_matrix(role, people, client_for, row_counts):
    client = client_for(people[role])
    settings = client.get("/account/notifications")
    assert settings.status_code == (302 if role == "anonymous" else 200)
    token = csrf_token(client, "/sign-in" if role == "anonymous" else "/account/notifications")
    before = row_counts()
    # A forged unsubscribe token: the same clear 400 for everyone, signed in or not.
    assert client.get("/unsubscribe/forged").status_code == 400
    assert client.post("/unsubscribe/forged").status_code == 400
    # An empty settings form: refused (every kind needs a choice), nothing stored.
    assert client.post("/account/notifications", data={"csrf_token": token}).status_code == (
        302 if role == "anonymous" else 400)
    refuse = client.post(f"/admin/users/{MISSING}/refuse", data={"csrf_token": token, "reason": "Not known here"})
    assert refuse.status_code == {"anonymous": 302, "admin": 404}.get(role, 403)
    assert row_counts() == before
