"""Chatham House rounds: no name or organisation to anyone but the round's facilitators — pages, quotes,
notifications, e-mail, moderation queue. Authors still see their own posts as theirs."""
from __future__ import annotations

import pytest

from tests.dialogue_helpers import make_post, make_round, make_thread, make_world, send, viewer
from tests.notification_helpers import set_delivery
from webapp.policy.dialogue import author_visible_to


@pytest.fixture
def world(make_org, make_user):
    return make_world(make_org, make_user)


@pytest.fixture
def chatham(app, world):
    round_ = make_round(app, world.facilitator, chatham_house=True, title="Closed-door round")
    thread = make_thread(app, world.company_member, round_=round_, title="Industry view", body="Our data says X")
    post = make_post(app, world.company_member, thread, body="Frank statement FS-1")
    return round_, thread, post


NAMES = ("Carl Company", "Sensor Systems GmbH")


def _assert_anonymous(html: str) -> None:
    for name in NAMES:
        assert name not in html, name


def test_other_participants_see_no_name_or_organisation(app, world, chatham, client_for):
    round_, thread, _post = chatham
    for user in (world.member, world.researcher, world.other_facilitator, world.admin):
        client = client_for(user)
        page = client.get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
        assert "FS-1" in page and "A participant (Chatham House rule)" in page
        _assert_anonymous(page)
        _assert_anonymous(client.get(f"/dialogue/rounds/{round_.id}").get_data(as_text=True))


def test_facilitators_of_the_round_see_names(app, world, chatham, client_for):
    _round, thread, _post = chatham
    page = client_for(world.facilitator).get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
    assert "Carl Company" in page and "Sensor Systems GmbH" in page


def test_authors_see_their_own_posts_as_theirs(app, world, chatham, client_for):
    _round, thread, _post = chatham
    make_post(app, world.member, thread, body="Member reply")
    page = client_for(world.company_member).get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
    assert "Carl Company (you)" in page
    assert "Maria Member" not in page


def test_quotes_of_chatham_posts_elsewhere_stay_anonymous(app, world, chatham, client_for):
    _round, _thread, post = chatham
    open_thread = make_thread(app, world.member, title="Open discussion")
    make_post(app, world.member, open_thread, body="As someone said:", quote=post)
    page = client_for(world.researcher).get(f"/dialogue/threads/{open_thread.id}").get_data(as_text=True)
    assert "FS-1" in page
    _assert_anonymous(page)


def test_notifications_and_email_carry_no_author(app, world, chatham, client_for):
    _round, thread, _post = chatham
    client = client_for(world.member)
    send(client, f"/notifications/watch/thread/{thread.id}")
    send(client_for(world.facilitator), f"/notifications/watch/thread/{thread.id}")
    for person in (world.member, world.facilitator):  # new posts come in a daily digest by default; mail them now
        set_delivery(app, person, "new_post", "immediate")
    make_post(app, world.company_member, thread, body="Another statement")
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Industry view" in page
    _assert_anonymous(page)
    messages = open(app.config["MAIL_OUTBOX_FILE"], encoding="utf-8").read().split("=" * 72)
    to_member = [m for m in messages if f"To: {world.member.email}" in m]
    assert len(to_member) == 1
    assert "Industry view" in to_member[0] and "not shown (Chatham House rule)" in to_member[0]
    _assert_anonymous(to_member[0])
    to_facilitator = [m for m in messages if f"To: {world.facilitator.email}" in m]
    assert to_facilitator and "Carl Company" in to_facilitator[0]  # the round's facilitators may know


def test_moderation_queue_is_for_the_rounds_facilitators_who_may_see_names(app, world, chatham, client_for):
    _round, _thread, post = chatham
    send(client_for(world.member), f"/dialogue/posts/{post.id}/flag", {"reason": "too frank"})
    page = client_for(world.facilitator).get("/moderation/").get_data(as_text=True)
    assert "FS-1" in page and "Carl Company" in page


def test_one_presentation_rule(app, world, chatham):
    _round, _thread, post = chatham
    with app.test_request_context():
        from webapp.db import session
        from webapp.models import Post

        loaded = session().get(Post, post.id)
        assert author_visible_to(viewer(app, world.facilitator), loaded) is True
        assert author_visible_to(viewer(app, world.company_member), loaded) is True
        assert author_visible_to(viewer(app, world.member), loaded) is False
        assert author_visible_to(viewer(app, world.other_facilitator), loaded) is False
        assert author_visible_to(viewer(app, None), loaded) is False
