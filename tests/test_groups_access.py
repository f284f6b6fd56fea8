"""Role matrix of a sharing group's page: its owners and its members (in it themselves or through their
organisation) read its roster, only owners change it; for everyone else, admins included, it does not exist (404,
the body of a missing id). Admins manage every group from the admin pages (test_admin_groups.py)."""
from __future__ import annotations

import pytest

from tests.conftest import without_csrf
from webapp.db import unit_of_work
from webapp.models import SharingGroup, User

COVERED_ENDPOINTS = {"groups.show", "groups.index"}

ROLES = ["anonymous", "owner", "pending owner", "colleague without the role", "facilitator who is no focal point",
         "group member", "member through the organisation", "pending group member", "admin",
         "facilitator elsewhere", "focal point elsewhere"]
READERS = {"owner", "group member", "member through the organisation"}


@pytest.fixture
def scene(app, make_org, make_user):
    from webapp.models import Organisation

    owner_org, elsewhere = make_org(name="Owner Ministry"), make_org(name="Elsewhere Institute")
    partner = make_org(name="Partner Lab")
    member = make_user("community", org=elsewhere, name="Gemma Groupmember")
    pending_member = make_user("community", org=elsewhere, status="pending")
    with app.test_request_context(), unit_of_work() as db:
        group = SharingGroup(name="Assurance circle", description="", owner_organisation_id=owner_org.id)
        db.add(group)
        db.flush()
        group.users.append(db.get(User, member.id))
        group.users.append(db.get(User, pending_member.id))
        group.organisations.append(db.get(Organisation, partner.id))
    people = {
        "anonymous": None,
        "owner": make_user("community", roles=("facilitator", "focal_point"), org=owner_org),
        "pending owner": make_user("community", roles=("facilitator", "focal_point"), org=owner_org, status="pending"),
        "colleague without the role": make_user("confidential", org=owner_org),
        "facilitator who is no focal point": make_user("confidential", roles=("facilitator",), org=owner_org),
        "group member": member,
        "member through the organisation": make_user("community", org=partner),
        "pending group member": pending_member,
        "admin": make_user("confidential", roles=("admin",), org=elsewhere),
        "facilitator elsewhere": make_user("confidential", roles=("facilitator",), org=elsewhere),
        "focal point elsewhere": make_user("confidential", roles=("focal_point",), org=elsewhere),
    }
    return group, people


@pytest.mark.parametrize("role", ROLES)
def test_members_and_owners_read_the_group_page(scene, client_for, role):
    group, people = scene
    client = client_for(people[role])
    client.get("/")  # the sign-in message is shown once, here
    response = client.get(f"/groups/{group.id}")
    if role == "anonymous":
        assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
        return
    listing = client.get("/groups/").get_data(as_text=True)
    if role in READERS:
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Gemma Groupmember" in page and "Partner Lab" in page and "Owner Ministry" in page  # the roster
        assert ("Add the person" in page) is (role == "owner")  # only owners change it here
        assert "/remove" not in page or role == "owner"
        assert client.get("/groups/999999").status_code == 404
        assert f"/groups/{group.id}" in listing
        return
    assert "Assurance circle" not in listing
    missing = client.get("/groups/999999")
    assert response.status_code == missing.status_code == 404
    assert without_csrf(response.get_data()) == without_csrf(missing.get_data())
    assert "Assurance circle" not in response.get_data(as_text=True)


def test_policy_clause_and_predicate_agree(app, scene):
    from sqlalchemy import select

    from tests.dialogue_helpers import viewer
    from webapp import policy
    from webapp.db import session

    group, people = scene
    for role, user in people.items():
        actor = viewer(app, user)
        with app.test_request_context():
            stored = session().get(SharingGroup, group.id)
            in_sql = session().scalar(policy.visible(select(SharingGroup.id).where(SharingGroup.id == group.id),
                                                     actor, SharingGroup)) is not None
            assert in_sql is policy.can_view(actor, stored) is (role in READERS), role
