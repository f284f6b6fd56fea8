"""Focal points, refusals, proposals, organisation edits and merges, admin lists: behaviour and bad inputs."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from tests.dialogue_helpers import make_round
from tests.search_helpers import publish
from tests.smtp_server import body_text
from webapp.db import session, unit_of_work
from webapp.models import (
    AccountStatus,
    ClearanceProposal,
    DialogueRound,
    Organisation,
    ProposalStatus,
    SharingGroup,
    Submission,
    Tier,
    User,
    organisation_focal_points,
)


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/account"), **data})


def fetch(app, model, object_id):
    with app.app_context():
        found = session().get(model, object_id)
        session().expunge_all()
        return found


@pytest.fixture
def home(make_org, make_user):
    org = make_org(name="Ministry of Defence of Kenya", country="KE")
    return {
        "org": org,
        "focal": make_user("community", roles=("focal_point",), org=org, name="Faith Focal", email="faith@mod.example"),
        "colleague": make_user("community", org=org, name="Cyrus Colleague", email="cyrus@mod.example"),
        "pending": make_user(org=org, status="pending", name="Peter Pending", email="peter@mod.example"),
        "admin": make_user("community", roles=("admin",), org=make_org(name="Secretariat"), name="Ada Admin"),
    }


# ---------------------------------------------------------------- verification and refusal


def test_a_focal_point_verifies_a_colleague_and_not_twice(app, home, client_for, audit_rows):
    client = client_for(home["focal"])
    assert post(client, f"/people/{home['pending'].id}/verify").status_code == 302
    assert fetch(app, User, home["pending"].id).status is AccountStatus.ACTIVE
    assert [r.action for r in audit_rows("user.verified")] == ["user.verified"]
    again = post(client, f"/people/{home['pending'].id}/verify")
    assert again.status_code == 409 and "Only pending accounts" in again.get_data(as_text=True)


def test_a_focal_point_of_another_organisation_gets_403_and_nothing_changes(app, home, make_org, make_user,
                                                                             client_for, row_counts):
    stranger = make_user("confidential", roles=("focal_point",), org=make_org(name="Other Ministry"))
    client = client_for(stranger)
    before = row_counts()
    for url, data in ((f"/people/{home['pending'].id}/verify", {}),
                      (f"/people/{home['pending'].id}/refuse", {"reason": "No"}),
                      (f"/people/{home['colleague'].id}/deactivate", {}),
                      (f"/people/{home['colleague'].id}/clearance-proposals", {"clearance": "restricted"}),
                      (f"/organisations/{home['org'].id}/profile", {"website": "https://evil.example"}),
                      (f"/organisations/{home['org'].id}/groups", {"name": "Hijack"})):
        response = post(client, url, **data)
        assert response.status_code == 403, url
    assert row_counts() == before
    assert client.get(f"/organisations/{home['org'].id}/manage").status_code == 403


def test_a_refusal_reaches_the_person_with_its_reason(smtp_app, smtp_server, home, client_for, audit_rows):
    client = client_for(home["focal"])
    response = post(client, f"/people/{home['pending'].id}/refuse", reason="You are not in our staff directory.")
    assert response.status_code == 302
    message = smtp_server.wait_for(1)[0]
    assert "peter@mod.example" in str(message["To"])
    assert "You are not in our staff directory." in body_text(message)
    assert "Ministry of Defence of Kenya" in body_text(message)
    assert fetch(smtp_app, User, home["pending"].id).status is AccountStatus.DEACTIVATED
    [row] = audit_rows("user.refused")
    assert row.details["reason"] == "You are not in our staff directory." and row.actor_id == home["focal"].id


def test_an_admin_refuses_a_registration_too(smtp_app, smtp_server, home, client_for):
    response = post(client_for(home["admin"]), f"/admin/users/{home['pending'].id}/refuse", reason="Duplicate.")
    assert response.status_code == 302
    assert "Duplicate." in body_text(smtp_server.wait_for(1)[0])


@pytest.mark.parametrize("reason, status", [("", 400), ("   ", 400), ("x" * 501, 400)])
def test_a_refusal_needs_a_reason(smtp_app, smtp_server, home, client_for, row_counts, reason, status):
    client = client_for(home["focal"])
    before = row_counts()
    assert post(client, f"/people/{home['pending'].id}/refuse", reason=reason).status_code == status
    assert row_counts() == before and smtp_server.messages == []


def test_only_pending_registrations_are_refused(smtp_app, smtp_server, home, client_for, row_counts):
    signed_in = client_for(home["focal"])
    before = row_counts()
    response = post(signed_in, f"/people/{home['colleague'].id}/refuse", reason="Left")
    assert response.status_code == 409 and row_counts() == before and smtp_server.messages == []


# ---------------------------------------------------------------- leavers


def test_deactivating_a_leaver_signs_them_out_everywhere(app, home, client_for):
    leaver_client = client_for(home["colleague"])
    assert leaver_client.get("/account").status_code == 200
    assert post(client_for(home["focal"]), f"/people/{home['colleague'].id}/deactivate").status_code == 302
    assert leaver_client.get("/account").status_code == 302  # the session was revoked
    assert fetch(app, User, home["colleague"].id).status is AccountStatus.DEACTIVATED


def test_a_focal_point_cannot_deactivate_themself(app, home, client_for, row_counts):
    signed_in = client_for(home["focal"])
    before = row_counts()
    response = post(signed_in, f"/people/{home['focal'].id}/deactivate")
    assert response.status_code == 403 and row_counts() == before


# ---------------------------------------------------------------- profile


def test_the_profile_is_kept_by_focal_points(app, home, client_for):
    client = client_for(home["focal"])
    response = post(client, f"/organisations/{home['org'].id}/profile", description="We test <b>AI</b> systems.",
                    website="https://mod.example/ai")
    assert response.status_code == 302
    page = client_for(None).get(f"/organisations/{home['org'].id}").get_data(as_text=True)
    assert "We test &lt;b&gt;AI&lt;/b&gt; systems." in page and "https://mod.example/ai" in page


@pytest.mark.parametrize("website", ["javascript:alert(1)", "mod.example", "https://", "https://a b.example",
                                     "https://x.example/" + "a" * 300])
def test_a_bad_website_is_refused(app, home, client_for, row_counts, website):
    signed_in = client_for(home["focal"])
    before = row_counts()
    response = post(signed_in, f"/organisations/{home['org'].id}/profile", website=website)
    assert response.status_code == 400 and row_counts() == before
    assert fetch(app, Organisation, home["org"].id).website == ""


# ---------------------------------------------------------------- clearance proposals


def test_a_proposal_waits_for_an_admin_who_grants_it(app, home, client_for, audit_rows):
    response = post(client_for(home["focal"]), f"/people/{home['colleague'].id}/clearance-proposals",
                    clearance="restricted", reason="Joins the test and evaluation unit")
    assert response.status_code == 302
    assert fetch(app, User, home["colleague"].id).clearance is Tier.COMMUNITY  # nothing until an admin decides
    admin = client_for(home["admin"])
    listing = admin.get("/admin/clearance-proposals").get_data(as_text=True)
    assert "Cyrus Colleague" in listing and "Joins the test and evaluation unit" in listing
    with app.app_context():
        proposal_id = session().scalar(select(ClearanceProposal.id))
    assert post(admin, f"/admin/clearance-proposals/{proposal_id}/grant").status_code == 302
    assert fetch(app, User, home["colleague"].id).clearance is Tier.RESTRICTED
    assert fetch(app, ClearanceProposal, proposal_id).status is ProposalStatus.GRANTED
    assert [r.action for r in audit_rows("clearance.")] == ["clearance.proposed", "clearance.granted"]
    again = post(admin, f"/admin/clearance-proposals/{proposal_id}/decline")
    assert again.status_code == 409
    assert "Cyrus Colleague" not in admin.get("/admin/clearance-proposals").get_data(as_text=True)


def test_a_declined_proposal_changes_nothing(app, home, client_for):
    post(client_for(home["focal"]), f"/people/{home['colleague'].id}/clearance-proposals", clearance="confidential")
    with app.app_context():
        proposal_id = session().scalar(select(ClearanceProposal.id))
    assert post(client_for(home["admin"]), f"/admin/clearance-proposals/{proposal_id}/decline").status_code == 302
    assert fetch(app, User, home["colleague"].id).clearance is Tier.COMMUNITY


@pytest.mark.parametrize("target, data, status", [
    ("colleague", {"clearance": "public"}, 400),
    ("colleague", {"clearance": "secret"}, 400),
    ("colleague", {"clearance": "community"}, 409),  # already so
    ("focal", {"clearance": "confidential"}, 403),   # never for oneself
    ("pending", {"clearance": "restricted"}, 409),
    ("colleague", {"clearance": "restricted", "reason": "x" * 501}, 400),
])
def test_bad_proposals_are_refused(app, home, client_for, row_counts, target, data, status):
    signed_in = client_for(home["focal"])
    before = row_counts()
    response = post(signed_in, f"/people/{home[target].id}/clearance-proposals", **data)
    assert response.status_code == status and row_counts() == before


def test_one_pending_proposal_per_person(app, home, client_for):
    client = client_for(home["focal"])
    url = f"/people/{home['colleague'].id}/clearance-proposals"
    assert post(client, url, clearance="restricted").status_code == 302
    assert post(client, url, clearance="confidential").status_code == 409


def test_an_admin_cannot_grant_a_raise_of_her_own_clearance(app, make_org, make_user, client_for):
    org = make_org()
    admin = make_user("community", roles=("admin",), org=org)
    focal = make_user("community", roles=("focal_point",), org=org)
    post(client_for(focal), f"/people/{admin.id}/clearance-proposals", clearance="confidential")
    with app.app_context():
        proposal_id = session().scalar(select(ClearanceProposal.id))
    assert post(client_for(admin), f"/admin/clearance-proposals/{proposal_id}/grant").status_code == 403
    assert fetch(app, User, admin.id).clearance is Tier.COMMUNITY


# ---------------------------------------------------------------- granting focal points


def test_an_admin_grants_and_revokes_a_focal_point(app, home, client_for, audit_rows):
    admin, colleague = client_for(home["admin"]), home["colleague"]
    assert post(admin, f"/admin/organisations/{home['org'].id}/focal-points",
                **{"focal-choice": str(colleague.id)}).status_code == 302
    colleague_client = client_for(colleague)
    assert colleague_client.get(f"/organisations/{home['org'].id}/manage").status_code == 200
    assert post(admin, f"/admin/organisations/{home['org'].id}/focal-points",
                **{"focal-choice": str(colleague.id)}).status_code == 409
    assert post(admin, f"/admin/organisations/{home['org'].id}/focal-points/{colleague.id}/revoke").status_code == 302
    assert colleague_client.get(f"/organisations/{home['org'].id}/manage").status_code == 403  # next request
    assert [r.action for r in audit_rows("organisation.focal_point")] == [
        "organisation.focal_point_granted", "organisation.focal_point_revoked"]
    assert post(admin, f"/admin/organisations/{home['org'].id}/focal-points/{colleague.id}/revoke").status_code == 409


@pytest.mark.parametrize("who, status", [("pending", 409), ("admin", 400)])
def test_focal_points_are_active_members_of_the_organisation(app, home, client_for, row_counts, who, status):
    signed_in = client_for(home["admin"])
    before = row_counts()
    response = post(signed_in, f"/admin/organisations/{home['org'].id}/focal-points",
                    **{"focal-choice": str(home[who].id)})
    assert response.status_code == status and row_counts() == before


def test_a_pending_focal_point_has_no_powers(app, make_org, make_user, client_for, row_counts):
    org = make_org()
    pending_focal = make_user(roles=("focal_point",), org=org, status="pending")
    colleague = make_user(org=org, status="pending")
    signed_in = client_for(pending_focal)
    before = row_counts()
    assert post(signed_in, f"/people/{colleague.id}/verify").status_code == 403
    assert row_counts() == before


# ---------------------------------------------------------------- owned sharing groups


def test_a_focal_point_creates_and_fills_a_group_of_the_organisation(app, home, make_org, make_user, client_for,
                                                                     audit_rows):
    client = client_for(home["focal"])
    partner = make_org(name="Partner Lab", stakeholder_type="academia")
    outsider = make_user(org=partner, name="Olu Outsider")
    response = post(client, f"/organisations/{home['org'].id}/groups", name="Kenya testing circle")
    assert response.status_code == 302
    with app.app_context():
        group = session().scalar(select(SharingGroup).where(SharingGroup.name == "Kenya testing circle"))
        assert group.owner_organisation_id == home["org"].id
        group_id = group.id
    assert post(client, f"/groups/{group_id}/users", **{"user-member": str(outsider.id)}).status_code == 302
    assert post(client, f"/groups/{group_id}/users", **{"user-member": str(outsider.id)}).status_code == 409
    assert post(client, f"/groups/{group_id}/organisations", **{"organisation-member": str(partner.id)}).status_code == 302
    page = client.get(f"/groups/{group_id}").get_data(as_text=True)
    assert "Olu Outsider" in page and "Partner Lab" in page
    assert post(client, f"/groups/{group_id}/users", **{"user-member": "abc"}).status_code == 400
    assert post(client, f"/groups/{group_id}/organisations", **{"organisation-member": "999999"}).status_code == 404
    assert post(client, f"/organisations/{home['org'].id}/groups", name="kenya TESTING circle").status_code == 409
    assert post(client, f"/organisations/{home['org'].id}/groups", name="").status_code == 400
    assert len(audit_rows("group.")) == 3


# ---------------------------------------------------------------- admins: edit and merge organisations


def test_an_admin_corrects_an_organisation(app, home, make_org, client_for, audit_rows):
    admin = client_for(home["admin"])
    make_org(name="Taken Name")
    url = f"/admin/organisations/{home['org'].id}"
    assert admin.get(url).status_code == 200
    good = {"name": "Kenya Ministry of Defence", "stakeholder_type": "state", "country": "KE"}
    assert post(admin, url, **good).status_code == 302
    assert fetch(app, Organisation, home["org"].id).name == "Kenya Ministry of Defence"
    assert audit_rows("organisation.edited")[0].details["before"]["name"] == "Ministry of Defence of Kenya"
    for bad, status in (({"name": "taken name"}, 409), ({"stakeholder_type": "pirates"}, 400),
                        ({"country": "ZZ"}, 400), ({"name": ""}, 400), ({"name": "x" * 201}, 400)):
        response = post(admin, url, **{**good, **bad})
        assert response.status_code == status, bad
        assert fetch(app, Organisation, home["org"].id).name == "Kenya Ministry of Defence"


def test_merging_moves_people_and_items(app, home, make_org, make_user, make_group, client_for, audit_rows):
    duplicate = make_org(name="MoD Kenya", country="KE")
    dup_author = make_user("confidential", roles=("facilitator", "focal_point"), org=duplicate, name="Dan Duplicate")
    dup_reviewer = make_user("confidential", roles=("facilitator",), org=duplicate)
    item = publish(app, dup_author, dup_reviewer, tier="community", title="Lesson from the duplicate")
    round_ = make_round(app, dup_author, title="Round of the duplicate")
    both = make_group(name="Both", organisations=[duplicate, home["org"]])
    only_dup = make_group(name="Only duplicate", organisations=[duplicate])
    with app.test_request_context(), unit_of_work() as db:
        db.get(SharingGroup, only_dup.id).owner_organisation_id = duplicate.id
    admin = client_for(home["admin"])
    response = post(admin, f"/admin/organisations/{duplicate.id}/merge", **{"merge-choice": str(home["org"].id)})
    assert response.status_code == 302
    with app.app_context():
        db = session()
        assert db.get(User, dup_author.id).organisation_id == home["org"].id
        assert db.get(Submission, item.id).author_organisation_id == home["org"].id
        assert db.get(DialogueRound, round_.id).organisation_id == home["org"].id
        assert [o.id for o in db.get(SharingGroup, both.id).organisations] == [home["org"].id]
        assert [o.id for o in db.get(SharingGroup, only_dup.id).organisations] == [home["org"].id]
        assert db.get(SharingGroup, only_dup.id).owner_organisation_id == home["org"].id
        assert db.get(Organisation, duplicate.id).merged_into_id == home["org"].id
        # The duplicate's focal point does not become a focal point of the organisation she joins.
        assert db.scalar(select(organisation_focal_points.c.user_id)
                         .where(organisation_focal_points.c.user_id == dup_author.id)) is None
    [row] = audit_rows("organisation.merged")
    assert row.details["into"] == home["org"].id and row.details["moved"]["users"] == 2
    directory = client_for(None).get("/organisations/").get_data(as_text=True)
    assert "MoD Kenya" not in directory
    assert "MoD Kenya" not in client_for(None).get("/register").get_data(as_text=True)
    assert client_for(None).get(f"/organisations/{duplicate.id}").status_code == 404
    page = client_for(None).get(f"/organisations/{home['org'].id}").get_data(as_text=True)
    assert "Lesson from the duplicate" not in page  # community tier: anonymous readers still see nothing of it
    member_page = client_for(home["colleague"]).get(f"/organisations/{home['org'].id}").get_data(as_text=True)
    assert "Lesson from the duplicate" in member_page
    again = post(admin, f"/admin/organisations/{duplicate.id}/merge", **{"merge-choice": str(home["org"].id)})
    assert again.status_code == 409


def test_an_organisation_is_not_merged_into_itself(app, home, client_for, row_counts):
    admin = client_for(home["admin"])
    before = row_counts()
    response = post(admin, f"/admin/organisations/{home['org'].id}/merge", **{"merge-choice": str(home["org"].id)})
    assert response.status_code == 400 and "cannot be merged into itself" in response.get_data(as_text=True)
    assert post(admin, f"/admin/organisations/{home['org'].id}/merge", **{"merge-choice": "x"}).status_code == 400
    assert post(admin, f"/admin/organisations/{home['org'].id}/merge", **{"merge-choice": "999999"}).status_code == 404
    assert row_counts() == before


def test_a_verified_organisation_is_not_merged_into_an_unverified_one(app, home, make_org, client_for, row_counts):
    proposal = make_org(name="Proposed MoD", verified=False)
    signed_in = client_for(home["admin"])
    before = row_counts()
    response = post(signed_in, f"/admin/organisations/{home['org'].id}/merge",
                    **{"merge-choice": str(proposal.id)})
    assert response.status_code == 409 and row_counts() == before


# ---------------------------------------------------------------- admin lists: search and pages


def test_admin_lists_are_searchable_and_paginated(app, home, make_org, make_user, client_for):
    crowd = make_org(name="Crowded Org")
    for n in range(52):
        make_user(org=crowd, name=f"Zed Crowd {n:02d}", status="pending" if n < 51 else "active")
    admin = client_for(home["admin"])
    first = admin.get("/admin/users?q=zed+crowd").get_data(as_text=True)
    assert "Zed Crowd 00" in first and "Zed Crowd 51" not in first and "Cyrus Colleague" not in first
    assert "page=2" in first
    second = admin.get("/admin/users?q=zed+crowd&page=2").get_data(as_text=True)
    assert "Zed Crowd 51" in second and "Zed Crowd 00" not in second
    assert "Cyrus Colleague" in admin.get("/admin/users?q=mod.example").get_data(as_text=True)
    assert "Crowded Org" in admin.get("/admin/organisations?q=crowd").get_data(as_text=True)
    assert "Secretariat" not in admin.get("/admin/organisations?q=crowd").get_data(as_text=True)
    pending = admin.get("/admin/?q=peter").get_data(as_text=True)
    assert "Peter Pending" in pending and "Zed Crowd" not in pending
    assert "Zed Crowd" not in admin.get("/admin/users?q=%25").get_data(as_text=True)  # % is a character, no wildcard
    for bad in ("/admin/users?page=0", "/admin/users?page=x", "/admin/organisations?page=-1",
                "/admin/?q=" + "a" * 101):
        assert admin.get(bad).status_code == 400, bad
