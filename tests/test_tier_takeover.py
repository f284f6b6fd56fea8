"""Nobody but the originator takes over an item's audience (issue 8, defect 2; DESIGN.md rule 8, docs §7).

The audit's reproductions, each refused with nothing changed; the allowed paths (the author raises, a reviewer of
another organisation raises within the author's clearance and the author is told, the originator lowers); the
tier form offering exactly what the policy allows; and the predicates over a matrix of viewer kinds.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.archive_helpers import lesson_data, viewer
from tests.smtp_server import body_text
from webapp.db import session
from webapp.models import AuditEvent, Notification, Submission, SubmissionRevision, Tier
from webapp.policy import audience
from webapp.policy.archive import (
    author_viewer,
    can_change_tier,
    can_declassify,
    is_originator,
    tier_change_refusal,
    tier_choices_for,
)
from webapp.policy.audience import AudienceRefusal
from webapp.services import Conflict, Forbidden
from webapp.services.submission_workflow import publish_submission, submit_submission
from webapp.services.submissions import change_submission_tier, create_submission


@pytest.fixture
def world(app, make_user, make_org, make_group):
    korea = make_org(stakeholder_type="state", country="KR", name="Republic of Korea")
    elsewhere = make_org(stakeholder_type="state", country="NL", name="Kingdom of the Netherlands")
    people = {
        "author": make_user(clearance="restricted", org=korea, name="Min-jun Author", email="minjun@example.kr"),
        "korean_reviewer": make_user(clearance="confidential", roles=("facilitator",), org=korea),
        "colleague": make_user(clearance="confidential", org=korea),
        "facilitator": make_user(clearance="confidential", roles=("facilitator",), org=elsewhere, name="Fay"),
        "readers": [make_user(clearance="restricted") for _ in range(3)],
        "stranger": make_user(clearance="confidential"),
    }
    people["korea"] = korea
    people["her_group"] = make_group(name="Fay's circle", users=(people["facilitator"],))
    return people


def _published(app, world, **fields) -> Submission:
    """A lesson of Korea's, reviewed and published by the Korean reviewer."""
    with app.test_request_context():
        item = create_submission(viewer(world["author"]), "lesson_learnt", lesson_data(**fields))
        submit_submission(viewer(world["author"]), item.id)
        return publish_submission(viewer(world["korean_reviewer"]), item.id)


def _state(app, item_id: int) -> tuple:
    """Everything a tier change could change: audience, revisions, audit rows, notifications."""
    with app.app_context():
        db = session()
        item = db.get(Submission, item_id)
        return (
            item.tier, item.sharing_group_id,
            db.scalar(select(func.count()).select_from(SubmissionRevision).where(SubmissionRevision.submission_id == item_id)),
            db.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.object_type == "submission")),
            db.scalar(select(func.count()).select_from(Notification)),
        )


def _post_tier(client_for, form_token, user, item_id, **data):
    client = client_for(user)
    token = form_token(client, "/archive/new")
    return client.post(f"/archive/{item_id}/tier", data={"csrf_token": token, **data})


def _reads(client_for, user, item_id) -> bool:
    status = client_for(user).get(f"/archive/{item_id}").status_code
    assert status in (200, 404)
    return status == 200


# ---------------------------------------------------------------- the audit's reproductions, refused


def test_a_facilitator_of_another_organisation_cannot_raise_above_the_authors_clearance(
    app, world, client_for, form_token
):
    item = _published(app, world, tier="restricted")
    before = _state(app, item.id)
    response = _post_tier(client_for, form_token, world["facilitator"], item.id, tier="confidential", confirm="y")
    assert response.status_code == 409
    assert "never locks the author out" in response.get_data(as_text=True)
    assert _state(app, item.id) == before
    for name in ("author", "korean_reviewer", "facilitator"):
        assert _reads(client_for, world[name], item.id), name


