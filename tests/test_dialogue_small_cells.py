"""The small-cell rule (DESIGN.md rule 11) and hidden rosters: figures by stakeholder type in a Chatham House or
hidden-roster round never single anyone out — for anyone but the round's facilitators, over the viewer matrix."""
from __future__ import annotations

import re

import pytest

from tests.dialogue_helpers import make_post, make_round, make_thread, make_world, viewer
from tests.notification_helpers import set_delivery
from webapp.models import Tier
from webapp.policy.small_cells import protect_cells, protect_key_points, small_cells_apply


@pytest.fixture
def world(make_org, make_user):
    world = make_world(make_org, make_user)
    world.academics = [world.researcher] + [make_user("community", org=world.university, name=f"Ada Academic {n}")
                                            for n in (1, 2)]
    return world


def _viewers(world):
    """anonymous, member, participant, admin, facilitator of the round, facilitator of another round."""
    return {"anonymous": None, "member": world.member, "participant": world.company_member,
            "admin": world.admin, "facilitator": world.facilitator, "other_facilitator": world.other_facilitator}


@pytest.fixture
def chatham(app, world, make_user):
    """A public Chatham House round: 3 academics (6 posts), 1 company person (2 posts), no one else."""
    make_round(app, world.other_facilitator, title="Another round")  # so other_facilitator facilitates elsewhere
    round_ = make_round(app, world.facilitator, tier=Tier.PUBLIC, chatham_house=True, title="Closed-door round")
    thread = make_thread(app, world.company_member, round_=round_, title="Industry view", body="Our data says X")
    make_post(app, world.company_member, thread, body="Second company post")
    for academic in world.academics:
        make_post(app, academic, thread, body="Academic view")
        make_post(app, academic, thread, body="Academic view again")
    return round_, thread


def _participation(page: str) -> dict[str, tuple[str, str]]:
    section = page.split('id="participation"', 1)[1].split("</table>", 1)[0]
    return {label: (posts, people) for label, posts, people in
            re.findall(r'<th scope="row">([^<]+)</th><td>([^<]+)</td><td>([^<]+)</td>', section)}


# ---------------------------------------------------------------- the one function


def test_protect_cells_withholds_small_rows_and_bounds_totals():
    figures = protect_cells({"state": {"people": 0}, "academia": {"people": 4}, "private_sector": {"people": 2}},
                            key_measure="people", protect=True, threshold=3)
    assert figures.withheld == {"state", "private_sector"}
    assert str(figures.cells["academia"]["people"]) == "4"
    assert figures.cells["private_sector"]["people"].value is None  # the number itself is never kept
    assert figures.totals["people"].value == 4 and figures.totals["people"].at_least
    exact = protect_cells({"academia": {"people": 1}}, key_measure="people", protect=False, threshold=3)
    assert exact.totals["people"].value == 1 and not exact.totals["people"].at_least and not exact.withheld


def test_key_points_of_small_types_are_never_attributed():
    figures = protect_cells({"state": {"p": 1}, "academia": {"p": 4}, "private_sector": {"p": 2}},
                            key_measure="p", protect=True, threshold=3)
    both = protect_key_points({"state": "S", "academia": "A", "private_sector": "P"}, figures)
    assert both.by_type == {"academia": "A"} and both.pooled == ["S", "P"] and not both.withheld
    one = protect_key_points({"state": "S", "academia": "A"}, figures)  # the pool would be the one state person
    assert one.by_type == {"academia": "A"} and one.pooled == [] and one.withheld


def test_the_rule_applies_to_everyone_but_the_rounds_facilitators(app, world, chatham):
    round_, _thread = chatham
    with app.test_request_context():
        from webapp.db import session
        from webapp.models import DialogueRound

        loaded = session().get(DialogueRound, round_.id)
        for name, user in _viewers(world).items():
            assert small_cells_apply(viewer(app, user), loaded) is (name != "facilitator"), name


# ---------------------------------------------------------------- the round page, over the viewer matrix


def test_round_page_participation_never_singles_anyone_out(app, world, chatham, client_for):
    round_, _thread = chatham
    for name, user in _viewers(world).items():
        page = client_for(user).get(f"/dialogue/rounds/{round_.id}").get_data(as_text=True)
        rows = _participation(page)
        if name == "facilitator":
            assert rows["Private sector"] == ("2", "1") and rows["Total"] == ("8", "4"), name
            continue
        assert rows["Private sector"] == ("fewer than 3", "fewer than 3"), name
        assert rows["State"] == ("fewer than 3", "fewer than 3"), name  # zero is not told apart from few
        assert rows["Academia"] == ("6", "3"), name
        # The total is a lower bound made of the rows shown: total minus the others gives nothing new.
        shown = [row for label, row in rows.items() if label != "Total" and row[0].isdigit()]
        assert rows["Total"] == (f"at least {sum(int(r[0]) for r in shown)}", f"at least {sum(int(r[1]) for r in shown)}")
        assert "fewer than 3 participants is shown as" in page, name  # the page says why


def test_a_round_without_the_rule_shows_exact_figures(app, world, client_for):
    round_ = make_round(app, world.facilitator, tier=Tier.PUBLIC, title="Open round")
    make_thread(app, world.company_member, round_=round_, title="Industry view")
    rows = _participation(client_for(world.member).get(f"/dialogue/rounds/{round_.id}").get_data(as_text=True))
    assert rows["Private sector"] == ("1", "1") and rows["Total"] == ("1", "1")


