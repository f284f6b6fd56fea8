"""Role matrix over the language switch: anyone may choose a language; only the person's own profile changes."""
from __future__ import annotations

import pytest

from webapp.models import User

COVERED_ENDPOINTS = {"language.switch", "language.switch_for_visitor"}

ROLES = ["anonymous", "pending", "community", "confidential", "facilitator", "admin", "admin_no_2fa"]


@pytest.fixture
def people(make_org, make_user):
    home = make_org()
    return {
        "anonymous": None,
        "pending": make_user(org=home, status="pending"),
        "community": make_user(org=home),
        "confidential": make_user(org=home, clearance="confidential"),
        "facilitator": make_user(org=home, roles=("facilitator",)),
        "admin": make_user(org=home, roles=("admin",)),
        "admin_no_2fa": make_user(org=home, roles=("admin",), second_factor=False),
    }


def _locales(app) -> dict[int, str | None]:
    with app.app_context():
        from sqlalchemy import select

        from webapp.db import session

        return {user.id: user.locale for user in session().scalars(select(User))}


@pytest.mark.parametrize("role", ROLES)
def test_switch_matrix(role, people, client_for, form_token, app):
    person = people[role]
    client = client_for(person)
    before = _locales(app)
    visitor_switch = client.get("/language?lang=es&next=/about")
    assert visitor_switch.status_code == 302 and "reaim_lang=es" in visitor_switch.headers["Set-Cookie"]
    assert _locales(app) == before  # a GET changes no one's profile, not even the signed-in person's
    token = form_token(client, "/sign-in" if person is None else "/about")  # a visitor's page has no token
    response = client.post("/language", data={"lang": "ru", "next": "/about", "csrf_token": token})
    assert response.status_code == 303
    after = _locales(app)
    expected = dict(before)
    if person is not None:
        expected[person.id] = "ru"  # their own profile, and nobody else's
    assert after == expected
