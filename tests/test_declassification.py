"""Declassification belongs to the originator (issue 11 §1, DESIGN.md rule 8, docs §7): a reviewer from elsewhere
proposes, the originator accepts or refuses; the originator schedules a release that the job engine carries out
once, as the originator's act, effective everywhere on the next request."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.archive_helpers import lesson_data, viewer
from webapp.db import session, unit_of_work
from webapp.jobs import claims, schedule
from webapp.models import (
    Notification, ScheduledRelease, SearchOutboxEntry, Submission, SubmissionRevision, Tier,
    TierProposal, utcnow,
)
from webapp.services import Conflict, Forbidden, NotFound, ServiceError, declassification
from webapp.services.notifications import add_watch
from webapp.services.submission_workflow import publish_submission, submit_submission, withdraw_submission
from webapp.services.submissions import change_submission_tier, create_submission


@pytest.fixture
def world(app, make_user, make_org):
    korea = make_org(stakeholder_type="state", country="KR", name="Republic of Korea")
    elsewhere = make_org(stakeholder_type="state", country="NL", name="Kingdom of the Netherlands")
    return {
        "author": make_user(clearance="restricted", org=korea, name="Min-jun Author"),
        "korean_reviewer": make_user(clearance="confidential", roles=("facilitator",), org=korea),
        "colleague": make_user(clearance="confidential", org=korea),
        "facilitator": make_user(clearance="confidential", roles=("facilitator",), org=elsewhere, name="Fay"),
        "low_facilitator": make_user(clearance="community", roles=("facilitator",), org=elsewhere),
        "reader": make_user(clearance="community", org=elsewhere, name="Community Reader"),
    }


def _published(app, world, **fields) -> Submission:
    with app.test_request_context():
        item = create_submission(viewer(world["author"]), "lesson_learnt", lesson_data(**fields))
        submit_submission(viewer(world["author"]), item.id)
        return publish_submission(viewer(world["korean_reviewer"]), item.id)


def _state(app, item_id: int) -> tuple:
    with app.app_context():
        db = session()
        item = db.get(Submission, item_id)
        return (item.tier, item.sharing_group_id,
                db.scalar(select(func.count()).select_from(SubmissionRevision)
                          .where(SubmissionRevision.submission_id == item_id)))


def _events(app, user) -> list[str]:
    with app.app_context():
        return list(session().scalars(select(Notification.event).where(Notification.user_id == user.id)
                                      .order_by(Notification.id)))


def _propose(app, world, item, who="facilitator", tier="community", group=None, reason="Widely known now."):
    with app.test_request_context():
        return declassification.propose(viewer(world[who]), item.id, tier=tier, sharing_group_id=group,
                                        reason=reason)


# ---------------------------------------------------------------- proposals


def test_propose_then_refuse_changes_nothing_and_both_sides_are_told(app, world, audit_rows):
    item = _published(app, world, tier="restricted")
    before = _state(app, item.id)
    proposal = _propose(app, world, item)
    assert "declassification_proposed" in _events(app, world["author"])
    assert "declassification_proposed" in _events(app, world["korean_reviewer"])
    assert "declassification_proposed" not in _events(app, world["colleague"])  # neither author nor reviewer
    with app.test_request_context():
        declassification.refuse(viewer(world["author"]), proposal.id, "Still sensitive.")
    assert _state(app, item.id) == before
    assert "declassification_answered" in _events(app, world["facilitator"])
    [proposed] = audit_rows("submission.declassification_proposed")
    assert proposed.actor_id == world["facilitator"].id and proposed.details["tier"] == "community"
    [refused] = audit_rows("submission.declassification_refused")
    assert refused.actor_id == world["author"].id and refused.details["reason"] == "Still sensitive."
    assert not audit_rows("submission.declassified")


def test_propose_then_accept_lowers_as_the_originators_act(app, world, audit_rows):
    item = _published(app, world, tier="restricted")
    proposal = _propose(app, world, item)
    with app.test_request_context():
        declassification.accept(viewer(world["korean_reviewer"]), proposal.id)
    assert _state(app, item.id)[:2] == (Tier.COMMUNITY, None)
    [row] = audit_rows("submission.declassified")
    assert row.actor_id == world["korean_reviewer"].id and row.details["by_originator"] is True
    assert row.details["proposal"] == proposal.id
    [accepted] = audit_rows("submission.declassification_accepted")
    assert accepted.details["proposer"] == world["facilitator"].id
    assert "declassification_answered" in _events(app, world["facilitator"])
    with app.app_context():
        assert session().get(TierProposal, proposal.id).status == "accepted"
        assert session().scalar(select(func.count()).select_from(SearchOutboxEntry)
                                .where(SearchOutboxEntry.object_id == item.id)) >= 1


def test_accepting_twice_is_a_conflict(app, world, audit_rows):
    item = _published(app, world, tier="restricted")
    proposal = _propose(app, world, item)
    with app.test_request_context():
        declassification.accept(viewer(world["author"]), proposal.id)
        with pytest.raises(Conflict, match="already accepted"):
            declassification.accept(viewer(world["author"]), proposal.id)
        with pytest.raises(Conflict):
            declassification.refuse(viewer(world["author"]), proposal.id)
    assert len(audit_rows("submission.declassified")) == 1


@pytest.mark.parametrize("who", ["facilitator", "colleague", "low_facilitator"])
def test_only_the_originator_answers(app, world, who):
    item = _published(app, world, tier="community")
    proposal = _propose(app, world, item, tier="public")
    before = _state(app, item.id)
    with app.test_request_context():
        for answer in (declassification.accept, declassification.refuse):
            with pytest.raises(Forbidden, match="originating organisation"):
                answer(viewer(world[who]), proposal.id)
    assert _state(app, item.id) == before
    with app.app_context():
        assert session().get(TierProposal, proposal.id).status == "pending"


def test_a_proposal_on_an_item_the_user_cannot_read_is_not_found(app, world):
    item = _published(app, world, tier="restricted")
    proposal = _propose(app, world, item)
    with app.test_request_context():
        with pytest.raises(NotFound):
            declassification.propose(viewer(world["low_facilitator"]), item.id, tier="community",
                                     sharing_group_id=None, reason="x")
        with pytest.raises(NotFound):
            declassification.accept(viewer(world["low_facilitator"]), proposal.id)
        with pytest.raises(NotFound):
            declassification.accept(viewer(world["author"]), 987654)


@pytest.mark.parametrize("tier, reason, message", [
    ("restricted", "x", "lowers the tier"),  # the current tier
    ("confidential", "x", "lowers the tier"),  # higher: raise it directly instead
    ("community", "   ", "Give a reason"),
    ("community", "x" * 2001, "too long"),
    ("secret", "x", "Unknown access tier"),
])
def test_bad_proposals_are_refused(app, world, tier, reason, message):
    item = _published(app, world, tier="restricted")
    with app.test_request_context():
        with pytest.raises(ServiceError, match=message) as refused:
            declassification.propose(viewer(world["facilitator"]), item.id, tier=tier, sharing_group_id=None,
                                     reason=reason)
    assert refused.value.status == 400


def test_the_originator_and_ordinary_readers_do_not_propose(app, world):
    item = _published(app, world, tier="community")
    with app.test_request_context():
        with pytest.raises(Conflict, match="change the tier directly"):
            declassification.propose(viewer(world["author"]), item.id, tier="public", sharing_group_id=None,
                                     reason="x")
        with pytest.raises(Forbidden):
            declassification.propose(viewer(world["reader"]), item.id, tier="public", sharing_group_id=None,
                                     reason="x")


def test_a_second_pending_proposal_by_the_same_person_is_a_conflict(app, world):
    item = _published(app, world, tier="restricted")
    _propose(app, world, item)
    with pytest.raises(Conflict, match="already have a proposal"):
        _propose(app, world, item, tier="public")


def test_the_tier_page_offers_the_proposal_form_instead_of_the_refusal(app, world, client_for, form_token):
    item = _published(app, world, tier="restricted")
    client = client_for(world["facilitator"])
    page = client.get(f"/archive/{item.id}/tier").get_data(as_text=True)
    assert f"/archive/{item.id}/propose" in page
    # one proposal form, in the page's content (it once also landed inside <title>, twice over)
    assert page.count('id="propose-heading"') == 1
    assert re.search(r"<title>[^<]*</title>", page)
    token = form_token(client, f"/archive/{item.id}/tier")
    empty = client.post(f"/archive/{item.id}/propose", data={"csrf_token": token, "proposed_tier": "community"})
    assert empty.status_code == 400
    higher = client.post(f"/archive/{item.id}/propose", data={
        "csrf_token": token, "proposed_tier": "confidential", "reason": "x"})
    assert higher.status_code == 400 and "lowers the tier" in higher.get_data(as_text=True)
    sent = client.post(f"/archive/{item.id}/propose", data={
        "csrf_token": token, "proposed_tier": "community", "reason": "Now in the public report."})
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/archive/proposals")
    mine = client.get("/archive/proposals").get_data(as_text=True)
    assert item.title in mine and "Waiting for the originator" in mine
    # The originator sees it on the item page and answers there.
    author = client_for(world["author"])
    shown = author.get(f"/archive/{item.id}").get_data(as_text=True)
    assert "Now in the public report." in shown
    [proposal_id] = re.findall(r"/archive/proposals/(\d+)/refuse", shown)
    # A non-originator's post changes nothing.
    other = client_for(world["colleague"])
    other_token = form_token(other, "/archive/new")
    assert other.post(f"/archive/proposals/{proposal_id}/accept",
                      data={"csrf_token": other_token}).status_code == 403
    token = form_token(author, f"/archive/{item.id}")
    refused = author.post(f"/archive/proposals/{proposal_id}/refuse",
                          data={"csrf_token": token, "reason": "Not yet."})
    assert refused.status_code == 302
    assert _state(app, item.id)[0] is Tier.RESTRICTED
    assert "Not yet." in client.get("/archive/proposals").get_data(as_text=True)
    assert author.post(f"/archive/proposals/{proposal_id}/accept",
                       data={"csrf_token": token}).status_code == 409


def test_the_proposal_routes_answer_404_for_unreadable_items(app, world, client_for, form_token):
    item = _published(app, world, tier="restricted")
    client = client_for(world["low_facilitator"])
    token = form_token(client, "/archive/new")
    for path in (f"/archive/{item.id}/propose", f"/archive/{item.id}/release",
                 f"/archive/{item.id}/release/cancel", "/archive/proposals/99999/accept",
                 "/archive/proposals/99999/refuse"):
        assert client.post(path, data={"csrf_token": token, "reason": "x", "proposed_tier": "public"}
                           ).status_code == 404, path


# ---------------------------------------------------------------- scheduled releases


def _schedule(app, world, item, who="author", tier="community", at=None):
    with app.test_request_context():
        return declassification.schedule_release(viewer(world[who]), item.id, tier=tier,
                                                 release_at=at or utcnow() + timedelta(hours=1))


@pytest.mark.parametrize("tier, delta, message", [
    ("community", timedelta(minutes=-1), "in the future"),
    ("confidential", timedelta(hours=1), "lowers the tier"),
    ("restricted", timedelta(hours=1), "already at this tier"),
])
def test_bad_schedules_are_refused(app, world, audit_rows, tier, delta, message):
    item = _published(app, world, tier="restricted")
    with app.test_request_context():
        with pytest.raises(ServiceError, match=message) as refused:
            declassification.schedule_release(viewer(world["author"]), item.id, tier=tier,
                                              release_at=utcnow() + delta)
    assert refused.value.status == 400
    assert not audit_rows("submission.release")


def test_a_malformed_date_and_a_non_originator_are_refused(app, world):
    item = _published(app, world, tier="restricted")
    with app.test_request_context():
        with pytest.raises(ServiceError, match="YYYY-MM-DD"):
            declassification.schedule_release(viewer(world["author"]), item.id, tier="community",
                                              release_at="next tuesday")
        for who in ("facilitator", "colleague"):
            with pytest.raises(Forbidden, match="originating organisation"):
                declassification.schedule_release(viewer(world[who]), item.id, tier="community",
                                                  release_at=utcnow() + timedelta(hours=1))
        with pytest.raises(NotFound):
            declassification.schedule_release(viewer(world["low_facilitator"]), item.id, tier="community",
                                              release_at=utcnow() + timedelta(hours=1))


def test_changing_and_cancelling_a_schedule_are_audited(app, world, audit_rows):
    item = _published(app, world, tier="restricted")
    first = _schedule(app, world, item)
    second = _schedule(app, world, item, tier="public", at=utcnow() + timedelta(days=2))
    assert first.id == second.id
    with app.test_request_context():
        declassification.cancel_release(viewer(world["korean_reviewer"]), item.id)
        with pytest.raises(Conflict, match="no scheduled release"):
            declassification.cancel_release(viewer(world["author"]), item.id)
    assert [row.action for row in audit_rows("submission.release")] == [
        "submission.release_scheduled", "submission.release_rescheduled", "submission.release_cancelled"]
    assert audit_rows("submission.release_rescheduled")[0].details["tier_before"] == "community"


def _run_job(app, moment):
    with app.app_context():  # as the engine runs it: an app context, no request
        return claims.run_once(app, schedule.periodic_job("archive.scheduled_releases"), moment)


@pytest.fixture
def clock(monkeypatch):
    """Move the release job's clock (the job reads declassification.utcnow)."""
    def set_to(moment):
        monkeypatch.setattr(declassification, "utcnow", lambda: moment)
    return set_to


