"""Rounds page: threads before participation and search; "Start a thread" only where one can be started; the
Dialogue index has one clear empty state; a lower tier sees nothing of a higher one."""
from __future__ import annotations

import re
from datetime import timedelta

from tests.dialogue_helpers import make_round, make_thread, make_world, send
from webapp.models import Tier, utcnow


def test_threads_come_before_participation_and_search(app, make_org, make_user, client_for):
    world = make_world(make_org, make_user)
    round_ = make_round(app, world.facilitator)
    make_thread(app, world.member, round_=round_, title="Field trial THR-1")
    page = client_for(world.member).get(f"/dialogue/rounds/{round_.id}").get_data(as_text=True)
    assert page.index('id="threads"') < page.index('id="participation"')
    assert page.index("THR-1") < page.index('id="participation"')


def test_no_start_a_thread_in_a_closed_round(app, make_org, make_user, client_for):
    world = make_world(make_org, make_user)
    round_ = make_round(app, world.facilitator)
    fac = client_for(world.facilitator)
    assert "Start a thread in this round" in fac.get(f"/dialogue/rounds/{round_.id}").get_data(as_text=True)
    assert send(fac, f"/dialogue/rounds/{round_.id}/close").status_code == 302
    for user in (world.facilitator, world.member):
        page = client_for(user).get(f"/dialogue/rounds/{round_.id}").get_data(as_text=True)
        assert "Start a thread in this round" not in page and "This round is closed" in page
        assert "open to invited participants only" not in page


def test_an_empty_dialogue_index_has_one_empty_state(client):
    page = client.get("/dialogue/").get_data(as_text=True)
    assert page.count('class="empty-state"') == 1 and "No dialogue yet" in page
    assert "None." not in page and "Open rounds" not in page


def test_a_lower_tier_sees_an_empty_index_not_the_higher_round(app, make_org, make_user, client_for):
    world = make_world(make_org, make_user)
    make_round(app, world.facilitator, tier=Tier.RESTRICTED, title="Restricted round RR-8")
    member = client_for(world.member).get("/dialogue/").get_data(as_text=True)
    assert "RR-8" not in member and "No dialogue yet" in member and "Open rounds" not in member
    researcher = client_for(world.researcher).get("/dialogue/").get_data(as_text=True)
    assert "RR-8" in researcher and "No dialogue yet" not in researcher


# ------------------------------------------------ invitations: searchable checkbox lists, not Ctrl-click selects
def _listed(page: str, name: str) -> set[int]:
    return {int(value) for value in re.findall(rf'name="{name}" type="checkbox" value="(\d+)"', page)}


def _round_count(app) -> int:
    from sqlalchemy import func, select

    from webapp.db import session
    from webapp.models import DialogueRound

    with app.app_context():
        return session().scalar(select(func.count()).select_from(DialogueRound))


def _round_fields(**overrides) -> dict:
    now = utcnow()
    return {"title": "Invitations IV-1", "questions": "What did you **test**?", "paragraphs": ["16"],
            "tier": "community", "sharing_group": "", "invited_types": [],
            "opens_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"), **overrides}


def test_invitations_and_co_facilitators_are_checkbox_lists(app, make_org, make_user, client_for):
    world = make_world(make_org, make_user)
    page = client_for(world.facilitator).get("/dialogue/rounds/new").get_data(as_text=True)
    assert "<select multiple" not in page and "multiple" not in re.sub(r"<option[^>]*>", "", page)
    assert {world.state_org.id, world.company.id, world.university.id} <= _listed(page, "invited_organisations")
    assert world.other_facilitator.id in _listed(page, "facilitators")
    assert 'name="filter_lists"' in page and 'name="list_filter"' in page


def test_the_lists_narrow_on_the_server_keeping_what_is_ticked_and_saving_nothing(app, make_org, make_user, client_for):
    world = make_world(make_org, make_user)
    client = client_for(world.facilitator)
    before = _round_count(app)
    response = send(client, "/dialogue/rounds/new", _round_fields(
        filter_lists="1", list_filter="  NAIROBI ", invited_organisations=[str(world.company.id)]))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and _round_count(app) == before
    # the match, and the ticked organisation (still ticked); not the others
    assert _listed(page, "invited_organisations") == {world.university.id, world.company.id}
    assert re.search(rf'checked id="invited_organisations-\d+" name="invited_organisations" type="checkbox" '
                     rf'value="{world.company.id}"', page)
    assert world.other_facilitator.id not in _listed(page, "facilitators")
    assert 'value="Invitations IV-1"' in page  # what was typed is kept
    nothing = send(client, "/dialogue/rounds/new", _round_fields(filter_lists="1", list_filter="zzz-no-such-name"))
    assert nothing.status_code == 200 and "No name matches these words." in nothing.get_data(as_text=True)
    assert _round_count(app) == before


def test_ticked_invitations_are_saved_with_the_round(app, make_org, make_user, client_for):
    world = make_world(make_org, make_user)
    client = client_for(world.facilitator)
    response = send(client, "/dialogue/rounds/new", _round_fields(
        invited_organisations=[str(world.university.id)], facilitators=[str(world.other_facilitator.id)]))
    assert response.status_code == 302
    page = client.get(response.headers["Location"] + "/edit").get_data(as_text=True)
    assert re.search(rf'checked id="invited_organisations-\d+" name="invited_organisations" type="checkbox" '
                     rf'value="{world.university.id}"', page)
    assert re.search(rf'checked id="facilitators-\d+" name="facilitators" type="checkbox" '
                     rf'value="{world.other_facilitator.id}"', page)


def test_an_unknown_invited_organisation_is_a_clear_400(app, make_org, make_user, client_for):
    world = make_world(make_org, make_user)
    response = send(client_for(world.facilitator), "/dialogue/rounds/new",
                    _round_fields(invited_organisations=["999999"]))
    assert response.status_code == 400 and _round_count(app) == 0