def test_a_facilitator_cannot_narrow_another_organisations_item_to_her_group(app, world, client_for, form_token):
    item = _published(app, world, tier="restricted")
    before = _state(app, item.id)
    for tier in ("restricted", "confidential"):
        response = _post_tier(client_for, form_token, world["facilitator"], item.id, tier=tier,
                              sharing_group_id=str(world["her_group"].id), confirm="y")
        assert response.status_code == 403
        assert "originating organisation" in response.get_data(as_text=True)
    assert _state(app, item.id) == before
    assert all(_reads(client_for, reader, item.id) for reader in world["readers"])


def test_a_colleague_who_is_neither_author_nor_reviewer_changes_nothing(app, world, client_for, form_token):
    item = _published(app, world, tier="community")
    before = _state(app, item.id)
    for tier in ("confidential", "restricted", "public"):
        response = _post_tier(client_for, form_token, world["colleague"], item.id, tier=tier, confirm="y")
        assert response.status_code == 403
    assert client_for(world["colleague"]).get(f"/archive/{item.id}/tier").status_code == 403
    assert f"/archive/{item.id}/tier" not in client_for(world["colleague"]).get(f"/archive/{item.id}").get_data(as_text=True)
    assert _state(app, item.id) == before
    assert _reads(client_for, world["author"], item.id)


def test_a_reviewer_of_another_organisation_may_not_lower_widen_or_regroup(app, world, make_group):
    shared = make_group(name="Shared", users=(world["author"], world["facilitator"]))
    second = make_group(name="Second", users=(world["author"], world["facilitator"]))
    grouped = _published(app, world, tier="restricted", sharing_group_id=shared.id)
    open_item = _published(app, world, tier="restricted")
    before = (_state(app, grouped.id), _state(app, open_item.id))
    attempts = [
        (grouped.id, "community", shared.id),  # lower
        (grouped.id, "restricted", None),  # remove the group: widen
        (grouped.id, "restricted", second.id),  # change the group
        (open_item.id, "restricted", shared.id),  # set a group
        (open_item.id, "community", None),  # lower
    ]
    with app.test_request_context():
        for item_id, tier, group_id in attempts:
            with pytest.raises(Forbidden, match="originating organisation"):
                change_submission_tier(viewer(world["facilitator"]), item_id, tier=tier, sharing_group_id=group_id,
                                       confirm=True)
    assert (_state(app, grouped.id), _state(app, open_item.id)) == before


def test_a_raise_by_a_non_originator_never_takes_the_item_from_the_authors_organisation(app, world, make_group):
    # The author may read confidential, so only the organisation rule is in the way: confidential with a group is
    # exactly the group, and Korea's colleagues outside it would lose their own organisation's item.
    shared = make_group(name="Shared", users=(world["author"], world["facilitator"]))
    with app.test_request_context():
        from webapp.db import unit_of_work
        from webapp.models import User

        with unit_of_work() as db:
            db.get(User, world["author"].id).clearance = Tier.CONFIDENTIAL
    item = _published(app, world, tier="restricted", sharing_group_id=shared.id)
    before = _state(app, item.id)
    with app.test_request_context():
        with pytest.raises(Conflict, match="originating organisation's access"):
            change_submission_tier(viewer(world["facilitator"]), item.id, tier="confidential",
                                   sharing_group_id=shared.id, confirm=True)
    assert _state(app, item.id) == before


def test_even_the_originator_never_locks_the_author_out(app, world):
    item = _published(app, world, tier="restricted")
    before = _state(app, item.id)
    with app.test_request_context():
        with pytest.raises(Conflict, match="never locks the author out"):
            change_submission_tier(viewer(world["korean_reviewer"]), item.id, tier="confidential",
                                   sharing_group_id=None, confirm=True)
    assert _state(app, item.id) == before


# ---------------------------------------------------------------- the allowed paths


def test_the_author_raises_their_own_item_without_being_notified(app, world, audit_rows):
    item = _published(app, world, tier="community")
    with app.test_request_context():
        change_submission_tier(viewer(world["author"]), item.id, tier="restricted", sharing_group_id=None,
                               confirm=False)
    assert _state(app, item.id)[:2] == (Tier.RESTRICTED, None)
    [row] = audit_rows("submission.tier_changed")
    assert row.actor_id == world["author"].id and row.details["author_notified"] is False
    with app.app_context():
        # workflow notices (review requested, published) exist; no notice of the author's own tier change
        assert session().scalar(
            select(func.count()).select_from(Notification).where(Notification.event == "tier_changed")) == 0