def test_the_job_releases_once_at_the_date_as_the_originators_act(app, world, audit_rows, clock):
    item = _published(app, world, tier="restricted", paragraphs=[3])
    with app.test_request_context():
        with unit_of_work() as db:
            add_watch(db, world["reader"].id, "paragraph", 3)
    release = _schedule(app, world, item, who="korean_reviewer")
    due = release.release_at
    clock(due - timedelta(minutes=2))
    assert _run_job(app, due - timedelta(minutes=2)) == 0  # not yet
    assert _state(app, item.id)[0] is Tier.RESTRICTED
    clock(due + timedelta(seconds=30))
    assert _run_job(app, due + timedelta(seconds=30)) == 1
    assert _run_job(app, due + timedelta(seconds=30)) is None  # the same slot, another consumer: skipped
    with app.app_context():  # and even without the slot claim, a done release is not done again
        assert declassification.release_due_now() == 0
    clock(due + timedelta(minutes=3))
    assert _run_job(app, due + timedelta(minutes=3)) == 0  # a later slot: nothing left to do
    assert _state(app, item.id)[0] is Tier.COMMUNITY
    [row] = audit_rows("submission.declassified")
    assert row.actor_id == world["korean_reviewer"].id
    assert row.details["how"] == "scheduled release" and row.details["by_originator"] is True
    assert "scheduled_release_done" in _events(app, world["korean_reviewer"])
    assert "published" in _events(app, world["reader"])  # a watcher who may read it now
    assert "tier_changed" in _events(app, world["author"])  # the author hears of a colleague's act
    with app.app_context():
        assert session().get(ScheduledRelease, release.id).status == "done"


