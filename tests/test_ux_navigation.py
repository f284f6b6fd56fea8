"""Way-finding: the main navigation and the links that lead each kind of user to where they start."""
from __future__ import annotations

import re


def test_home_page_marks_no_navigation_entry_as_current(client):
    body = client.get("/").get_data(as_text=True)
    nav = re.search(r'<nav class="wrap main-nav".*?</nav>', body, re.S).group(0)
    assert "aria-current" not in nav


def test_about_page_is_marked_current(client):
    body = client.get("/about").get_data(as_text=True)
    assert re.search(r'href="/about" aria-current="page"', body)


def test_paragraph_page_offers_share_links_that_preselect_the_paragraph(make_user, client_for):
    body = client_for(make_user()).get("/paragraphs/14").get_data(as_text=True)
    assert 'href="/archive/new/lesson_learnt?paragraph=14"' in body
    assert 'href="/archive/new/good_practice?paragraph=14"' in body
    assert 'href="/archive/new/responsible_ai_policy?paragraph=14"' in body
    assert 'href="/dialogue/threads/new?paragraph=14"' in body


def test_paragraph_page_asks_anonymous_readers_to_sign_in_to_share(client):
    body = client.get("/paragraphs/14").get_data(as_text=True)
    assert "/archive/new/" not in body
    assert 'href="/sign-in?next=/paragraphs/14"' in body


def test_new_submission_form_ticks_the_paragraph_it_came_from_and_names_paragraphs(make_user, client_for):
    body = client_for(make_user()).get("/archive/new/lesson_learnt?paragraph=14").get_data(as_text=True)
    assert _checked(body, 14)
    assert not _checked(body, 13)
    assert "14. Exchange of good practices and lessons learnt" in body


def test_new_submission_form_ignores_an_out_of_range_paragraph(make_user, client_for):
    response = client_for(make_user()).get("/archive/new/lesson_learnt?paragraph=99")
    assert response.status_code == 200
    assert "checked" not in response.get_data(as_text=True)


def test_new_thread_form_ticks_the_paragraph_it_came_from(make_user, client_for):
    body = client_for(make_user()).get("/dialogue/threads/new?paragraph=9").get_data(as_text=True)
    assert _checked(body, 9)
    assert not _checked(body, 14)


def _checked(body: str, number: int) -> bool:
    return bool(re.search(rf'<input[^>]*(checked[^>]*value="{number}"|value="{number}"[^>]*checked)', body))


def test_home_page_shows_every_persona_where_to_start(client):
    body = client.get("/").get_data(as_text=True)
    for heading in ("Share a lesson learnt", "Publish a policy or good practice", "Take part in dialogue",
                    "Search the archive"):
        assert heading in body
    assert 'href="/dialogue/"' in body and 'href="/archive/"' in body and 'href="/search"' in body
    assert "/archive/new/" not in body  # anonymous readers are asked to register instead
    assert "/dialogue/rounds/new" not in body


def test_home_page_links_verified_members_to_their_forms(make_user, client_for):
    body = client_for(make_user(roles=("member",))).get("/").get_data(as_text=True)
    assert 'href="/archive/new/lesson_learnt"' in body
    assert 'href="/archive/new/responsible_ai_policy"' in body
    assert "/dialogue/rounds/new" not in body


def test_home_page_links_facilitators_to_create_a_round(make_user, client_for):
    body = client_for(make_user(roles=("member", "facilitator"))).get("/").get_data(as_text=True)
    assert 'href="/dialogue/rounds/new"' in body


def test_short_timestamps_spell_out_the_month_and_name_the_time_zone(app):
    from datetime import datetime, timezone

    from webapp.templating import utc_datetime

    with app.test_request_context(headers={"Accept-Language": "en"}):
        shown = utc_datetime(datetime(2026, 5, 6, 14, 30, tzinfo=timezone.utc), "short")
    assert shown == "May 6, 2026, 2:30\u202fPM UTC" or shown == "May 6, 2026, 2:30 PM UTC"


def test_conclude_page_says_who_will_read_the_synthesis_and_links_back_to_the_threads(app, make_user, client_for):
    from tests.dialogue_helpers import make_round, send
    from webapp.models import Tier

    facilitator = make_user("restricted", roles=("facilitator",))
    round_ = make_round(app, facilitator, tier=Tier.RESTRICTED)
    client = client_for(facilitator)
    send(client, f"/dialogue/rounds/{round_.id}/close")
    body = client.get(f"/dialogue/rounds/{round_.id}/conclude").get_data(as_text=True)
    assert "Who will read it: the same readers as the round" in body and "TLP:AMBER" in body
    assert f'href="/dialogue/rounds/{round_.id}#threads"' in body
