"""Role matrix of the organisation pages (directory, profiles, focal points' page and acts, owned groups, the admin
pages of organisations), and leak tests: a profile page shows a reader only what she may read, and nothing from a
Chatham House round."""
from __future__ import annotations

import pytest

from tests.conftest import csrf_token, without_csrf
from tests.dialogue_helpers import make_post, make_round, make_thread
from tests.search_helpers import publish
from webapp.db import unit_of_work
from webapp.models import SharingGroup, Tier, User

COVERED_ENDPOINTS = {
    "organisations.directory", "organisations.show", "organisations.person", "organisations.manage",
    "organisations.update_profile", "organisations.create_group", "organisations.verify_person",
    "organisations.refuse_person", "organisations.deactivate_person", "organisations.propose_clearance",
    "organisations.add_group_user", "organisations.remove_group_user", "organisations.add_group_organisation",
    "organisations.remove_group_organisation",
    "admin.organisation", "admin.merge_organisation", "admin.grant_focal_point", "admin.revoke_focal_point",
    "admin.refuse_user", "admin.clearance_proposals", "admin.grant_clearance_proposal",
    "admin.decline_clearance_proposal",
}

ROLES = ["anonymous", "pending", "member", "focal point", "focal point elsewhere", "facilitator", "admin"]
MISSING = 999_999


@pytest.fixture
def scene(app, make_org, make_user):
    home, elsewhere = make_org(name="Home Ministry"), make_org(name="Elsewhere Institute", stakeholder_type="academia")
    people = {
        "anonymous": None,
        "pending": make_user("confidential", org=home, status="pending"),
        "member": make_user("confidential", org=home, name="Mona Member"),
        "focal point": make_user("community", roles=("focal_point",), org=home, name="Fiona Focal"),
        "focal point elsewhere": make_user("confidential", roles=("focal_point",), org=elsewhere),
        "facilitator": make_user("confidential", roles=("facilitator",), org=home),
        "admin": make_user("community", roles=("admin",), org=elsewhere),
    }
    targets = {
        "to_verify": make_user(org=home, status="pending", name="Vera Verifyme"),
        "to_refuse": make_user(org=home, status="pending", name="Rolf Refuseme"),
        "leaver": make_user(org=home, name="Leo Leaver"),
        "to_propose": make_user(org=home, name="Pia Proposeme"),
        "in_group": make_user(org=elsewhere, name="Gus Ingroup"),
        "to_add": make_user(org=elsewhere, name="Ada Addme"),
    }
    third = make_org(name="Third Company", stakeholder_type="private_sector")
    with app.test_request_context(), unit_of_work() as db:
        group = SharingGroup(name="Home circle", description="", owner_organisation_id=home.id)
        db.add(group)
        db.flush()
        group.users.append(db.get(User, targets["in_group"].id))
        group.organisations.append(db.get(type(elsewhere), elsewhere.id))
    return {"home": home, "elsewhere": elsewhere, "third": third, "group": group, "people": people,
            "targets": targets}


def _expected_get(endpoint: str, role: str) -> int:
    if endpoint in {"organisations.directory", "organisations.show"}:
        return 200
    if role == "anonymous":
        return 302
    if endpoint == "organisations.person":
        return 403 if role == "pending" else 200
    if endpoint == "organisations.manage":
        return 200 if role == "focal point" else 403
    return 200 if role == "admin" else 403  # admin pages


@pytest.mark.parametrize("role", ROLES)
def test_get_matrix(role, scene, client_for):
    client = client_for(scene["people"][role])
    home, member = scene["home"].id, scene["people"]["member"].id
    routes = {
        "organisations.directory": "/organisations/", "organisations.show": f"/organisations/{home}",
        "organisations.person": f"/people/{member}", "organisations.manage": f"/organisations/{home}/manage",
        "admin.organisation": f"/admin/organisations/{home}", "admin.clearance_proposals": "/admin/clearance-proposals",
    }
    for endpoint, url in routes.items():
        response = client.get(url)
        assert response.status_code == _expected_get(endpoint, role), (role, endpoint, response.status_code)
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/sign-in")