def test_a_release_on_a_withdrawn_item_does_nothing_and_says_so(app, world, audit_rows, clock):
    item = _published(app, world, tier="restricted")
    release = _schedule(app, world, item)
    with app.test_request_context():
        withdraw_submission(viewer(world["author"]), item.id)
    clock(release.release_at + timedelta(seconds=1))
    _run_job(app, release.release_at + timedelta(seconds=1))
    assert _state(app, item.id)[0] is Tier.RESTRICTED
    [row] = audit_rows("submission.release_skipped")
    assert "withdrawn" in row.details["reason"] and row.actor_id == world["author"].id
    assert not audit_rows("submission.declassified")


def test_a_release_on_an_item_lowered_meanwhile_does_nothing(app, world, audit_rows, clock):
    item = _published(app, world, tier="restricted")
    release = _schedule(app, world, item)
    with app.test_request_context():
        change_submission_tier(viewer(world["author"]), item.id, tier="community", sharing_group_id=None,
                               confirm=True)
    clock(release.release_at + timedelta(seconds=1))
    _run_job(app, release.release_at + timedelta(seconds=1))
    [row] = audit_rows("submission.release_skipped")
    assert "already at or below" in row.details["reason"]
    assert len(audit_rows("submission.declassified")) == 1  # the author's own, not the schedule's


