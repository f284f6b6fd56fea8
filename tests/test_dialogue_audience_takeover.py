"""Rounds and thread moves follow the originator rule too (issue 8, defect 2; DESIGN.md rule 8, docs §7).

A round's originator is its facilitating organisation: the creating facilitator, or a co-facilitator of the same
organisation. A co-facilitator from elsewhere may raise the round within what its creator may read (the creator is
told, the act is audited); she may not lower it, widen it, set or change its group, nor drop the organisation's
facilitators. A move by anyone but the originator never regroups, widens or takes a thread from those who wrote in it.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.dialogue_helpers import (
    audit_actions,
    fetch,
    make_post,
    make_round,
    make_thread,
    send,
    table_counts,
    viewer,
)
from webapp.db import session
from webapp.models import DialogueRound, Notification, Thread, Tier
from webapp.services import Conflict, Forbidden, dialogue_rounds, moderation


@pytest.fixture
def cast(make_org, make_user, make_group):
    class Cast:
        korea = make_org("state", "KR", name="Republic of Korea")
        elsewhere = make_org("state", "NL", name="Kingdom of the Netherlands")
        creator = make_user("restricted", roles=("facilitator",), org=korea, name="Kim Creator")
        korean_cofacilitator = make_user("confidential", roles=("facilitator",), org=korea, name="Park Co")
        fay = make_user("confidential", roles=("facilitator",), org=elsewhere, name="Fay Elsewhere")
        korean_member = make_user("community", org=korea, name="Lee Member")
        readers = [make_user("restricted") for _ in range(3)]

    Cast.her_group = make_group(name="Fay's circle", users=(Cast.fay,))
    return Cast


def _fields(round_, **overrides) -> dict:
    fields = dict(title=round_.title, questions_source="q", paragraphs=[16], tier=round_.tier,
                  sharing_group_id=round_.sharing_group_id, opens_at=round_.opens_at, closes_at=round_.closes_at,
                  chatham_house=round_.chatham_house, facilitator_ids=[u.id for u in round_.facilitators])
    fields.update(overrides)
    return fields


def _korean_round(app, cast, **kwargs):
    return make_round(app, cast.creator, facilitators=(cast.fay, cast.korean_cofacilitator), **kwargs)


def _update(app, user, round_, **overrides):
    with app.test_request_context():
        fresh = session().get(DialogueRound, round_.id)
        return dialogue_rounds.update_round(viewer(app, user), round_.id, **_fields(fresh, **overrides))


def _audience(app, round_id) -> tuple:
    found = fetch(app, DialogueRound, round_id)
    return found.tier, found.sharing_group_id


# ---------------------------------------------------------------- rounds: refused, nothing changed


def test_a_co_facilitator_from_elsewhere_cannot_raise_a_round_above_its_creator(app, cast, client_for):
    round_ = _korean_round(app, cast, tier=Tier.RESTRICTED)
    thread = make_thread(app, cast.readers[0], round_=round_)
    before = table_counts(app)
    with pytest.raises(Conflict, match="creator could no longer read it"):
        _update(app, cast.fay, round_, tier=Tier.CONFIDENTIAL)
    assert table_counts(app) == before
    assert _audience(app, round_.id) == (Tier.RESTRICTED, None)
    for user in (cast.creator, cast.fay, *cast.readers):
        assert client_for(user).get(f"/dialogue/threads/{thread.id}").status_code == 200


def test_a_co_facilitator_from_elsewhere_cannot_narrow_a_round_to_her_group(app, cast, client_for):
    round_ = _korean_round(app, cast, tier=Tier.RESTRICTED)
    before = table_counts(app)
    for tier in (Tier.RESTRICTED, Tier.CONFIDENTIAL):
        with pytest.raises(Forbidden, match="facilitating organisation"):
            _update(app, cast.fay, round_, tier=tier, sharing_group_id=cast.her_group.id)
    assert table_counts(app) == before
    assert all(client_for(r).get(f"/dialogue/rounds/{round_.id}").status_code == 200 for r in cast.readers)


def test_a_co_facilitator_from_elsewhere_cannot_lower_or_widen_a_round(app, cast, make_group):
    shared = make_group(name="Shared", users=(cast.creator, cast.fay, cast.korean_cofacilitator))
    grouped = _korean_round(app, cast, tier=Tier.RESTRICTED, group=shared)
    before = table_counts(app)
    for overrides in ({"tier": Tier.COMMUNITY}, {"sharing_group_id": None}):
        with pytest.raises(Forbidden, match="facilitating organisation"):
            _update(app, cast.fay, grouped, confirm_declassification=True, **overrides)
    assert table_counts(app) == before


def test_a_co_facilitator_from_elsewhere_cannot_drop_the_organisations_facilitators(app, cast):
    round_ = _korean_round(app, cast)
    before = table_counts(app)
    with pytest.raises(Forbidden, match="creator or the facilitators of its organisation"):
        _update(app, cast.fay, round_, facilitator_ids=[cast.fay.id, cast.korean_cofacilitator.id])
    with pytest.raises(Forbidden, match="creator or the facilitators of its organisation"):
        _update(app, cast.fay, round_, facilitator_ids=[cast.fay.id, cast.creator.id])
    assert table_counts(app) == before
    # The originating organisation decides its own co-facilitators.
    _update(app, cast.korean_cofacilitator, round_, facilitator_ids=[cast.creator.id])
    with app.test_request_context():
        kept = session().get(DialogueRound, round_.id).facilitator_ids
    assert kept == {cast.creator.id, cast.korean_cofacilitator.id}


# ---------------------------------------------------------------- rounds: the allowed paths


def test_a_co_facilitator_from_elsewhere_raises_within_the_creators_clearance(smtp_app, smtp_server, cast):
    app = smtp_app
    round_ = _korean_round(app, cast)
    thread = make_thread(app, cast.readers[0], round_=round_)
    _update(app, cast.fay, round_, tier=Tier.RESTRICTED)
    assert _audience(app, round_.id) == (Tier.RESTRICTED, None)
    assert fetch(app, Thread, thread.id).tier is Tier.RESTRICTED  # threads follow their round
    row = audit_actions(app, "round.updated")[-1]
    assert row.actor_id == cast.fay.id and row.details["by_originator"] is False
    assert row.details["tier_before"] == "community" and row.details["tier_after"] == "restricted"
    with app.test_request_context():
        notices = [(n.user_id, n.event, n.object_kind) for n in session().scalars(
            select(Notification).where(Notification.event == "tier_changed"))]
    assert notices == [(cast.creator.id, "tier_changed", "round")]
    # the change of audience is mailed at once (new threads go to the creator's daily digest by default)
    smtp_server.wait_for(1)
    [message] = [m for m in smtp_server.to(cast.creator.email) if "Someone else changed" in m["Subject"]]
    assert "Sign in to read it" in message.get_content()


def test_the_originating_organisation_lowers_its_round(app, cast):
    round_ = _korean_round(app, cast, tier=Tier.RESTRICTED)
    _update(app, cast.korean_cofacilitator, round_, tier=Tier.COMMUNITY, confirm_declassification=True)
    assert _audience(app, round_.id) == (Tier.COMMUNITY, None)
    assert audit_actions(app, "round.updated")[-1].details["by_originator"] is True
    _update(app, cast.creator, round_, tier=Tier.PUBLIC, confirm_declassification=True)
    assert _audience(app, round_.id) == (Tier.PUBLIC, None)


def _options(page: str, name: str) -> list[str]:
    select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.findall(r'value="([^"]*)"', select_html)


def test_the_round_form_offers_a_co_facilitator_from_elsewhere_only_what_she_may_choose(app, cast, client_for):
    round_ = _korean_round(app, cast)
    page = client_for(cast.fay).get(f"/dialogue/rounds/{round_.id}/edit").get_data(as_text=True)
    assert _options(page, "tier") == ["community", "restricted"]
    assert _options(page, "sharing_group") == [""]
    page = client_for(cast.creator).get(f"/dialogue/rounds/{round_.id}/edit").get_data(as_text=True)
    assert _options(page, "tier") == ["public", "community", "restricted"]


# ---------------------------------------------------------------- moves


def test_a_non_originator_cannot_move_a_thread_into_her_groups_round(app, cast, client_for):
    korean = _korean_round(app, cast, tier=Tier.RESTRICTED, title="Korea's round")
    hers = make_round(app, cast.fay, tier=Tier.RESTRICTED, group=cast.her_group, title="Fay's round")
    thread = make_thread(app, cast.readers[0], round_=korean)
    fay = client_for(cast.fay)
    before = table_counts(app)
    response = send(fay, f"/moderation/threads/{thread.id}/move",
                    {"target": str(hers.id), "confirm_declassification": "y"})
    assert response.status_code == 403 and "originator of this thread" in response.get_data(as_text=True)
    assert table_counts(app) == before
    assert fetch(app, Thread, thread.id).round_id == korean.id
    # The move form offers her nothing she may not choose.
    page = fay.get(f"/moderation/threads/{thread.id}/move").get_data(as_text=True)
    assert "Fay&#39;s round" not in page and "Fay's round" not in page


def test_a_non_originator_move_never_takes_a_thread_from_those_who_wrote_in_it(app, cast, client_for):
    korean = _korean_round(app, cast, title="Open round")
    higher = make_round(app, cast.creator, tier=Tier.RESTRICTED, title="Higher round", facilitators=(cast.fay,))
    thread = make_thread(app, cast.readers[0], round_=korean)
    make_post(app, cast.korean_member, thread)  # community clearance: a restricted round would lock her out
    before = table_counts(app)
    with app.test_request_context(), pytest.raises(Conflict, match="could no longer read it there"):
        moderation.move_thread(viewer(app, cast.fay), thread.id, target_round_id=higher.id)
    assert table_counts(app) == before


def test_a_move_by_someone_else_tells_the_threads_author(app, cast):
    korean = _korean_round(app, cast, title="Open round")
    higher = make_round(app, cast.creator, tier=Tier.RESTRICTED, title="Higher round", facilitators=(cast.fay,))
    thread = make_thread(app, cast.readers[0], round_=korean)
    with app.test_request_context():
        moderation.move_thread(viewer(app, cast.fay), thread.id, target_round_id=higher.id)
    moved = fetch(app, Thread, thread.id)
    assert (moved.round_id, moved.tier) == (higher.id, Tier.RESTRICTED)
    assert audit_actions(app, "thread.moved")[-1].details["by_originator"] is False
    with app.test_request_context():
        notices = [(n.user_id, n.event, n.object_kind, n.object_id) for n in session().scalars(
            select(Notification).where(Notification.event == "tier_changed"))]
    assert notices == [(cast.readers[0].id, "tier_changed", "thread", thread.id)]
