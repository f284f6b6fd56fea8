"""Hiding a post asks on a page of its own: GET shows the post and what happens next, POST hides (CSRF)."""
from __future__ import annotations

import pytest

from tests.dialogue_helpers import fetch, make_post, make_round, make_thread, make_world, send, table_counts
from webapp.models import Post, Tier


@pytest.fixture
def world(make_org, make_user):
    return make_world(make_org, make_user)


@pytest.fixture
def scene(app, world):
    round_ = make_round(app, world.facilitator, tier=Tier.RESTRICTED)
    thread = make_thread(app, world.facilitator, round_=round_, title="Restricted trial HT-7", tier=Tier.RESTRICTED)
    post = make_post(app, world.facilitator, thread, body="A restricted claim RC-3")
    return round_, thread, post


def test_hide_asks_first_and_get_changes_nothing(app, world, scene, client_for):
    _round, thread, post = scene
    fac = client_for(world.facilitator)
    thread_page = fac.get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
    assert f'href="/moderation/posts/{post.id}/hide"' in thread_page
    before = table_counts(app)
    page = fac.get(f"/moderation/posts/{post.id}/hide")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Hide this post?" in body and "What happens next" in body
    assert "RC-3" in body and 'name="csrf_token"' in body and "moderation log" in body
    assert table_counts(app) == before and not fetch(app, Post, post.id).is_hidden


def test_blank_reason_re_asks_with_400_and_keeps_the_post(app, world, scene, client_for):
    _round, _thread, post = scene
    fac = client_for(world.facilitator)
    response = send(fac, f"/moderation/posts/{post.id}/hide", {"reason": "  "})
    assert response.status_code == 400 and "give a reason" in response.get_data(as_text=True)
    assert "Hide this post?" in response.get_data(as_text=True)
    assert not fetch(app, Post, post.id).is_hidden


def test_hide_then_the_question_answers_409(app, world, scene, client_for):
    _round, _thread, post = scene
    fac = client_for(world.facilitator)
    response = send(fac, f"/moderation/posts/{post.id}/hide", {"reason": "Off topic", "next": "/moderation/"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/moderation/")
    assert fetch(app, Post, post.id).is_hidden
    assert fac.get(f"/moderation/posts/{post.id}/hide").status_code == 409


def test_an_off_site_next_is_ignored(app, world, scene, client_for):
    _round, _thread, post = scene
    fac = client_for(world.facilitator)
    body = fac.get(f"/moderation/posts/{post.id}/hide?next=https://evil.example/").get_data(as_text=True)
    # The page's own address may carry it (the language switch returns to this very page, a local path), but
    # nothing on the page leads there: no link, and the confirmation does not pass it on.
    assert 'href="https://evil.example' not in body and 'value="https://evil.example' not in body
    assert 'name="next" value="/moderation/posts/' in body


def test_a_lower_tier_sees_nothing_of_the_hide_page(world, scene, client_for):
    _round, _thread, post = scene
    for user in (world.member, world.company_member, world.admin):  # community tier: the post is restricted
        response = client_for(user).get(f"/moderation/posts/{post.id}/hide")
        assert response.status_code == 404
        assert "RC-3" not in response.get_data(as_text=True) and "HT-7" not in response.get_data(as_text=True)
    # A reader of the round who does not facilitate it is refused without the post.
    refused = client_for(world.researcher).get(f"/moderation/posts/{post.id}/hide")
    assert refused.status_code == 403 and "RC-3" not in refused.get_data(as_text=True)