def test_a_release_on_a_deleted_item_does_nothing_and_says_so(app, world, audit_rows, clock):
    item = _published(app, world, tier="restricted")
    release = _schedule(app, world, item)
    with app.app_context():
        with unit_of_work() as db:
            db.delete(db.get(Submission, item.id))
    clock(release.release_at + timedelta(seconds=1))
    _run_job(app, release.release_at + timedelta(seconds=1))
    [row] = audit_rows("submission.release_skipped")
    assert "deleted" in row.details["reason"] and row.object_id == item.id


def test_a_release_shows_everywhere_on_the_next_request(app, world, client_for, clock):
    app.config["SEARCH_APPLY_AFTER_COMMIT"] = True
    item = _published(app, world, tier="restricted", title="Quarantined drone swarm lesson")
    reader, anonymous = client_for(world["reader"]), client_for(None)

    def everywhere(client) -> tuple:
        return (client.get(f"/archive/{item.id}").status_code, client.get(f"/archive/{item.id}.json").status_code,
                "Quarantined drone swarm" in client.get("/search?q=quarantined").get_data(as_text=True),
                "Quarantined drone swarm" in client.get("/archive/feed.atom").get_data(as_text=True),
                "Quarantined drone swarm" in client.get("/archive/").get_data(as_text=True))

    assert everywhere(reader) == everywhere(anonymous) == (404, 404, False, False, False)
    release = _schedule(app, world, item, tier="public")
    clock(release.release_at + timedelta(seconds=1))
    _run_job(app, release.release_at + timedelta(seconds=1))
    assert everywhere(reader) == everywhere(anonymous) == (200, 200, True, True, True)


