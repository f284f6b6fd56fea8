"""Admins manage people, not content (DESIGN.md §2.6): an admin never adds herself or her own organisation to a
sharing group; every admin change of a group's members is audited and told to the group's owners (in-app, e-mail)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from tests.search_helpers import publish
from tests.smtp_server import body_text
from webapp.db import session
from webapp.models import Notification, SharingGroup


# The focal points of the owner organisation (its colleague without the role and a pending one are not).
OWNERS = ("owner", "co_owner", "reviewer")


@pytest.fixture
def cast(make_org, make_user, make_group):
    admin_office = make_org(name="Admin Office")
    owner_org = make_org(name="Owner Ministry")
    other_org = make_org(name="Elsewhere Institute", stakeholder_type="academia")
    return {
        "admin_office": admin_office,
        "owner_org": owner_org,
        "other_org": other_org,
        "admin": make_user("confidential", roles=("admin",), org=admin_office, name="Ada Admin",
                           email="ada@admin.example"),
        "second_admin": make_user("community", roles=("admin",), org=other_org, name="Bea Backup"),
        "owner": make_user("confidential", roles=("facilitator", "focal_point"), org=owner_org, name="Olga Owner",
                           email="olga@owner.example"),
        "co_owner": make_user("restricted", roles=("facilitator", "focal_point"), org=owner_org, name="Oscar Coowner",
                              email="oscar@owner.example"),
        "owner_colleague": make_user("community", org=owner_org, name="Nora Notowner", email="nora@owner.example"),
        "pending_owner": make_user("community", roles=("facilitator", "focal_point"), org=owner_org, status="pending",
                                   email="pat@owner.example"),
        "outsider": make_user("community", org=other_org, name="Ulrich Outsider"),
        "author": make_user("confidential", org=owner_org, name="Aurelio Author"),
        "reviewer": make_user("confidential", roles=("facilitator", "focal_point"), org=owner_org, name="Renata Reviewer",
                              email="renata@owner.example"),
    }


@pytest.fixture
def group(app, cast):
    from webapp.db import unit_of_work

    with app.test_request_context(), unit_of_work() as db:
        made = SharingGroup(name="Assurance circle", description="", owner_organisation_id=cast["owner_org"].id)
        db.add(made)
        db.flush()
        from webapp.models import Organisation

        made.organisations.append(db.get(Organisation, cast["owner_org"].id))
    return made


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/account"), **data})


def _members(app, group_id):
    with app.app_context():
        stored = session().get(SharingGroup, group_id)
        return [u.id for u in stored.users], [o.id for o in stored.organisations]


def _notifications(app):
    with app.app_context():
        return [(n.user_id, n.event, n.object_kind, n.object_id)
                for n in session().scalars(select(Notification).order_by(Notification.id))]


@pytest.mark.parametrize("how", ["herself", "her organisation"])
def test_an_admin_cannot_add_herself_or_her_organisation(app, cast, group, client_for, row_counts, how):
    secret = publish(app, cast["author"], cast["reviewer"], tier="confidential", group=group,
                     title="Group-limited doctrine")
    client = client_for(cast["admin"])
    assert client.get(f"/archive/{secret.id}").status_code == 404
    url, field, value = {
        "herself": ("users", "user-member", cast["admin"].id),
        "her organisation": ("organisations", "organisation-member", cast["admin_office"].id),
    }[how]
    before, members = row_counts(), _members(app, group.id)
    response = post(client, f"/admin/groups/{group.id}/{url}", **{field: str(value)})
    assert response.status_code == 403
    assert "you cannot add yourself or your own organisation" in response.get_data(as_text=True)
    assert row_counts() == before and _members(app, group.id) == members
    assert client.get(f"/archive/{secret.id}").status_code == 404
    # The admin page does not offer what would be refused.
    page = client.get(f"/admin/groups/{group.id}").get_data(as_text=True)
    assert f'value="{cast["admin"].id}">Ada Admin' not in page
    assert f'value="{cast["admin_office"].id}">Admin Office' not in page


def test_another_admin_may_add_her_and_the_owners_are_told(smtp_app, smtp_server, cast, group, client_for,
                                                          audit_rows):
    app = smtp_app
    second_admin = client_for(cast["second_admin"])
    before = len(audit_rows())
    response = post(second_admin, f"/admin/groups/{group.id}/users",
                    **{"user-member": str(cast["admin"].id)})
    assert response.status_code == 302
    assert _members(app, group.id)[0] == [cast["admin"].id]
    [row] = audit_rows()[before:]
    assert (row.actor_id, row.action, row.object_type, row.object_id, row.details) == (
        cast["second_admin"].id, "group.user_added", "sharing_group", group.id, {"user_id": cast["admin"].id})
    told = [(user_id, event) for user_id, event, kind, object_id in _notifications(app)
            if kind == "sharing_group" and object_id == group.id]
    assert sorted(told) == sorted((cast[name].id, "group_user_added") for name in OWNERS)
    messages = smtp_server.wait_for(3)
    assert sorted(m["To"] for m in messages) == ["olga@owner.example", "oscar@owner.example", "renata@owner.example"]
    body = body_text(smtp_server.to("olga@owner.example")[0])
    assert "Assurance circle" in body and "Ada Admin (Admin Office)" in body and "Bea Backup" in body
    assert f"/groups/{group.id}" in body

    owner = client_for(cast["owner"])
    listing = owner.get("/notifications/").get_data(as_text=True)
    assert "An administrator added a person to your sharing group" in listing and "Assurance circle" in listing
    page = owner.get(f"/groups/{group.id}")
    assert page.status_code == 200 and "Ada Admin (Admin Office)" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "data", "action", "event"),
    [
        ("users", {"user-member": "OUTSIDER"}, "group.user_added", "group_user_added"),
        ("users/OUTSIDER/remove", {}, "group.user_removed", "group_user_removed"),
        ("organisations", {"organisation-member": "OTHER_ORG"}, "group.organisation_added", "group_organisation_added"),
        ("organisations/OWNER_ORG/remove", {}, "group.organisation_removed", "group_organisation_removed"),
    ],
)
def test_every_membership_change_is_audited_and_told_to_the_owners(smtp_app, smtp_server, cast, group, client_for,
                                                                  audit_rows, path, data, action, event):
    app = smtp_app
    admin = client_for(cast["admin"])
    if "remove" in path and "users" in path:
        assert post(admin, f"/admin/groups/{group.id}/users", **{"user-member": str(cast["outsider"].id)}).status_code == 302
        smtp_server.wait_for(3)
        smtp_server.messages.clear()
    ids = {"OUTSIDER": cast["outsider"].id, "OTHER_ORG": cast["other_org"].id, "OWNER_ORG": cast["owner_org"].id}
    for name, ident in ids.items():
        path = path.replace(name, str(ident))
        data = {key: value.replace(name, str(ident)) for key, value in data.items()}
    before, notified = len(audit_rows()), len(_notifications(app))
    assert post(admin, f"/admin/groups/{group.id}/{path}", **data).status_code == 302
    assert [r.action for r in audit_rows()[before:]] == [action]
    new = _notifications(app)[notified:]
    assert sorted(n[0] for n in new) == sorted(cast[name].id for name in OWNERS)
    assert {n[1:] for n in new} == {(event, "sharing_group", group.id)}
    assert len(smtp_server.wait_for(3)) == 3
    # Not owners: a colleague who is no focal point, a pending focal point, the acting admin.
    for user in ("owner_colleague", "pending_owner", "admin"):
        assert smtp_server.to(user_email := cast[user].email) == [], user_email


def test_a_group_without_owner_is_still_audited(app, cast, make_group, client_for, audit_rows):
    ownerless = make_group(name="Ownerless")
    admin = client_for(cast["admin"])
    before = len(audit_rows())
    assert post(admin, f"/admin/groups/{ownerless.id}/users",
                **{"user-member": str(cast["outsider"].id)}).status_code == 302
    assert [r.action for r in audit_rows()[before:]] == ["group.user_added"]
    assert [n for n in _notifications(app) if n[2] == "sharing_group"] == []
    page = admin.get(f"/admin/groups/{ownerless.id}").get_data(as_text=True)
    assert "No owner organisation" in page


def test_the_owner_is_chosen_at_creation_and_shown(app, cast, client_for, audit_rows, row_counts):
    admin = client_for(cast["admin"])
    assert f'value="{cast["owner_org"].id}">Owner Ministry' in admin.get("/admin/groups").get_data(as_text=True)
    before = len(audit_rows())
    response = post(admin, "/admin/groups", name="Test circle", description="", owner=str(cast["owner_org"].id))
    assert response.status_code == 302
    [row] = audit_rows()[before:]
    assert row.action == "group.created" and row.details["owner_organisation_id"] == cast["owner_org"].id
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Owner: Owner Ministry" in page
    assert client_for(cast["owner"]).get(response.headers["Location"].replace("/admin", "")).status_code == 200


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "9" * 40, "999999", "UNVERIFIED"])
def test_a_bad_owner_is_refused(app, cast, make_org, client_for, row_counts, value):
    if value == "UNVERIFIED":
        value = str(make_org(verified=False).id)
    admin = client_for(cast["admin"])
    before = row_counts()
    response = post(admin, "/admin/groups", name="Bad owner circle", description="", owner=value)
    assert response.status_code == 400
    assert "Choose the owner from the list of verified organisations." in response.get_data(as_text=True)
    assert row_counts() == before
