"""Dialogue rounds: creation, the window enforced by the server, open/close/conclude, invitations, participation."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.dialogue_helpers import (
    audit_actions,
    fetch,
    make_post,
    make_round,
    make_thread,
    make_world,
    outbox,
    send,
    table_counts,
    viewer,
)
from webapp.models import DialogueRound, RoundState, Thread, Tier, utcnow
from webapp.services import Conflict, Forbidden, ServiceError, dialogue_posts, dialogue_rounds, moderation


@pytest.fixture
def world(make_org, make_user):
    return make_world(make_org, make_user)


def _round_form(**overrides):
    now = utcnow()
    data = {
        "title": "Testing autonomy in ISR systems",
        "questions": "1. How do you **test**?\n2. What failed?",
        "paragraphs": ["16", "24"],
        "tier": "community",
        "sharing_group": "",
        "opens_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        "invited_types": [],
    }
    data.update(overrides)
    return data


def test_facilitator_creates_round_through_the_form(app, world, client_for):
    client = client_for(world.facilitator)
    response = send(client, "/dialogue/rounds/new", _round_form(chatham_house="y", facilitators=[str(world.other_facilitator.id)]))
    assert response.status_code == 302
    round_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    round_ = fetch(app, DialogueRound, round_id)
    assert round_.title == "Testing autonomy in ISR systems"
    assert "<strong>test</strong>" in round_.questions_html
    assert round_.organisation_id == world.state_org.id
    assert round_.chatham_house is True
    assert ("round", round_id) in outbox(app)
    assert [e.action for e in audit_actions(app, "round.")] == ["round.created"]
    page = client.get(f"/dialogue/rounds/{round_id}").get_data(as_text=True)
    assert "Testing autonomy in ISR systems" in page and "Fatima Facilitator" in page and "Olaf Otherfac" in page
    assert "Chatham House rule" in page


def test_members_cannot_create_rounds(app, world, client_for):
    client = client_for(world.member)
    assert client.get("/dialogue/rounds/new").status_code == 403
    before = table_counts(app)
    assert send(client, "/dialogue/rounds/new", _round_form()).status_code == 403
    assert table_counts(app) == before


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"paragraphs": []}, "Choose at least one paragraph"),
        ({"title": ""}, "This field is required"),
        ({"opens_at": "2030-01-02T10:00", "closes_at": "2030-01-01T10:00"}, "must close after it opens"),
        ({"tier": "secret"}, "valid choice"),
        ({"paragraphs": ["99"]}, "valid choice"),
    ],
)
def test_round_form_bad_inputs(app, world, client_for, overrides, message):
    client = client_for(world.facilitator)
    before = table_counts(app)
    response = send(client, "/dialogue/rounds/new", _round_form(**overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert table_counts(app) == before


def test_round_service_refuses_bad_choices(app, world, make_group, make_user):
    group = make_group()
    plain = make_user(org=world.company)
    now = utcnow()
    base = dict(title="t", questions_source="q", paragraphs=[16], tier=Tier.COMMUNITY, opens_at=now, closes_at=now + timedelta(days=1))
    with app.test_request_context():
        actor = viewer(app, world.other_facilitator)  # restricted clearance
        with pytest.raises(ServiceError, match="above your own clearance"):
            dialogue_rounds.create_round(actor, **{**base, "tier": Tier.CONFIDENTIAL})
        with pytest.raises(ServiceError, match="sharing group you belong to"):
            dialogue_rounds.create_round(actor, **{**base, "sharing_group_id": group.id})
        with pytest.raises(ServiceError, match="is not a facilitator"):
            dialogue_rounds.create_round(actor, **{**base, "facilitator_ids": [plain.id]})
        with pytest.raises(ServiceError, match="could not read a round at this tier"):
            dialogue_rounds.create_round(viewer(app, world.facilitator), **{**base, "tier": Tier.CONFIDENTIAL,
                                                                          "facilitator_ids": [world.other_facilitator.id]})
        with pytest.raises(ServiceError, match="Unknown stakeholder type"):
            dialogue_rounds.create_round(actor, **{**base, "invited_types": ["militia"]})
        with pytest.raises(ServiceError, match="paragraphs 1 to 25"):
            dialogue_rounds.create_round(actor, **{**base, "paragraphs": [0]})
        with pytest.raises(ServiceError, match="close after it opens"):
            dialogue_rounds.create_round(actor, **{**base, "closes_at": now - timedelta(days=1)})
        with pytest.raises(ServiceError, match="guiding questions is empty"):
            dialogue_rounds.create_round(actor, **{**base, "questions_source": "   "})


def test_state_follows_the_clock_and_explicit_acts():
    start = datetime(2030, 1, 1, tzinfo=timezone.utc)
    round_ = DialogueRound(opens_at=start, closes_at=start + timedelta(days=2))
    assert round_.state_at(start - timedelta(seconds=1)) is RoundState.SCHEDULED
    assert round_.state_at(start) is RoundState.OPEN
    assert round_.state_at(start + timedelta(days=2)) is RoundState.CLOSED
    round_.closed_at = start + timedelta(hours=1)
    assert round_.state_at(start + timedelta(hours=2)) is RoundState.CLOSED
    round_.concluded_at = start + timedelta(hours=3)
    assert round_.state_at(start + timedelta(hours=4)) is RoundState.CONCLUDED


def test_posting_before_the_round_opens_is_refused(app, world, client_for):
    round_ = make_round(app, world.facilitator, opens_in=timedelta(days=1))
    thread = make_thread(app, world.facilitator, round_=round_)  # facilitators may post outside the window
    client = client_for(world.member)
    before = table_counts(app)
    response = send(client, f"/dialogue/threads/{thread.id}/posts", {"body": "Too early"})
    assert response.status_code == 409
    assert "has not opened yet" in response.get_data(as_text=True)
    assert "Too early" in response.get_data(as_text=True)  # the text is kept in the form
    response = send(client, f"/dialogue/rounds/{round_.id}/threads/new", {"title": "Early", "body": "x"})
    assert response.status_code == 409
    assert table_counts(app) == before


def test_posting_after_the_round_closes_by_time_is_refused(app, world, client_for):
    round_ = make_round(app, world.facilitator, opens_in=timedelta(days=-3), closes_in=timedelta(days=2))
    thread = make_thread(app, world.member, round_=round_)
    with app.test_request_context():
        from webapp.db import session, unit_of_work

        with unit_of_work() as db:
            db.get(DialogueRound, round_.id).closes_at = utcnow() - timedelta(minutes=1)
        session().close()
    client = client_for(world.member)
    before = table_counts(app)
    response = send(client, f"/dialogue/threads/{thread.id}/posts", {"body": "Too late"})
    assert response.status_code == 409 and "round is closed" in response.get_data(as_text=True)
    assert table_counts(app) == before
    make_post(app, world.facilitator, thread, body="Facilitator's late summary")  # facilitators may


def test_open_round_now(app, world, client_for):
    round_ = make_round(app, world.facilitator, opens_in=timedelta(days=2))
    client = client_for(world.facilitator)
    assert send(client, f"/dialogue/rounds/{round_.id}/open").status_code == 302
    assert fetch(app, DialogueRound, round_.id).state is RoundState.OPEN
    response = send(client, f"/dialogue/rounds/{round_.id}/open")
    assert response.status_code == 409 and "Only a scheduled round" in response.get_data(as_text=True)
    assert send(client_for(world.member), f"/dialogue/rounds/{round_.id}/open").status_code == 403


def test_closing_locks_the_threads(app, world, client_for):
    round_ = make_round(app, world.facilitator)
    thread = make_thread(app, world.member, round_=round_)
    client = client_for(world.facilitator)
    assert send(client, f"/dialogue/rounds/{round_.id}/close").status_code == 302
    assert fetch(app, Thread, thread.id).locked is True
    assert fetch(app, DialogueRound, round_.id).state is RoundState.CLOSED
    response = send(client_for(world.member), f"/dialogue/threads/{thread.id}/posts", {"body": "after close"})
    assert response.status_code == 409
    assert send(client, f"/dialogue/rounds/{round_.id}/close").status_code == 409
    assert [e.action for e in audit_actions(app, "round.closed")] == ["round.closed"]


def test_closing_a_scheduled_round_is_refused(app, world):
    round_ = make_round(app, world.facilitator, opens_in=timedelta(days=1))
    with app.test_request_context(), pytest.raises(Conflict, match="not opened yet"):
        dialogue_rounds.close_round(viewer(app, world.facilitator), round_.id)


def test_concluding_stores_the_synthesis_and_shows_it(app, world, client_for):
    round_ = make_round(app, world.facilitator)
    client = client_for(world.facilitator)
    form = {"synthesis": "We **agreed** on shared test ranges.", "paragraphs": ["16"], "key_state": "States want ranges.",
            "key_private_sector": "Industry offers data."}
    response = send(client, f"/dialogue/rounds/{round_.id}/conclude", form)
    assert response.status_code == 409 and "Close the round before concluding" in response.get_data(as_text=True)
    send(client, f"/dialogue/rounds/{round_.id}/close")
    assert send(client, f"/dialogue/rounds/{round_.id}/conclude", form).status_code == 302
    concluded = fetch(app, DialogueRound, round_.id)
    assert concluded.state is RoundState.CONCLUDED
    assert concluded.synthesis_key_points == {"state": "States want ranges.", "private_sector": "Industry offers data."}
    assert concluded.synthesis_paragraphs == [16]
    page = client_for(world.member).get(f"/dialogue/rounds/{round_.id}").get_data(as_text=True)
    assert "<strong>agreed</strong>" in page and "Industry offers data." in page and "Outcome synthesis" in page
    assert send(client, f"/dialogue/rounds/{round_.id}/conclude", form).status_code == 409
    assert [e.action for e in audit_actions(app, "round.concluded")] == ["round.concluded"]


def test_conclude_bad_inputs(app, world, client_for):
    round_ = make_round(app, world.facilitator)
    client = client_for(world.facilitator)
    send(client, f"/dialogue/rounds/{round_.id}/close")
    member_client = client_for(world.member)
    before = table_counts(app)
    assert send(client, f"/dialogue/rounds/{round_.id}/conclude", {"synthesis": "", "paragraphs": ["16"]}).status_code == 400
    assert send(client, f"/dialogue/rounds/{round_.id}/conclude", {"synthesis": "x", "paragraphs": []}).status_code == 400
    with app.test_request_context(), pytest.raises(ServiceError, match="known stakeholder type"):
        dialogue_rounds.conclude_round(viewer(app, world.facilitator), round_.id, synthesis_source="x",
                                       key_points={"militia": "y"}, paragraphs=[16])
    assert send(member_client, f"/dialogue/rounds/{round_.id}/conclude",
                {"synthesis": "x", "paragraphs": ["16"]}).status_code == 403
    assert fetch(app, DialogueRound, round_.id).concluded_at is None
    assert table_counts(app) == before


def test_invitations_limit_who_posts_not_who_reads(app, world, client_for):
    round_ = make_round(app, world.facilitator, invited_types=["private_sector"])
    thread = make_thread(app, world.company_member, round_=round_)
    client = client_for(world.member)  # a state member: may read, may not post
    assert client.get(f"/dialogue/threads/{thread.id}").status_code == 200
    before = table_counts(app)
    response = send(client, f"/dialogue/threads/{thread.id}/posts", {"body": "Let me in"})
    assert response.status_code == 403 and "invited participants only" in response.get_data(as_text=True)
    assert send(client, f"/dialogue/rounds/{round_.id}/threads/new", {"title": "x", "body": "y"}).status_code == 403
    assert table_counts(app) == before
    make_post(app, world.facilitator, thread)  # facilitators are always welcome


def test_invited_organisation_may_post(app, world):
    round_ = make_round(app, world.facilitator, invited_organisation_ids=[world.university.id])
    thread = make_thread(app, world.researcher, round_=round_)
    with app.test_request_context(), pytest.raises(Forbidden):
        dialogue_posts.create_post(viewer(app, world.company_member), thread.id, body_source="x")


def test_participation_by_stakeholder_type(app, world, client_for):
    round_ = make_round(app, world.facilitator)
    thread = make_thread(app, world.member, round_=round_)
    make_post(app, world.member, thread)
    make_post(app, world.company_member, thread)
    hidden = make_post(app, world.company_member, thread, body="rude")
    with app.test_request_context():
        moderation.hide_post(viewer(app, world.facilitator), hidden.id, reason="rude")
    page = client_for(world.member).get(f"/dialogue/rounds/{round_.id}").get_data(as_text=True)
    section = page[page.index('id="participation"'):page.index('</section>', page.index('id="participation"'))]  # threads now come first
    assert "<th scope=\"row\">State</th><td>2</td><td>1</td>" in section.replace("\n", "") or _row(section, "State") == ("2", "1")
    assert _row(section, "Private sector") == ("1", "1")
    assert _row(section, "Academia") == ("0", "0")


def _row(html: str, label: str) -> tuple[str, str]:
    import re

    match = re.search(rf"<th scope=\"row\">{label}[^<]*</th><td>(\d+)</td><td>(\d+)</td>", html.replace("\n", ""))
    assert match, html
    return match.group(1), match.group(2)


def test_raising_the_tier_moves_threads_with_it_and_reindexes(app, world):
    round_ = make_round(app, world.facilitator)
    thread = make_thread(app, world.member, round_=round_)
    post = make_post(app, world.member, thread)
    fields = dict(title=round_.title, questions_source="q", paragraphs=[16], sharing_group_id=None,
                  opens_at=round_.opens_at, closes_at=round_.closes_at, chatham_house=False)
    with app.test_request_context():
        dialogue_rounds.update_round(viewer(app, world.facilitator), round_.id, tier=Tier.RESTRICTED, **fields)
    assert fetch(app, Thread, thread.id).tier is Tier.RESTRICTED
    assert ("post", post.id) in outbox(app)[-3:] or ("post", post.id) in outbox(app)
    with app.test_request_context():
        with pytest.raises(Conflict, match="Confirm the declassification"):
            dialogue_rounds.update_round(viewer(app, world.facilitator), round_.id, tier=Tier.PUBLIC, **fields)
        assert fetch(app, Thread, thread.id).tier is Tier.RESTRICTED
        dialogue_rounds.update_round(viewer(app, world.facilitator), round_.id, tier=Tier.PUBLIC,
                                     confirm_declassification=True, **fields)
    assert fetch(app, Thread, thread.id).tier is Tier.PUBLIC
    assert audit_actions(app, "round.updated")[-1].details["declassified"] is True


def test_only_the_rounds_facilitators_manage_it(app, world, client_for):
    round_ = make_round(app, world.facilitator)
    client = client_for(world.other_facilitator)
    assert client.get(f"/dialogue/rounds/{round_.id}/edit").status_code == 403
    assert send(client, f"/dialogue/rounds/{round_.id}/close").status_code == 403
    assert client.get(f"/dialogue/rounds/{round_.id}/conclude").status_code == 403
    assert fetch(app, DialogueRound, round_.id).closed_at is None


def test_chatham_house_cannot_be_lifted_after_posts(app, world):
    round_ = make_round(app, world.facilitator, chatham_house=True)
    make_thread(app, world.member, round_=round_)
    with app.test_request_context(), pytest.raises(Conflict, match="cannot be lifted"):
        dialogue_rounds.update_round(viewer(app, world.facilitator), round_.id, title="t", questions_source="q",
                                     paragraphs=[16], tier=Tier.COMMUNITY, sharing_group_id=None,
                                     opens_at=round_.opens_at, closes_at=round_.closes_at, chatham_house=False)


def test_edit_form_round_trip(app, world, client_for):
    round_ = make_round(app, world.facilitator)
    client = client_for(world.facilitator)
    page = client.get(f"/dialogue/rounds/{round_.id}/edit").get_data(as_text=True)
    assert round_.title in page
    response = send(client, f"/dialogue/rounds/{round_.id}/edit", _round_form(title="Renamed round"))
    assert response.status_code == 302
    assert fetch(app, DialogueRound, round_.id).title == "Renamed round"


def test_closed_round_shows_no_reply_forms_to_members(app, world, client_for):
    round_ = make_round(app, world.facilitator)
    thread = make_thread(app, world.member, round_=round_)
    post = make_post(app, world.company_member, thread)
    client = client_for(world.member)
    assert f"reply?to={post.id}" in client.get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
    send(client_for(world.facilitator), f"/dialogue/rounds/{round_.id}/close")
    page = client.get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
    assert f"reply?to={post.id}" not in page and "does not accept new posts" in page
    assert f"reply?to={post.id}" in client_for(world.facilitator).get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)


def test_uninvited_reader_gets_no_reply_form(app, world, client_for):
    round_ = make_round(app, world.facilitator, invited_types=["academia"])
    thread = make_thread(app, world.researcher, round_=round_)
    response = client_for(world.member).get(f"/dialogue/threads/{thread.id}/reply")
    assert response.status_code == 403 and "invited participants only" in response.get_data(as_text=True)


def test_participation_never_counts_posts_the_reader_cannot_see(app, world, client_for):
    round_ = make_round(app, world.facilitator, title="Community round")
    elsewhere = make_round(app, world.facilitator, tier=Tier.RESTRICTED, title="Restricted round")
    stays = make_thread(app, world.member, round_=round_, title="Stays")  # 1 state post
    moved = make_thread(app, world.company_member, round_=round_, title="Moves away")
    make_post(app, world.company_member, moved)
    make_post(app, world.researcher, moved)
    gone = make_post(app, world.researcher, stays, body="soon deleted")
    with app.test_request_context():
        dialogue_posts.delete_post(viewer(app, world.researcher), gone.id)
    member = client_for(world.member)

    def rows(client, round_id):
        page = client.get(f"/dialogue/rounds/{round_id}").get_data(as_text=True)
        section = page[page.index('id="participation"'):page.index('</section>', page.index('id="participation"'))]  # threads now come first
        return _row(section, "State"), _row(section, "Private sector"), _row(section, "Academia")

    assert rows(member, round_.id) == (("1", "1"), ("2", "1"), ("1", "1"))
    with app.test_request_context():
        moderation.move_thread(viewer(app, world.facilitator), moved.id, target_round_id=elsewhere.id)
    assert rows(member, round_.id) == (("1", "1"), ("0", "0"), ("0", "0"))
    assert rows(client_for(world.researcher), elsewhere.id) == (("0", "0"), ("2", "1"), ("1", "1"))
    # Defence in depth: should a thread ever outrank its round, the round's readers below it do not count its posts.
    with app.test_request_context():
        from webapp.db import unit_of_work

        with unit_of_work() as db:
            db.get(Thread, stays.id).tier = Tier.RESTRICTED
    assert rows(member, round_.id) == (("0", "0"), ("0", "0"), ("0", "0"))
    assert rows(client_for(world.researcher), round_.id) == (("1", "1"), ("0", "0"), ("0", "0"))


def test_the_whole_lifecycle_through_the_pages(app, world, client_for):
    round_ = make_round(app, world.facilitator, opens_in=timedelta(days=1), title="Lifecycle round")
    fac, member = client_for(world.facilitator), client_for(world.member)
    assert "Scheduled" in member.get(f"/dialogue/rounds/{round_.id}").get_data(as_text=True)
    assert send(fac, f"/dialogue/rounds/{round_.id}/open").status_code == 302
    assert fetch(app, DialogueRound, round_.id).state is RoundState.OPEN
    thread = make_thread(app, world.member, round_=round_)
    assert send(fac, f"/dialogue/rounds/{round_.id}/close").status_code == 302
    assert fetch(app, Thread, thread.id).locked is True
    assert send(fac, f"/dialogue/rounds/{round_.id}/conclude",
                {"synthesis": "Outcome text OT-1", "paragraphs": ["16"], "key_academia": "Share test data."}).status_code == 302
    page = member.get(f"/dialogue/rounds/{round_.id}").get_data(as_text=True)
    assert "Concluded" in page and "OT-1" in page and "Share test data." in page
    for path in ("open", "close", "conclude"):
        assert send(fac, f"/dialogue/rounds/{round_.id}/{path}").status_code == 409
    response = fac.get(f"/dialogue/rounds/{round_.id}/conclude")
    assert response.status_code == 409 and "already concluded" in response.get_data(as_text=True)
    response = fac.get(f"/dialogue/rounds/{round_.id}/edit")
    assert response.status_code == 409 and "can no longer be edited" in response.get_data(as_text=True)
    with app.test_request_context(), pytest.raises(Conflict, match="concluded round"):
        dialogue_rounds.update_round(viewer(app, world.facilitator), round_.id, title="t", questions_source="q",
                                     paragraphs=[16], tier=Tier.COMMUNITY, sharing_group_id=None,
                                     opens_at=round_.opens_at, closes_at=round_.closes_at, chatham_house=False)


def test_hostile_markdown_in_questions_and_synthesis_is_neutralised(app, world, client_for):
    hostile = '<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)> **kept**'
    now = utcnow()
    with app.test_request_context():
        round_ = dialogue_rounds.create_round(viewer(app, world.facilitator), title="Hostile", questions_source=hostile,
                                              paragraphs=[16], tier=Tier.COMMUNITY, opens_at=now - timedelta(hours=1),
                                              closes_at=now + timedelta(days=1))
        dialogue_rounds.close_round(viewer(app, world.facilitator), round_.id)
        dialogue_rounds.conclude_round(viewer(app, world.facilitator), round_.id, synthesis_source=hostile,
                                       key_points={"state": "<script>alert(4)</script>"}, paragraphs=[16])
    stored = fetch(app, DialogueRound, round_.id)
    for html in (stored.questions_html, stored.synthesis_html):
        assert "<script" not in html and "<img" not in html and "href=\"javascript" not in html
        assert "<strong>kept</strong>" in html
    page = client_for(world.member).get(f"/dialogue/rounds/{round_.id}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(4)" in page