def _focal_posts(scene) -> dict[str, tuple[str, dict, set[str]]]:
    """endpoint → (url, form, roles that may do it); everyone else is refused and nothing changes."""
    t, home, group = scene["targets"], scene["home"].id, scene["group"].id
    admins_and_focal = {"focal point", "admin"}
    return {
        "organisations.verify_person": (f"/people/{t['to_verify'].id}/verify", {}, admins_and_focal),
        "organisations.refuse_person": (f"/people/{t['to_refuse'].id}/refuse", {"reason": "Not one of ours."},
                                        admins_and_focal),
        "organisations.deactivate_person": (f"/people/{t['leaver'].id}/deactivate", {}, admins_and_focal),
        "organisations.propose_clearance": (f"/people/{t['to_propose'].id}/clearance-proposals",
                                            {"clearance": "restricted", "reason": "Joins the T&E team"},
                                            {"focal point"}),
        "organisations.update_profile": (f"/organisations/{home}/profile",
                                         {"description": "We test.", "website": "https://home.example"},
                                         admins_and_focal),
        "organisations.create_group": (f"/organisations/{home}/groups", {"name": "New circle"}, {"focal point"}),
        "organisations.add_group_user": (f"/groups/{group}/users", {"user-member": str(t["to_add"].id)},
                                         {"focal point"}),
        "organisations.remove_group_user": (f"/groups/{group}/users/{t['in_group'].id}/remove", {}, {"focal point"}),
        "organisations.add_group_organisation": (f"/groups/{group}/organisations",
                                                 {"organisation-member": str(scene["third"].id)}, {"focal point"}),
        "organisations.remove_group_organisation": (
            f"/groups/{group}/organisations/{scene['elsewhere'].id}/remove", {}, {"focal point"}),
    }


def _refusal_status(endpoint: str, role: str) -> int:
    if role == "anonymous":
        return 302
    if "group_" in endpoint:
        return 404  # a group one does not own does not exist for her
    return 403


@pytest.mark.parametrize("role", ROLES)
def test_focal_point_acts_matrix(role, scene, client_for, row_counts, audit_rows):
    client = client_for(scene["people"][role])
    token = csrf_token(client, "/sign-in" if role == "anonymous" else "/account")
    for endpoint, (url, data, allowed) in _focal_posts(scene).items():
        before, audited = row_counts(), len(audit_rows())
        response = client.post(url, data={"csrf_token": token, **data})
        if role in allowed:
            assert response.status_code == 302, (role, endpoint, response.get_data(as_text=True)[:300])
            assert len(audit_rows()) == audited + 1, (role, endpoint)
        else:
            assert response.status_code == _refusal_status(endpoint, role), (role, endpoint, response.status_code)
            assert row_counts() == before and len(audit_rows()) == audited, (role, endpoint)
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/sign-in")


ADMIN_POSTS = {
    "admin.organisation": (f"/admin/organisations/{MISSING}", {"name": "X", "stakeholder_type": "state",
                                                               "country": "NL"}),
    "admin.merge_organisation": (f"/admin/organisations/{MISSING}/merge", {"merge-choice": "1"}),
    "admin.grant_focal_point": (f"/admin/organisations/{MISSING}/focal-points", {"focal-choice": "1"}),
    "admin.revoke_focal_point": (f"/admin/organisations/{MISSING}/focal-points/1/revoke", {}),
    "admin.refuse_user": (f"/admin/users/{MISSING}/refuse", {"reason": "No."}),
    "admin.grant_clearance_proposal": (f"/admin/clearance-proposals/{MISSING}/grant", {}),
    "admin.decline_clearance_proposal": (f"/admin/clearance-proposals/{MISSING}/decline", {}),
}


@pytest.mark.parametrize("role", ROLES)
def test_admin_post_matrix(role, scene, client_for, row_counts):
    client = client_for(scene["people"][role])
    token = csrf_token(client, "/sign-in" if role == "anonymous" else "/account")
    before = row_counts()
    for endpoint, (url, data) in ADMIN_POSTS.items():
        response = client.post(url, data={"csrf_token": token, **data})
        expected = {"anonymous": 302, "admin": 404}.get(role, 403)
        assert response.status_code == expected, (role, endpoint, response.status_code)
    assert row_counts() == before


# ---------------------------------------------------------------- leaks: profile pages are read paths

TIERS = ("public", "community", "restricted", "confidential")


@pytest.fixture
def shared(app, make_org, make_user, make_group):
    """Items of one author at every tier, a grouped confidential one, and a Chatham House round she posted in."""
    home = make_org(name="Kenya Ministry of Defence", country="KE")
    author = make_user("confidential", roles=("facilitator",), org=home, name="Amara Author")
    reviewer = make_user("confidential", roles=("facilitator",), org=home)
    other = make_org(name="Reader Org", country="FR")
    group = make_group(name="Closed circle", users=[author])
    for tier in TIERS:
        publish(app, author, reviewer, tier=tier, title=f"Lesson at {tier} tier")
        make_thread(app, author, title=f"Thread at {tier} tier", tier=Tier.from_code(tier))
    publish(app, author, reviewer, tier="restricted", group=group, title="Grouped lesson")
    chatham = make_round(app, author, chatham_house=True, tier=Tier.PUBLIC, title="Quiet round")
    secret_thread = make_thread(app, author, round_=chatham, title="Chatham thread title", tier=Tier.PUBLIC)
    make_post(app, author, secret_thread, body="Chatham reply")
    open_thread = make_thread(app, reviewer, title="Open discussion", tier=Tier.PUBLIC)
    make_post(app, author, open_thread, body="An open reply")
    readers = {
        "anonymous": None,
        "community": make_user("community", org=other),
        "restricted": make_user("restricted", org=other),
        "confidential elsewhere": make_user("confidential", org=other),
        "round facilitator": make_user("confidential", roles=("facilitator",), org=other),
    }
    return home, author, chatham, readers