def test_a_reviewer_of_another_organisation_raises_within_the_authors_clearance(
    smtp_app, smtp_server, world, client_for, form_token, audit_rows
):
    app = smtp_app
    item = _published(app, world, tier="community")
    response = _post_tier(client_for, form_token, world["facilitator"], item.id, tier="restricted")
    assert response.status_code == 302
    assert _state(app, item.id)[:2] == (Tier.RESTRICTED, None)
    [row] = audit_rows("submission.tier_changed")
    assert row.actor_id == world["facilitator"].id and row.object_id == item.id
    assert row.details["before"] == "community" and row.details["after"] == "restricted"
    assert row.details["by_originator"] is False and row.details["author_notified"] is True
    with app.app_context():
        notices = list(session().scalars(select(Notification).where(Notification.event == "tier_changed")))
    assert [(n.user_id, n.event, n.object_kind, n.object_id) for n in notices] == [
        (world["author"].id, "tier_changed", "submission", item.id)]
    smtp_server.wait_for(1)
    [message] = [m for m in smtp_server.messages if "Someone else changed" in m["Subject"]]
    assert message["To"] == "minjun@example.kr"
    text = body_text(message)
    assert f"/archive/{item.id}" in text and "Operator trust" not in text  # restricted: no title in the mail
    assert "you are the author" in text
    page = client_for(world["author"]).get("/notifications/").get_data(as_text=True)
    assert "Someone else changed who may read your item" in page
    for name in ("author", "korean_reviewer", "facilitator"):
        assert _reads(client_for, world[name], item.id), name


def test_the_originator_lowers_and_the_author_is_told(app, world, audit_rows):
    item = _published(app, world, tier="restricted")
    with app.test_request_context():
        change_submission_tier(viewer(world["korean_reviewer"]), item.id, tier="community", sharing_group_id=None,
                               confirm=True)
    assert _state(app, item.id)[:2] == (Tier.COMMUNITY, None)
    [row] = audit_rows("submission.declassified")
    assert row.actor_id == world["korean_reviewer"].id and row.details["by_originator"] is True
    with app.app_context():
        assert session().scalars(
            select(Notification.user_id).where(Notification.event == "tier_changed")).all() == [world["author"].id]


def test_the_originator_may_keep_a_group_she_is_not_in(app, world, make_group):
    group = make_group(name="Author's circle", users=(world["author"],))
    item = _published(app, world, tier="community", sharing_group_id=group.id)
    with app.test_request_context():
        change_submission_tier(viewer(world["korean_reviewer"]), item.id, tier="restricted",
                               sharing_group_id=group.id, confirm=False)
    assert _state(app, item.id)[:2] == (Tier.RESTRICTED, group.id)


# ---------------------------------------------------------------- the form offers what the policy allows


def _options(page: str, name: str) -> list[str]:
    select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.findall(r'value="([^"]*)"', select_html)


def test_the_tier_form_offers_a_non_originator_only_what_she_may_choose(app, world, client_for, make_group):
    shared = make_group(name="Shared", users=(world["author"], world["facilitator"]))
    item = _published(app, world, tier="community", sharing_group_id=shared.id)
    reviewer_page = client_for(world["facilitator"]).get(f"/archive/{item.id}")
    assert f"/archive/{item.id}/tier" in reviewer_page.get_data(as_text=True)
    page = client_for(world["facilitator"]).get(f"/archive/{item.id}/tier").get_data(as_text=True)
    assert _options(page, "tier") == ["community", "restricted"]  # not lower; not above the author's clearance
    assert _options(page, "sharing_group_id") == [str(shared.id)]  # the item's group, nothing of hers
    assert "Fay&#39;s circle" not in page and "Fay's circle" not in page
    page = client_for(world["author"]).get(f"/archive/{item.id}/tier").get_data(as_text=True)
    assert _options(page, "tier") == ["public", "community", "restricted"]
    assert _options(page, "sharing_group_id") == ["", str(shared.id)]