def test_threshold_is_a_setting(app, world, chatham, client_for):
    round_, _thread = chatham
    app.config["SMALL_CELL_THRESHOLD"] = 4
    rows = _participation(client_for(world.member).get(f"/dialogue/rounds/{round_.id}").get_data(as_text=True))
    assert rows["Academia"] == ("fewer than 4", "fewer than 4") and rows["Total"] == ("at least 0", "at least 0")


# ---------------------------------------------------------------- key points: round page, archive page, exports


@pytest.fixture
def concluded(app, world, chatham):
    from webapp.services import dialogue_rounds

    round_, _thread = chatham
    with app.test_request_context():
        dialogue_rounds.close_round(viewer(app, world.facilitator), round_.id)
        dialogue_rounds.conclude_round(
            viewer(app, world.facilitator), round_.id, synthesis_source="What we heard.",
            key_points={"academia": "ACADEMIA-POINT", "private_sector": "COMPANY-POINT"}, paragraphs=[16])
    with app.test_request_context():
        from webapp.db import session
        from webapp.queries_archive.detail import round_synthesis_id

        return round_, round_synthesis_id(session(), viewer(app, world.facilitator), round_.id)


def test_key_points_of_a_small_type_are_withheld_everywhere(app, world, concluded, client_for):
    round_, synthesis_id = concluded
    assert synthesis_id
    for name, user in _viewers(world).items():
        client = client_for(user)
        for path in (f"/dialogue/rounds/{round_.id}", f"/archive/{synthesis_id}",
                     f"/archive/{synthesis_id}.md", f"/archive/{synthesis_id}.json"):
            body = client.get(path).get_data(as_text=True)
            assert "ACADEMIA-POINT" in body, (name, path)
            assert ("COMPANY-POINT" in body) is (name == "facilitator"), (name, path)


# ---------------------------------------------------------------- hidden roster

INVITED = ("Alpha Ministry", "Beta Ministry", "Gamma Ministry", "Delta Corp")


@pytest.fixture
def hidden(app, world, make_org, make_user):
    """A public hidden-roster round inviting three state organisations and one company (plus the test cast's)."""
    orgs = [make_org("state", name=name) for name in INVITED[:3]] + [make_org("private_sector", name=INVITED[3])]
    world.invitees = [make_user("community", org=org, name=f"Invitee {n}") for n, org in enumerate(orgs)]
    make_round(app, world.other_facilitator, title="Another round")
    round_ = make_round(app, world.facilitator, tier=Tier.PUBLIC, hidden_roster=True, title="Quiet round",
                        invited_organisation_ids=[org.id for org in orgs] + [world.company.id])
    return round_


def test_hidden_roster_shows_counts_by_type_not_names(app, world, hidden, client_for):
    for name, user in _viewers(world).items():
        client = client_for(user)
        for path in (f"/dialogue/rounds/{hidden.id}", "/dialogue/", "/search?q=Quiet", "/search?q=Delta"):
            page = client.get(path).get_data(as_text=True)
            if name == "facilitator" and path.startswith("/dialogue/rounds"):
                assert all(org in page for org in INVITED), name
                continue
            for org in INVITED:
                assert org not in page, (name, path, org)
            if path.startswith("/dialogue/rounds"):
                assert "State: 3" in page, name
                assert "Private sector: fewer than 3" in page, name  # 2 companies: a small cell
                assert "Academia: fewer than 3" in page, name  # none at all reads the same


def test_a_visible_roster_still_names_the_invited(app, world, make_org, client_for):
    org = make_org("state", name="Alpha Ministry")
    round_ = make_round(app, world.facilitator, tier=Tier.PUBLIC, invited_organisation_ids=[org.id])
    assert "Alpha Ministry" in client_for(world.member).get(f"/dialogue/rounds/{round_.id}").get_data(as_text=True)


def test_the_invitation_mail_lists_no_other_invitee(smtp_app, smtp_server, world, make_org, make_user):
    from tests.smtp_server import body_text

    orgs = [make_org("state", name=name) for name in INVITED]
    people = [make_user("community", org=org, name=f"Invitee {n}") for n, org in enumerate(orgs)]
    for person in people:
        set_delivery(smtp_app, person, "round_invitation", "immediate")
    make_round(smtp_app, world.facilitator, hidden_roster=True, title="Quiet round",
               invited_organisation_ids=[org.id for org in orgs])
    smtp_server.wait_for(len(people))
    for person, own in zip(people, INVITED):
        messages = smtp_server.to(person.email)
        assert messages, person.email
        text = body_text(messages[0]) + str(messages[0]["To"]) + str(messages[0].get("Cc", ""))
        assert "Quiet round" in text
        for org in INVITED:
            assert org not in text, (person.email, org)
        for other in people:
            assert other is person or other.email not in text


def test_hidden_roster_is_kept_by_the_edit_form(app, world, hidden, client_for):
    page = client_for(world.facilitator).get(f"/dialogue/rounds/{hidden.id}/edit").get_data(as_text=True)
    assert re.search(r"<input[^>]*checked[^>]*name=\"hidden_roster\"|<input[^>]*name=\"hidden_roster\"[^>]*checked", page), page[page.find("hidden_roster") - 200:][:400]