def _readable(role: str) -> set[str]:
    limit = {"anonymous": "public", "community": "community"}.get(role, "restricted")
    return set(TIERS[: TIERS.index(limit) + 1])


@pytest.mark.parametrize("role", ["anonymous", "community", "restricted", "confidential elsewhere",
                                  "round facilitator"])
def test_profile_pages_show_only_what_the_reader_may_read(role, shared, client_for):
    home, author, _chatham, readers = shared
    client = client_for(readers[role])
    pages = [client.get(f"/organisations/{home.id}")]
    if role != "anonymous":
        pages.append(client.get(f"/people/{author.id}"))
    for page in pages:
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        for tier in TIERS:
            shown = tier in _readable(role)
            assert (f"Lesson at {tier} tier" in body) is shown, (role, tier)
            assert (f"Thread at {tier} tier" in body) is shown, (role, tier)
        assert "Grouped lesson" not in body  # restricted, but limited to a group the reader is not in
        assert "Chatham thread title" not in body and "Chatham reply" not in body and "Quiet round" not in body
        assert "TLP:RED" not in body
        if role in {"anonymous", "community"}:
            assert "TLP:AMBER" not in body


def test_person_page_lists_open_posts_but_never_chatham_house_ones(shared, client_for, app):
    home, author, chatham, readers = shared
    # Even the round's own facilitator (who sees names inside the round) finds nothing of it here.
    body = client_for(author).get(f"/people/{author.id}").get_data(as_text=True)
    assert "In: Open discussion" in body
    assert "Chatham thread title" not in body and "Chatham reply" not in body and "Quiet round" not in body


def test_a_lower_tier_page_is_identical_with_and_without_higher_items(app, make_org, make_user, client_for):
    """Not even a count: the page a community reader gets does not change when restricted items appear."""
    home = make_org(name="Counting Ministry")
    author = make_user("confidential", roles=("facilitator",), org=home, name="Cora Counter")
    reviewer = make_user("confidential", roles=("facilitator",), org=home)
    reader = make_user("community", org=make_org())
    publish(app, author, reviewer, tier="community", title="Visible lesson")
    client = client_for(reader)
    client.get("/")  # the sign-in message is shown once, here
    before = [without_csrf(client.get(url).get_data()) for url in (f"/organisations/{home.id}", f"/people/{author.id}")]
    publish(app, author, reviewer, tier="restricted", title="Hidden lesson")
    publish(app, author, reviewer, tier="confidential", title="Secret lesson")
    make_thread(app, author, title="Hidden thread", tier=Tier.RESTRICTED)
    after = [without_csrf(client.get(url).get_data()) for url in (f"/organisations/{home.id}", f"/people/{author.id}")]
    assert before == after


def test_unlisted_organisations_and_people_are_missing(app, make_org, make_user, client_for):
    pending_org = make_org(name="Unverified Org", verified=False)
    reader_org = make_org(name="Reader Org")
    reader = make_user("community", org=reader_org)
    pending_person = make_user(org=reader_org, status="pending")
    client = client_for(reader)
    client.get("/")  # the sign-in message is shown once, here
    missing = client.get(f"/organisations/{MISSING}")
    for url in (f"/organisations/{pending_org.id}",):
        response = client.get(url)
        assert response.status_code == 404 and without_csrf(response.get_data()) == without_csrf(missing.get_data())
    missing_person = client.get(f"/people/{MISSING}")
    response = client.get(f"/people/{pending_person.id}")
    assert response.status_code == missing_person.status_code == 404
    assert without_csrf(response.get_data()) == without_csrf(missing_person.get_data())
    assert "Unverified Org" not in client.get("/organisations/").get_data(as_text=True)


def test_focal_point_names_are_for_verified_members(app, make_org, make_user, client_for):
    home = make_org(name="Named Ministry")
    make_user(roles=("focal_point",), org=home, name="Felix Focal")
    assert "Felix Focal" not in client_for(None).get(f"/organisations/{home.id}").get_data(as_text=True)
    assert "Felix Focal" in client_for(make_user()).get(f"/organisations/{home.id}").get_data(as_text=True)


def test_directory_filters_and_bad_filters(app, make_org, client_for):
    make_org(name="Nairobi Ministry", country="KE")
    make_org(name="Delft Lab", stakeholder_type="academia", country="NL")
    client = client_for(None)
    body = client.get("/organisations/?country=KE").get_data(as_text=True)
    assert "Nairobi Ministry" in body and "Delft Lab" not in body
    body = client.get("/organisations/?type=academia").get_data(as_text=True)
    assert "Delft Lab" in body and "Nairobi Ministry" not in body
    for bad in ("?type=pirates", "?country=ZZ", "?country=Kenya"):
        response = client.get("/organisations/" + bad)
        assert response.status_code == 400, bad
