"""Declassification of dialogue rounds and their outcome syntheses (issue 11 §1, DESIGN.md rule 8): the
facilitating organisation is the originator; a facilitator from elsewhere only proposes, with a reason; the
originator accepts or refuses (both audited, the other side told); a scheduled release is carried out once by the
job engine as the originator's act, the round's threads and synthesis moving with it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.dialogue_helpers import make_round, make_thread, viewer
from webapp.db import session, unit_of_work
from webapp.jobs import claims, schedule
from webapp.models import (
    DialogueRound, Notification, ScheduledRelease, Submission, SubmissionKind, Thread, Tier, TierProposal, utcnow,
)
from webapp.services import Conflict, Forbidden, NotFound, ServiceError, declassification, dialogue_rounds
from webapp.services import round_declassification as rounds_decl
from webapp.services.notifications import add_watch


@pytest.fixture
def world(app, make_user, make_org):
    korea = make_org(stakeholder_type="state", country="KR", name="Republic of Korea")
    elsewhere = make_org(stakeholder_type="state", country="NL", name="Kingdom of the Netherlands")
    return {
        "creator": make_user(clearance="confidential", roles=("facilitator",), org=korea, name="Ji-woo Creator"),
        "korean_cofacilitator": make_user(clearance="confidential", roles=("facilitator",), org=korea),
        "foreign_cofacilitator": make_user(clearance="confidential", roles=("facilitator",), org=elsewhere,
                                           name="Fay Foreign"),
        "facilitator": make_user(clearance="confidential", roles=("facilitator",), org=elsewhere),
        "low_facilitator": make_user(clearance="community", roles=("facilitator",), org=elsewhere),
        "reader": make_user(clearance="community", org=elsewhere, name="Community Reader"),
    }


def _round(app, world, *, tier=Tier.RESTRICTED, concluded=False, with_thread=True, **kwargs):
    round_ = make_round(app, world["creator"], tier=tier, paragraphs=(16,),
                        facilitators=(world["korean_cofacilitator"], world["foreign_cofacilitator"]), **kwargs)
    if with_thread:
        make_thread(app, world["creator"], round_=round_, tier=tier)
    if concluded:
        with app.test_request_context():
            dialogue_rounds.close_round(viewer(app, world["creator"]), round_.id)
            dialogue_rounds.conclude_round(viewer(app, world["creator"]), round_.id,
                                           synthesis_source="We agreed on shared test ranges.", paragraphs=[16])
    return round_


def _audiences(app, round_id) -> set:
    """The (tier, group) of the round, each of its threads and its synthesis: always one audience."""
    with app.app_context():
        db = session()
        round_ = db.get(DialogueRound, round_id)
        found = {("round", round_.tier, round_.sharing_group_id)}
        found |= {("thread", t.tier, t.sharing_group_id) for t in db.scalars(select(Thread).where(
            Thread.round_id == round_id))}
        found |= {("synthesis", s.tier, s.sharing_group_id) for s in db.scalars(select(Submission).where(
            Submission.round_id == round_id, Submission.kind == SubmissionKind.OUTCOME_SYNTHESIS))}
        return found


def _tiers(app, round_id) -> set[Tier]:
    return {tier for _kind, tier, _group in _audiences(app, round_id)}


def _events(app, user) -> list[str]:
    with app.app_context():
        return list(session().scalars(select(Notification.event).where(Notification.user_id == user.id)
                                      .order_by(Notification.id)))


def _propose(app, world, round_, who="foreign_cofacilitator", tier="community", reason="It is public knowledge."):
    with app.test_request_context():
        return rounds_decl.propose_round(viewer(app, world[who]), round_.id, tier=tier, sharing_group_id=None,
                                         reason=reason)


# ---------------------------------------------------------------- proposals


def test_a_foreign_cofacilitator_cannot_lower_the_round_directly(app, world, audit_rows):
    round_ = _round(app, world)
    now = utcnow()
    with app.test_request_context():
        with pytest.raises(Forbidden, match="Only the facilitating organisation") as refused:
            dialogue_rounds.update_round(
                viewer(app, world["foreign_cofacilitator"]), round_.id, title=round_.title,
                questions_source="Q", paragraphs=[16], tier=Tier.COMMUNITY, sharing_group_id=None,
                opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=7), chatham_house=False,
                facilitator_ids=[world["creator"].id, world["korean_cofacilitator"].id,
                                 world["foreign_cofacilitator"].id],
                confirm_declassification=True)
    assert refused.value.status == 403
    assert _tiers(app, round_.id) == {Tier.RESTRICTED}
    assert not audit_rows("round.updated")


def test_propose_then_refuse_changes_nothing_and_both_sides_are_told(app, world, audit_rows):
    round_ = _round(app, world, concluded=True)
    before = _audiences(app, round_.id)
    proposal = _propose(app, world, round_)
    assert "declassification_proposed" in _events(app, world["creator"])
    assert "declassification_proposed" in _events(app, world["korean_cofacilitator"])
    with app.test_request_context():
        declassification.refuse(viewer(app, world["creator"]), proposal.id, "Still sensitive.")
    assert _audiences(app, round_.id) == before
    assert "declassification_answered" in _events(app, world["foreign_cofacilitator"])
    [proposed] = audit_rows("round.declassification_proposed")
    assert proposed.actor_id == world["foreign_cofacilitator"].id and proposed.object_type == "dialogue_round"
    [refused] = audit_rows("round.declassification_refused")
    assert refused.actor_id == world["creator"].id and refused.details["reason"] == "Still sensitive."
    assert not audit_rows("round.declassified")


def test_accepting_lowers_the_round_its_threads_and_synthesis_as_the_originators_act(app, world, audit_rows):
    round_ = _round(app, world, concluded=True)
    proposal = _propose(app, world, round_)
    with app.test_request_context():
        declassification.accept(viewer(app, world["korean_cofacilitator"]), proposal.id)
    assert _tiers(app, round_.id) == {Tier.COMMUNITY}
    assert {kind for kind, _t, _g in _audiences(app, round_.id)} == {"round", "thread", "synthesis"}
    [row] = audit_rows("round.declassified")
    assert row.actor_id == world["korean_cofacilitator"].id and row.details["by_originator"] is True
    assert row.details["proposal"] == proposal.id
    assert audit_rows("round.declassification_accepted")[0].details["proposer"] == world["foreign_cofacilitator"].id
    assert "declassification_answered" in _events(app, world["foreign_cofacilitator"])
    assert "tier_changed" in _events(app, world["creator"])  # a colleague's act on the creator's round
    with app.app_context():
        assert session().get(TierProposal, proposal.id).status == "accepted"


def test_accepting_twice_is_a_conflict(app, world, audit_rows):
    round_ = _round(app, world)
    proposal = _propose(app, world, round_)
    with app.test_request_context():
        declassification.accept(viewer(app, world["creator"]), proposal.id)
        with pytest.raises(Conflict, match="already accepted"):
            declassification.accept(viewer(app, world["creator"]), proposal.id)
    assert len(audit_rows("round.declassified")) == 1


@pytest.mark.parametrize("who", ["foreign_cofacilitator", "facilitator"])
def test_only_the_facilitating_organisation_answers(app, world, who):
    round_ = _round(app, world)
    proposal = _propose(app, world, round_, who="facilitator" if who == "foreign_cofacilitator" else
                        "foreign_cofacilitator")
    with app.test_request_context():
        with pytest.raises(Forbidden, match="facilitating organisation") as refused:
            declassification.accept(viewer(app, world[who]), proposal.id)
    assert refused.value.status == 403
    assert _tiers(app, round_.id) == {Tier.RESTRICTED}


def test_a_proposal_on_a_round_the_user_cannot_read_is_not_found(app, world):
    round_ = _round(app, world)
    with app.test_request_context():
        with pytest.raises(NotFound):
            _propose(app, world, round_, who="low_facilitator")
    proposal = _propose(app, world, round_)
    with app.test_request_context():
        with pytest.raises(NotFound):
            declassification.accept(viewer(app, world["low_facilitator"]), proposal.id)


@pytest.mark.parametrize("who, tier, reason, error", [
    ("reader", "public", "why", Forbidden),  # not a facilitator (and the round is community: readable)
    ("creator", "public", "why", Conflict),  # the originator changes it directly
    ("foreign_cofacilitator", "confidential", "why", ServiceError),  # raising is not a proposal
    ("foreign_cofacilitator", "public", "  ", ServiceError),  # a reason is required
])
def test_bad_proposals_are_refused(app, world, who, tier, reason, error):
    round_ = _round(app, world, tier=Tier.COMMUNITY)
    with app.test_request_context():
        with pytest.raises(error):
            rounds_decl.propose_round(viewer(app, world[who]), round_.id, tier=tier, sharing_group_id=None,
                                      reason=reason)


# ---------------------------------------------------------------- scheduled releases


def _schedule(app, world, round_, who="creator", tier="community", at=None):
    with app.test_request_context():
        return rounds_decl.schedule_round_release(viewer(app, world[who]), round_.id, tier=tier,
                                                  release_at=at or utcnow() + timedelta(hours=1))


@pytest.mark.parametrize("tier, delta, message", [
    ("community", timedelta(minutes=-1), "in the future"),
    ("confidential", timedelta(hours=1), "lowers the tier"),
    ("restricted", timedelta(hours=1), "already at this tier"),
])
def test_bad_schedules_are_refused(app, world, audit_rows, tier, delta, message):
    round_ = _round(app, world)
    with app.test_request_context():
        with pytest.raises(ServiceError, match=message) as refused:
            rounds_decl.schedule_round_release(viewer(app, world["creator"]), round_.id, tier=tier,
                                               release_at=utcnow() + delta)
    assert refused.value.status == 400
    assert not audit_rows("round.release")


def test_a_non_originator_and_an_unreadable_round_are_refused(app, world):
    round_ = _round(app, world)
    for who in ("foreign_cofacilitator", "facilitator"):
        with pytest.raises(Forbidden, match="facilitating organisation"):
            _schedule(app, world, round_, who=who)
    with pytest.raises(NotFound):
        _schedule(app, world, round_, who="low_facilitator")
    with pytest.raises(ServiceError, match="YYYY-MM-DD"):
        _schedule(app, world, round_, at="next tuesday")


def test_changing_and_cancelling_a_schedule_are_audited(app, world, audit_rows):
    round_ = _round(app, world)
    first = _schedule(app, world, round_)
    second = _schedule(app, world, round_, tier="public", at=utcnow() + timedelta(days=2))
    assert first.id == second.id
    with app.test_request_context():
        rounds_decl.cancel_round_release(viewer(app, world["korean_cofacilitator"]), round_.id)
        with pytest.raises(Conflict, match="no scheduled release"):
            rounds_decl.cancel_round_release(viewer(app, world["creator"]), round_.id)
    assert [row.action for row in audit_rows("round.release")] == [
        "round.release_scheduled", "round.release_rescheduled", "round.release_cancelled"]


def _run_job(app, moment):
    with app.app_context():
        return claims.run_once(app, schedule.periodic_job("archive.scheduled_releases"), moment)


@pytest.fixture
def clock(monkeypatch):
    def set_to(moment):
        monkeypatch.setattr(declassification, "utcnow", lambda: moment)
    return set_to


def test_the_job_releases_a_concluded_round_once_as_the_originators_act(app, world, audit_rows, clock):
    round_ = _round(app, world, concluded=True)
    with app.app_context(), unit_of_work() as db:
        add_watch(db, world["reader"].id, "paragraph", 16)
    release = _schedule(app, world, round_, who="korean_cofacilitator")
    clock(release.release_at - timedelta(minutes=2))
    assert _run_job(app, release.release_at - timedelta(minutes=2)) == 0
    assert _tiers(app, round_.id) == {Tier.RESTRICTED}
    clock(release.release_at + timedelta(seconds=30))
    assert _run_job(app, release.release_at + timedelta(seconds=30)) == 1
    with app.app_context():
        assert declassification.release_due_now() == 0  # done once, never again
        assert session().get(ScheduledRelease, release.id).status == "done"
    assert _tiers(app, round_.id) == {Tier.COMMUNITY}
    [row] = audit_rows("round.declassified")
    assert row.actor_id == world["korean_cofacilitator"].id and row.details["how"] == "scheduled release"
    assert "scheduled_release_done" in _events(app, world["korean_cofacilitator"])
    assert {"round_created", "published"} <= set(_events(app, world["reader"]))  # a watcher who may now read


def test_a_release_on_a_deleted_round_does_nothing_and_says_so(app, world, audit_rows, clock):
    round_ = _round(app, world, with_thread=False)  # a round nobody wrote in yet can be deleted
    release = _schedule(app, world, round_)
    with app.app_context(), unit_of_work() as db:
        db.delete(db.get(DialogueRound, round_.id))
    clock(release.release_at + timedelta(seconds=1))
    _run_job(app, release.release_at + timedelta(seconds=1))
    [row] = audit_rows("round.release_skipped")
    assert "deleted" in row.details["reason"] and row.object_id == round_.id
    assert not audit_rows("round.declassified")


def test_a_release_on_a_round_lowered_meanwhile_does_nothing(app, world, audit_rows, clock):
    round_ = _round(app, world)
    release = _schedule(app, world, round_)
    proposal = _propose(app, world, round_, tier="public")
    with app.test_request_context():
        declassification.accept(viewer(app, world["creator"]), proposal.id)
    clock(release.release_at + timedelta(seconds=1))
    _run_job(app, release.release_at + timedelta(seconds=1))
    [row] = audit_rows("round.release_skipped")
    assert "already at or below" in row.details["reason"]
    assert _tiers(app, round_.id) == {Tier.PUBLIC}


def test_a_release_by_someone_no_longer_acting_for_the_originator_does_nothing(app, world, audit_rows, clock):
    from webapp.models import User

    round_ = _round(app, world)
    release = _schedule(app, world, round_, who="korean_cofacilitator")
    with app.app_context(), unit_of_work() as db:
        db.get(User, world["korean_cofacilitator"].id).is_facilitator = False
    clock(release.release_at + timedelta(seconds=1))
    _run_job(app, release.release_at + timedelta(seconds=1))
    assert _tiers(app, round_.id) == {Tier.RESTRICTED}
    assert "no longer acts" in audit_rows("round.release_skipped")[0].details["reason"]


# ---------------------------------------------------------------- pages


def test_the_round_audience_page_and_its_forms(app, world, client_for, form_token, audit_rows):
    round_ = _round(app, world)
    foreign = client_for(world["foreign_cofacilitator"])
    assert "/audience" in foreign.get(f"/dialogue/rounds/{round_.id}").get_data(as_text=True)
    page = foreign.get(f"/dialogue/rounds/{round_.id}/audience")
    assert page.status_code == 200 and "Propose lowering the tier" in page.get_data(as_text=True)
    token = form_token(foreign, f"/dialogue/rounds/{round_.id}/audience")
    empty = foreign.post(f"/dialogue/rounds/{round_.id}/propose", data={"csrf_token": token,
                                                                      "proposed_tier": "community", "reason": ""})
    assert empty.status_code == 400
    sent = foreign.post(f"/dialogue/rounds/{round_.id}/propose", data={
        "csrf_token": token, "proposed_tier": "community", "proposed_group_id": "", "reason": "Known widely."})
    assert sent.status_code == 302
    assert round_.title in foreign.get("/archive/proposals").get_data(as_text=True)
    assert foreign.post(f"/dialogue/rounds/{round_.id}/release", data={
        "csrf_token": token, "release_tier": "community", "release_at": "2099-01-01 10:00"}).status_code == 403

    creator = client_for(world["creator"])
    page = creator.get(f"/dialogue/rounds/{round_.id}/audience").get_data(as_text=True)
    assert "Known widely." in page and "Schedule the release" in page
    token = form_token(creator, f"/dialogue/rounds/{round_.id}/audience")
    past = creator.post(f"/dialogue/rounds/{round_.id}/release", data={
        "csrf_token": token, "release_tier": "community", "release_at": "2001-01-01 10:00"})
    assert past.status_code == 400 and "in the future" in past.get_data(as_text=True)
    done = creator.post(f"/dialogue/rounds/{round_.id}/release", data={
        "csrf_token": token, "release_tier": "community", "release_at": "2099-01-01 10:00"})
    assert done.status_code == 302
    assert "will be released" in creator.get(f"/dialogue/rounds/{round_.id}/audience").get_data(as_text=True)
    with app.app_context():
        proposal_id = session().scalar(select(TierProposal.id).where(TierProposal.round_id == round_.id))
    refused = creator.post(f"/archive/proposals/{proposal_id}/refuse", data={"csrf_token": token, "reason": "No."})
    assert refused.status_code == 302 and refused.headers["Location"].endswith(f"/dialogue/rounds/{round_.id}")
    assert creator.post(f"/dialogue/rounds/{round_.id}/release/cancel",
                        data={"csrf_token": token}).status_code == 302
    assert [r.action for r in audit_rows("round.release")] == ["round.release_scheduled", "round.release_cancelled"]
    assert _tiers(app, round_.id) == {Tier.RESTRICTED}


def test_the_synthesis_page_sends_the_originator_and_proposers_to_its_round(app, world, client_for):
    round_ = _round(app, world, concluded=True)
    with app.app_context():
        synthesis_id = session().scalar(select(Submission.id).where(Submission.round_id == round_.id))
    link = f"/dialogue/rounds/{round_.id}/audience"
    for who in ("creator", "foreign_cofacilitator", "facilitator"):
        assert link in client_for(world[who]).get(f"/archive/{synthesis_id}").get_data(as_text=True), who
    restricted_reader = world["reader"]
    assert client_for(restricted_reader).get(f"/archive/{synthesis_id}").status_code == 404


def test_any_facilitator_raises_a_concluded_round_at_once(app, world, audit_rows, client_for, form_token):
    round_ = _round(app, world, concluded=True)
    with app.test_request_context():
        with pytest.raises(Forbidden):  # a facilitator who reads it but does not facilitate it
            rounds_decl.raise_round_tier(viewer(app, world["facilitator"]), round_.id, tier="confidential")
        with pytest.raises(NotFound):
            rounds_decl.raise_round_tier(viewer(app, world["low_facilitator"]), round_.id, tier="confidential")
    foreign = client_for(world["foreign_cofacilitator"])
    page = foreign.get(f"/dialogue/rounds/{round_.id}/audience").get_data(as_text=True)
    assert "Raise the tier now" in page and "Propose lowering the tier" in page
    token = form_token(foreign, f"/dialogue/rounds/{round_.id}/audience")
    lower = foreign.post(f"/dialogue/rounds/{round_.id}/raise", data={"csrf_token": token, "raise_tier": "community"})
    assert lower.status_code == 400 and "above the round" in lower.get_data(as_text=True)
    assert _tiers(app, round_.id) == {Tier.RESTRICTED}
    done = foreign.post(f"/dialogue/rounds/{round_.id}/raise", data={"csrf_token": token, "raise_tier": "confidential"})
    assert done.status_code == 302
    assert _tiers(app, round_.id) == {Tier.CONFIDENTIAL}  # the round, its threads and its synthesis, at once
    [row] = audit_rows("round.tier_changed")
    assert row.actor_id == world["foreign_cofacilitator"].id and row.details["by_originator"] is False
    assert "tier_changed" in _events(app, world["creator"])
