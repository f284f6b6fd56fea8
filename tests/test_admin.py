"""Administration: verification, roles, clearance, sharing groups, deactivation — every action audited once."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from tests.routes import concrete_urls
from webapp.db import session, unit_of_work
from webapp.models import AccountStatus, Organisation, SharingGroup, Tier, User
from webapp.services.audit import record


@pytest.fixture
def admin(make_user):
    return make_user(roles=("admin",), clearance="restricted", name="Ada Admin")


@pytest.fixture
def admin_client(admin, client_for):
    return client_for(admin)


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/account"), **data})


def _text(response) -> str:
    return response.get_data(as_text=True)


def _load(app, model, ident):
    with app.app_context():
        obj = session().get(model, ident)
        if model is SharingGroup:
            obj = (obj, [u.id for u in obj.users], [o.id for o in obj.organisations])
        return obj


def _one_audit_row(audit_rows, before: int, *, actor, action, object_type, object_id):
    rows = audit_rows()[before:]
    assert len(rows) == 1, [r.action for r in rows]
    row = rows[0]
    assert (row.actor_id, row.action, row.object_type, row.object_id) == (actor.id, action, object_type, object_id)
    assert row.ip == "127.0.0.1"
    assert row.occurred_at is not None
    return row


def _refused(client, url, row_counts, status, message, **data):
    before = row_counts()
    response = post(client, url, **data)
    assert response.status_code == status, _text(response)[:1500]
    assert message in _text(response)
    assert row_counts() == before
    return response


# ------------------------------------------------------------------ verification


def test_verify_organisation(app, admin, admin_client, make_org, audit_rows, row_counts):
    org = make_org(verified=False)
    before = len(audit_rows())
    response = post(admin_client, f"/admin/organisations/{org.id}/verify", next="/admin/")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    assert _load(app, Organisation, org.id).verified is True
    _one_audit_row(audit_rows, before, actor=admin, action="organisation.verified", object_type="organisation",
                   object_id=org.id)
    _refused(admin_client, f"/admin/organisations/{org.id}/verify", row_counts, 409, "already verified")


def test_verify_organisation_ignores_offsite_next(admin_client, make_org):
    org = make_org(verified=False)
    response = post(admin_client, f"/admin/organisations/{org.id}/verify", next="//evil.example")
    assert response.headers["Location"] == "/admin/organisations"


def test_verify_user(app, admin, admin_client, make_user, audit_rows, row_counts):
    user = make_user(status="pending")
    before = len(audit_rows())
    assert post(admin_client, f"/admin/users/{user.id}/verify").status_code == 302
    assert _load(app, User, user.id).status is AccountStatus.ACTIVE
    _one_audit_row(audit_rows, before, actor=admin, action="user.verified", object_type="user", object_id=user.id)
    _refused(admin_client, f"/admin/users/{user.id}/verify", row_counts, 409, "Only pending accounts")


def test_pending_lists_on_admin_home(admin_client, make_user, make_org):
    org = make_org(verified=False, name="Pending Org Name")
    make_user(status="pending", name="Pending Person", org=org)
    page = _text(admin_client.get("/admin/"))
    assert "Pending Org Name" in page and "Pending Person" in page


# ------------------------------------------------------------------ roles and clearance


def test_set_roles(app, admin, admin_client, make_user, audit_rows):
    user = make_user()
    before = len(audit_rows())
    assert post(admin_client, f"/admin/users/{user.id}/roles", facilitator="y").status_code == 302
    stored = _load(app, User, user.id)
    assert stored.is_facilitator and not stored.is_admin
    row = _one_audit_row(audit_rows, before, actor=admin, action="user.roles_changed", object_type="user",
                         object_id=user.id)
    assert row.details == {"before": ["member"], "after": ["member", "facilitator"]}


def test_admin_cannot_remove_own_admin_role(app, admin, admin_client, row_counts):
    _refused(admin_client, f"/admin/users/{admin.id}/roles", row_counts, 403, "cannot remove your own admin role",
             facilitator="y")
    assert _load(app, User, admin.id).is_admin


def test_set_clearance(app, admin, admin_client, make_user, audit_rows):
    user = make_user()
    before = len(audit_rows())
    assert post(admin_client, f"/admin/users/{user.id}/clearance", clearance="confidential").status_code == 302
    assert _load(app, User, user.id).clearance is Tier.CONFIDENTIAL
    row = _one_audit_row(audit_rows, before, actor=admin, action="user.clearance_changed", object_type="user",
                         object_id=user.id)
    assert row.details == {"before": "community", "after": "confidential"}


@pytest.mark.parametrize("value", ["top-secret", "", "4", "CONFIDENTIAL ", "public'--"])
def test_forged_clearance_is_refused(app, admin_client, make_user, row_counts, value):
    user = make_user()
    _refused(admin_client, f"/admin/users/{user.id}/clearance", row_counts, 400, "Clearance: ",
             clearance=value)
    assert _load(app, User, user.id).clearance is Tier.COMMUNITY


def test_admin_cannot_raise_own_clearance_but_can_lower_it(app, admin, admin_client, row_counts, audit_rows):
    _refused(admin_client, f"/admin/users/{admin.id}/clearance", row_counts, 403, "cannot raise your own clearance",
             clearance="confidential")
    assert _load(app, User, admin.id).clearance is Tier.RESTRICTED
    before = len(audit_rows())
    assert post(admin_client, f"/admin/users/{admin.id}/clearance", clearance="community").status_code == 302
    assert _load(app, User, admin.id).clearance is Tier.COMMUNITY
    _one_audit_row(audit_rows, before, actor=admin, action="user.clearance_changed", object_type="user",
                   object_id=admin.id)


# ------------------------------------------------------------------ deactivation


def test_deactivate_and_reactivate(app, admin, admin_client, make_user, audit_rows, row_counts):
    user = make_user()
    before = len(audit_rows())
    assert post(admin_client, f"/admin/users/{user.id}/deactivate").status_code == 302
    assert _load(app, User, user.id).status is AccountStatus.DEACTIVATED
    _one_audit_row(audit_rows, before, actor=admin, action="user.deactivated", object_type="user", object_id=user.id)
    _refused(admin_client, f"/admin/users/{user.id}/deactivate", row_counts, 409, "already deactivated")

    before = len(audit_rows())
    assert post(admin_client, f"/admin/users/{user.id}/reactivate").status_code == 302
    assert _load(app, User, user.id).status is AccountStatus.ACTIVE
    _one_audit_row(audit_rows, before, actor=admin, action="user.reactivated", object_type="user", object_id=user.id)
    _refused(admin_client, f"/admin/users/{user.id}/reactivate", row_counts, 409, "Only deactivated accounts")


def test_admin_cannot_deactivate_self(app, admin, admin_client, row_counts):
    _refused(admin_client, f"/admin/users/{admin.id}/deactivate", row_counts, 403, "cannot deactivate your own account")
    assert _load(app, User, admin.id).status is AccountStatus.ACTIVE


# ------------------------------------------------------------------ sharing groups


def test_create_group(app, admin, admin_client, audit_rows, row_counts):
    before = len(audit_rows())
    response = post(admin_client, "/admin/groups", name="Assurance circle", description="T&E practice")
    assert response.status_code == 302
    with app.app_context():
        group = session().scalar(select(SharingGroup).where(SharingGroup.name == "Assurance circle"))
    assert response.headers["Location"] == f"/admin/groups/{group.id}"
    _one_audit_row(audit_rows, before, actor=admin, action="group.created", object_type="sharing_group",
                   object_id=group.id)
    _refused(admin_client, "/admin/groups", row_counts, 409, "already exists", name="ASSURANCE circle")
    _refused(admin_client, "/admin/groups", row_counts, 400, "This field is required.", name="")
    _refused(admin_client, "/admin/groups", row_counts, 400, "Field cannot be longer than 120", name="x" * 121)


def test_group_members(app, admin, admin_client, make_group, make_user, make_org, audit_rows, row_counts):
    group = make_group()
    user, org = make_user(), make_org()
    base = f"/admin/groups/{group.id}"
    assert str(user.name) in _text(admin_client.get(base))

    before = len(audit_rows())
    assert post(admin_client, base + "/users", **{"user-member": str(user.id)}).status_code == 302
    row = _one_audit_row(audit_rows, before, actor=admin, action="group.user_added", object_type="sharing_group",
                         object_id=group.id)
    assert row.details == {"user_id": user.id}
    _refused(admin_client, base + "/users", row_counts, 409, "already in the group", **{"user-member": str(user.id)})

    before = len(audit_rows())
    assert post(admin_client, base + "/organisations", **{"organisation-member": str(org.id)}).status_code == 302
    _one_audit_row(audit_rows, before, actor=admin, action="group.organisation_added", object_type="sharing_group",
                   object_id=group.id)
    _refused(admin_client, base + "/organisations", row_counts, 409, "already in the group",
             **{"organisation-member": str(org.id)})
    _, user_ids, org_ids = _load(app, SharingGroup, group.id)
    assert user_ids == [user.id] and org_ids == [org.id]

    before = len(audit_rows())
    assert post(admin_client, f"{base}/users/{user.id}/remove").status_code == 302
    _one_audit_row(audit_rows, before, actor=admin, action="group.user_removed", object_type="sharing_group",
                   object_id=group.id)
    _refused(admin_client, f"{base}/users/{user.id}/remove", row_counts, 409, "not in the group")

    before = len(audit_rows())
    assert post(admin_client, f"{base}/organisations/{org.id}/remove").status_code == 302
    _one_audit_row(audit_rows, before, actor=admin, action="group.organisation_removed",
                   object_type="sharing_group", object_id=group.id)
    _refused(admin_client, f"{base}/organisations/{org.id}/remove", row_counts, 409, "not in the group")
    _, user_ids, org_ids = _load(app, SharingGroup, group.id)
    assert user_ids == [] and org_ids == []


@pytest.mark.parametrize("value", ["", "abc", "1.5", "-3", "9" * 40])
def test_group_member_must_be_an_id(admin_client, make_group, row_counts, value):
    group = make_group()
    _refused(admin_client, f"/admin/groups/{group.id}/users", row_counts, 400, "Choose a person from the list.",
             **{"user-member": value})
    _refused(admin_client, f"/admin/groups/{group.id}/organisations", row_counts, 400,
             "Choose an organisation from the list.", **{"organisation-member": value})


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/admin/organisations/999999/verify", {}),
        ("/admin/users/999999/verify", {}),
        ("/admin/users/999999/roles", {"facilitator": "y"}),
        ("/admin/users/999999/clearance", {"clearance": "community"}),
        ("/admin/users/999999/deactivate", {}),
        ("/admin/users/999999/reactivate", {}),
        ("/admin/groups/999999/users", {"user-member": "1"}),
        ("/admin/groups/999999/organisations", {"organisation-member": "1"}),
        ("/admin/groups/999999/users/1/remove", {}),
        ("/admin/groups/999999/organisations/1/remove", {}),
        ("GROUP/users", {"user-member": "999999"}),
        ("GROUP/organisations", {"organisation-member": "999999"}),
        ("GROUP/users/999999/remove", {}),
        ("GROUP/organisations/999999/remove", {}),
    ],
)
def test_unknown_ids_are_404(admin_client, make_group, row_counts, url, data):
    url = url.replace("GROUP", f"/admin/groups/{make_group().id}")
    before = row_counts()
    response = post(admin_client, url, **data)
    assert response.status_code == 404
    assert "There is nothing at this address." in _text(response)
    assert row_counts() == before


@pytest.mark.parametrize("url", ["/admin/users/999999", "/admin/groups/999999", "/admin/nothing-here"])
def test_unknown_admin_pages_are_404(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code == 404 and "There is nothing at this address." in _text(response)


# ------------------------------------------------------------------ audit log


def test_audit_log_lists_paginates_and_filters(app, admin, admin_client, make_user):
    target = make_user(name="Audited Person")
    post(admin_client, f"/admin/users/{target.id}/roles", facilitator="y")
    with app.test_request_context(), unit_of_work() as db:
        for n in range(60):
            record(db, admin.id, "test.filler", "user", n)
    first = _text(admin_client.get("/admin/audit"))
    assert first.count("<code>test.filler</code>") == 50
    assert 'rel="next"' in first and 'rel="prev"' not in first
    older = re.search(r'<a href="([^"]+)" rel="next">', first).group(1).replace("&amp;", "&")
    assert "before=" in older
    second = _text(admin_client.get(older))
    assert "<code>test.filler</code>" in second and "<code>user.roles_changed</code>" in second
    assert 'rel="prev"' in second and 'rel="next"' not in second
    filtered = _text(admin_client.get("/admin/audit?action=user.roles"))
    assert "<code>user.roles_changed</code>" in filtered and "test.filler" not in filtered.split("<tbody>")[1]
    assert "Ada Admin" in filtered and "127.0.0.1" in filtered
    wildcard = _text(admin_client.get("/admin/audit?action=%25"))
    assert "No events." in wildcard  # '%' is a literal character, not a wildcard


@pytest.mark.parametrize("cursor", ["-1", "abc", "1.5", "100001x", "99999999999999999999", str(2**31)])
def test_audit_log_bad_cursor(admin_client, cursor):
    for name in ("before", "after"):
        response = admin_client.get(f"/admin/audit?{name}={cursor}")
        assert response.status_code == 400
        assert "this position is not an event number" in _text(response)


# ------------------------------------------------------------------ who may use /admin


def _admin_urls(app):
    return [(endpoint, method, url) for endpoint, method, url in concrete_urls(app) if url.startswith("/admin")]


@pytest.mark.parametrize("kind", ["member", "facilitator", "restricted member", "pending admin"])
def test_non_admins_get_403_on_every_admin_url(app, make_user, client_for, row_counts, kind):
    user = {
        "member": lambda: make_user(),
        "facilitator": lambda: make_user(roles=("facilitator",)),
        "restricted member": lambda: make_user(clearance="confidential"),
        "pending admin": lambda: make_user(roles=("admin",), status="pending"),
    }[kind]()
    client = client_for(user)
    token = csrf_token(client, "/account")
    before = row_counts()
    urls = _admin_urls(app)
    assert len(urls) >= 15
    for endpoint, method, url in urls:
        response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 403, (endpoint, method, response.status_code)
        assert "This page is for administrators." in _text(response)
    assert row_counts() == before


def test_anonymous_is_sent_to_sign_in_from_every_admin_url(app, client, row_counts):
    token = csrf_token(client, "/sign-in")
    before = row_counts()
    for endpoint, method, url in _admin_urls(app):
        response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 302, (endpoint, method)
        assert response.headers["Location"].startswith("/sign-in?next=")
    assert row_counts() == before


def test_facilitator_cannot_grant_roles(app, make_user, client_for):
    facilitator = make_user(roles=("facilitator",))
    target = make_user()
    client = client_for(facilitator)
    assert post(client, f"/admin/users/{target.id}/roles", facilitator="y", admin="y").status_code == 403
    stored = _load(app, User, target.id)
    assert not stored.is_facilitator and not stored.is_admin
