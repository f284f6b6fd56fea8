"""The originator stays in control (issue 11 §1–2) in a real browser: Korea schedules the release of a restricted
lesson when sharing it and the job releases it on the date; a facilitator of another state proposes lowering it and
Korea refuses; an author edits a published lesson and readers keep the old text until the reviewer publishes."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.archive_helpers import lesson_data, viewer
from tests.browser.conftest import assert_accessible, sign_out
from tests.browser.test_archive_browser import sign_in
from webapp.db import session, unit_of_work
from webapp.models import ScheduledRelease, Submission, utcnow
from webapp.services import declassification
from webapp.services.submission_workflow import publish_submission, submit_submission
from webapp.services.submissions import create_submission

pytestmark = pytest.mark.browser


@pytest.fixture
def korea(make_org, make_user):
    seoul = make_org(stakeholder_type="state", country="KR", name="Republic of Korea MND")
    hague = make_org(stakeholder_type="state", country="NL", name="Netherlands MoD")
    return {
        "author": make_user("restricted", org=seoul, name="Min-jun Park"),
        "reviewer": make_user("confidential", roles=("facilitator",), org=seoul, name="Ji-woo Kim"),
        "foreign_facilitator": make_user("confidential", roles=("facilitator",), org=hague, name="Fenna de Vries"),
        "reader": make_user("community", org=hague, name="Ruben Reader"),
        "seoul": seoul,
    }


def _published(app, korea, **fields) -> int:
    with app.test_request_context():
        item = create_submission(viewer(korea["author"]), "lesson_learnt", lesson_data(**fields))
        submit_submission(viewer(korea["author"]), item.id)
        return publish_submission(viewer(korea["reviewer"]), item.id).id


def test_korea_schedules_the_release_of_a_restricted_lesson(app, page, live_server, korea, tmp_path):
    when = (utcnow() + timedelta(days=30)).replace(second=0, microsecond=0)
    sign_in(page, live_server, korea["author"])
    page.goto(live_server + "/archive/new/lesson_learnt")
    page.get_by_label("Title", exact=True).fill("Counter-drone jamming at the DMZ")
    page.get_by_label("Summary", exact=True).fill("Jamming cut our own links first.")
    page.get_by_label("14. Exchange of good practices").check()
    page.get_by_label("Observation", exact=True).fill("Our own links dropped before the drones' did.")
    page.get_by_label("Discussion", exact=True).fill("Frequency planning lagged.")
    page.get_by_label("Conclusion", exact=True).fill("Plan frequencies with the jammer.")
    page.get_by_label("Recommendation", exact=True).fill("Joint frequency drills.")
    page.get_by_label("Lifecycle stage").select_option("use")
    page.get_by_label("Access tier").select_option("restricted")
    page.get_by_label("Release to a lower tier later (optional)").select_option("community")
    page.get_by_label("Release on (UTC, YYYY-MM-DD HH:MM)").fill(when.strftime("%Y-%m-%d %H:%M"))
    page.locator("fieldset.release").screenshot(path=str(tmp_path / "release-on-create.png"))
    assert_accessible(page)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Counter-drone jamming at the DMZ")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review.")).to_be_visible()
    page.get_by_role("link", name="Change access tier").click()
    expect(page.get_by_role("status").filter(has_text="will be released")).to_contain_text("Community")
    page.screenshot(path=str(tmp_path / "release-scheduled.png"), full_page=True)
    assert_accessible(page)

    with app.app_context():
        item_id = session().scalar(__import__("sqlalchemy").select(Submission.id))
    sign_in(page, live_server, korea["reviewer"])
    page.goto(f"{live_server}/archive/{item_id}")
    page.get_by_role("link", name="Publish…").click()  # the question page says what happens next
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published.")).to_be_visible()

    sign_in(page, live_server, korea["reader"])
    assert page.goto(f"{live_server}/archive/{item_id}").status == 404  # community: not yet
    with app.app_context(), unit_of_work() as db:  # the job engine's run on the date
        assert declassification.release_due(db, when + timedelta(seconds=30)) == 1
    assert page.goto(f"{live_server}/archive/{item_id}").status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Counter-drone jamming at the DMZ")
    expect(page.get_by_text("TLP:GREEN").first).to_be_visible()
    with app.app_context():
        assert session().scalar(__import__("sqlalchemy").select(ScheduledRelease.status)) == "done"


def test_a_foreign_facilitator_proposes_and_korea_refuses(app, page, live_server, korea, tmp_path):
    item_id = _published(app, korea, tier="restricted", title="Loitering munition abort codes")
    sign_in(page, live_server, korea["foreign_facilitator"])
    page.goto(f"{live_server}/archive/{item_id}")
    page.get_by_role("link", name="Change access tier").click()
    proposal = page.get_by_role("region", name="Propose lowering the tier")
    proposal.get_by_label("Proposed tier").select_option("community")
    proposal.get_by_label("Reason (the originator reads it)").fill("The abort procedure was published at REAIM.")
    proposal.screenshot(path=str(tmp_path / "proposal-form.png"))
    proposal.get_by_role("button", name="Send the proposal").click()
    expect(page.get_by_text("Your proposal was sent to the originating organisation.")).to_be_visible()
    expect(page.get_by_role("cell", name="Waiting for the originator")).to_be_visible()

    sign_in(page, live_server, korea["author"])
    page.goto(f"{live_server}/archive/{item_id}")
    proposals = page.get_by_role("region", name="Proposals to lower the tier")
    expect(proposals).to_contain_text("Fenna de Vries proposes")
    expect(proposals).to_contain_text("The abort procedure was published at REAIM.")
    proposals.get_by_label("Reason (optional, the proposer reads it)").fill("Our annex is still restricted.")
    proposals.screenshot(path=str(tmp_path / "proposal-answer.png"))
    assert_accessible(page)
    proposals.get_by_role("button", name="Refuse").click()
    expect(page.get_by_text("Proposal refused: nothing was changed.")).to_be_visible()
    expect(page.get_by_text("TLP:AMBER").first).to_be_visible()

    sign_in(page, live_server, korea["foreign_facilitator"])
    page.goto(live_server + "/archive/proposals")
    expect(page.get_by_role("cell", name="Refused")).to_be_visible()
    expect(page.get_by_role("cell", name="Our annex is still restricted.")).to_be_visible()
    page.screenshot(path=str(tmp_path / "proposals-answered.png"), full_page=True)
    sign_out(page)


def test_readers_see_the_published_text_until_the_reviewer_publishes_the_edit(app, page, live_server, korea,
                                                                            tmp_path):
    item_id = _published(app, korea, tier="community", title="Swarm deconfliction",
                         observation="Two swarms collided over the range.")
    sign_in(page, live_server, korea["author"])
    page.goto(f"{live_server}/archive/{item_id}/edit")
    page.get_by_label("Observation", exact=True).fill("Two swarms nearly collided; a geofence stopped them.")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="A revision is waiting for review")).to_be_visible()

    sign_in(page, live_server, korea["reader"])
    page.goto(f"{live_server}/archive/{item_id}")
    expect(page.get_by_text("Two swarms collided over the range.")).to_be_visible()
    expect(page.get_by_text("geofence")).to_have_count(0)
    expect(page.get_by_role("heading", name="A revision is waiting for review")).to_have_count(0)

    sign_in(page, live_server, korea["reviewer"])
    page.goto(f"{live_server}/archive/{item_id}")
    pending = page.locator("section.pending-revision")
    pending.screenshot(path=str(tmp_path / "pending-revision.png"))
    assert_accessible(page)
    pending.get_by_role("button", name="Publish revision").click()
    # signing out at once could cancel the publication still in flight: wait for its answer
    expect(page.get_by_text("The revision is published: readers now see it.")).to_be_visible()

    sign_in(page, live_server, korea["reader"])
    page.goto(f"{live_server}/archive/{item_id}")
    expect(page.get_by_text("Two swarms nearly collided; a geofence stopped them.")).to_be_visible()
    expect(page.get_by_text("Two swarms collided over the range.")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "revision-published.png"), full_page=True)


def test_korea_answers_a_proposal_to_lower_its_round(app, page, live_server, korea, make_user, tmp_path):
    from tests.dialogue_helpers import make_round
    from webapp.models import DialogueRound, Tier

    creator = make_user("confidential", roles=("facilitator",), org=korea["seoul"], name="Seo-yeon Choi")
    round_ = make_round(app, creator, tier=Tier.RESTRICTED, title="Autonomy in air defence",
                        facilitators=(korea["foreign_facilitator"],))
    sign_in(page, live_server, korea["foreign_facilitator"])
    page.goto(f"{live_server}/dialogue/rounds/{round_.id}")
    page.get_by_role("link", name="Propose lowering the tier").click()
    proposal = page.get_by_role("region", name="Propose lowering the tier")
    proposal.get_by_label("Proposed tier").select_option("community")
    proposal.get_by_label("Reason (the originator reads it)").fill("Partners outside the cleared circle asked.")
    assert_accessible(page)
    proposal.get_by_role("button", name="Send the proposal").click()
    expect(page.get_by_text("Your proposal was sent to the facilitating organisation.")).to_be_visible()

    sign_in(page, live_server, creator)
    page.goto(f"{live_server}/dialogue/rounds/{round_.id}")
    page.get_by_role("link", name="Proposals and scheduled release").click()
    proposals = page.get_by_role("region", name="Proposals to lower the tier")
    expect(proposals).to_contain_text("Partners outside the cleared circle asked.")
    page.screenshot(path=str(tmp_path / "round-audience.png"), full_page=True)
    assert_accessible(page)
    proposals.get_by_role("button", name="Accept and lower the tier").click()
    expect(page.get_by_text("Proposal accepted: the access tier changed.")).to_be_visible()
    with app.app_context():
        assert session().get(DialogueRound, round_.id).tier is Tier.COMMUNITY
    sign_in(page, live_server, korea["reader"])
    assert page.goto(f"{live_server}/dialogue/rounds/{round_.id}").status == 200