def test_no_tier_button_for_a_reviewer_who_could_raise_nothing(app, world, client_for, make_user):
    item = _published(app, world, tier="restricted")
    restricted_reviewer = make_user(clearance="restricted", roles=("facilitator",))
    page = client_for(restricted_reviewer).get(f"/archive/{item.id}").get_data(as_text=True)
    assert f"/archive/{item.id}/tier" not in page


# ---------------------------------------------------------------- the predicates over viewer kinds


def test_predicate_matrix_over_viewer_kinds(app, world, make_user, make_group):
    shared = make_group(name="Shared", users=(world["author"], world["facilitator"]))
    item = _published(app, world, tier="restricted", sharing_group_id=shared.id)
    kinds = {
        "anonymous": None,
        "author": world["author"],
        "originating reviewer": world["korean_reviewer"],
        "colleague": world["colleague"],
        "reviewer elsewhere, in the group": world["facilitator"],
        "reviewer elsewhere, not in the group": make_user(clearance="confidential", roles=("facilitator",)),
        "member elsewhere, in the group": make_user(clearance="confidential", groups=(shared,)),
        "admin": make_user(clearance="confidential", roles=("admin",)),
        "pending reviewer of Korea": make_user(clearance="confidential", roles=("facilitator",), status="pending",
                                               org=world["korea"]),
    }
    #             originator, may open the form, may declassify
    expected = {
        "anonymous": (False, False, False),
        "author": (True, True, True),
        "originating reviewer": (True, True, True),
        "colleague": (False, False, False),
        "reviewer elsewhere, in the group": (False, True, False),
        "reviewer elsewhere, not in the group": (False, False, False),  # cannot read it
        "member elsewhere, in the group": (False, False, False),
        "admin": (False, False, False),
        "pending reviewer of Korea": (False, False, False),
    }
    with app.test_request_context():
        fresh = session().get(Submission, item.id)
        author = author_viewer(session(), fresh)
        for name, user in kinds.items():
            v = viewer(user)
            got = (is_originator(v, fresh), can_change_tier(v, fresh), can_declassify(v, fresh))
            assert got == expected[name], name
            choices = tier_choices_for(v, fresh, author)
            for tier in Tier:
                refusal = tier_change_refusal(v, fresh, tier, fresh.sharing_group_id, author)
                if not got[1]:
                    assert refusal is AudienceRefusal.NOT_ALLOWED, (name, tier)
                if tier is not fresh.tier:
                    assert (tier in choices) == (refusal is None and tier <= v.clearance), (name, tier)
        facilitator = viewer(world["facilitator"])
        assert tier_choices_for(facilitator, fresh, author) == [Tier.RESTRICTED]  # confidential: locks Korea out
        assert tier_change_refusal(facilitator, fresh, Tier.CONFIDENTIAL, shared.id, author) in (
            AudienceRefusal.LOCKS_OUT_AUTHOR, AudienceRefusal.LOCKS_OUT_ORGANISATION)


@pytest.mark.parametrize("old", [(t, g, 1) for t in Tier for g in (None, 7)])
@pytest.mark.parametrize("new", [(t, g, o) for t in Tier for g in (None, 7, 8) for o in (1, 2)])
def test_a_non_originator_change_is_only_ever_a_narrowing(old, new):
    """Whatever a non-originator is allowed is within the old audience (audience_within agrees)."""
    from webapp.policy import Viewer
    from webapp.policy.dialogue import audience_within

    actor = Viewer(user_id=99, organisation_id=3, clearance=Tier.CONFIDENTIAL, is_verified=True, is_facilitator=True)
    refusal = audience.audience_change_refusal(actor, originator=False, old=old, new=new, authors=[])
    if refusal is None:
        assert audience_within(new, old), (old, new)
        assert audience.organisation_reaches(1, new) or not audience.organisation_reaches(1, old)