def test_the_originator_schedules_on_the_tier_page(app, world, client_for, form_token, audit_rows):
    item = _published(app, world, tier="restricted")
    author = client_for(world["author"])
    page = author.get(f"/archive/{item.id}/tier").get_data(as_text=True)
    assert f"/archive/{item.id}/release" in page
    assert page.count('id="release-heading"') == 1 and re.search(r"<title>[^<]*</title>", page)
    token = form_token(author, f"/archive/{item.id}/tier")
    past = author.post(f"/archive/{item.id}/release", data={
        "csrf_token": token, "release_tier": "community", "release_at": "2001-01-01 10:00"})
    assert past.status_code == 400 and "in the future" in past.get_data(as_text=True)
    bad = author.post(f"/archive/{item.id}/release", data={
        "csrf_token": token, "release_tier": "community", "release_at": "soon"})
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.get_data(as_text=True)
    when = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    done = author.post(f"/archive/{item.id}/release", data={
        "csrf_token": token, "release_tier": "community", "release_at": when})
    assert done.status_code == 302
    assert "will be released" in author.get(f"/archive/{item.id}/tier").get_data(as_text=True)
    facilitator = client_for(world["facilitator"])
    assert facilitator.post(f"/archive/{item.id}/release/cancel", data={
        "csrf_token": form_token(facilitator, "/archive/new")}).status_code == 403
    assert author.post(f"/archive/{item.id}/release/cancel", data={"csrf_token": token}).status_code == 302
    assert [r.action for r in audit_rows("submission.release")] == [
        "submission.release_scheduled", "submission.release_cancelled"]


def test_a_release_by_someone_no_longer_acting_for_the_originator_does_nothing(app, world, audit_rows, clock):
    from webapp.models import User

    item = _published(app, world, tier="restricted")
    release = _schedule(app, world, item, who="korean_reviewer")
    with app.app_context(), unit_of_work() as db:
        db.get(User, world["korean_reviewer"].id).is_facilitator = False
    clock(release.release_at + timedelta(seconds=1))
    _run_job(app, release.release_at + timedelta(seconds=1))
    assert _state(app, item.id)[0] is Tier.RESTRICTED
    [row] = audit_rows("submission.release_skipped")
    assert "no longer acts for the originator" in row.details["reason"]
