"""Preferences (in-app, e-mail at once, daily or weekly digest, off), digests, one-click unsubscribe (RFC 8058),
access checked again at send time, unread counts and the signed-in home page."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.archive_helpers import practice_data
from tests.dialogue_helpers import make_post, make_round, make_thread, make_world, send, viewer
from tests.notification_helpers import events_of, run_digests, set_delivery
from tests.smtp_server import body_text
from webapp.db import session
from webapp.models import NotificationPreference, Tier, utcnow
from webapp.services import notification_prefs, notifications, people
from webapp.services.submission_workflow import submit_submission
from webapp.services.submissions import create_submission

DELIVERIES = ["in_app", "immediate", "daily", "weekly", "off"]


@pytest.fixture
def world(make_org, make_user):
    return make_world(make_org, make_user)


def _watch(app, user, thread):
    with app.test_request_context():
        notifications.watch(viewer(app, user), "thread", thread.id)


def _submit(app, author, **fields):
    with app.test_request_context():
        item = create_submission(viewer(app, author), "good_practice", practice_data(**fields))
        submit_submission(viewer(app, author), item.id)
    return item


def _stored(app, user) -> dict[str, str]:
    with app.app_context():
        return dict(session().execute(select(NotificationPreference.event, NotificationPreference.delivery)
                                      .where(NotificationPreference.user_id == user.id)).all())


# ---------------------------------------------------------------- the preference matrix


@pytest.mark.parametrize("delivery", DELIVERIES)
@pytest.mark.parametrize("event", ["review_requested", "new_post"])
def test_preference_matrix(smtp_app, smtp_server, world, event, delivery):
    app = smtp_app
    person = world.facilitator
    set_delivery(app, person, event, delivery)
    if event == "review_requested":
        _submit(app, world.member, tier="community")
    else:
        thread = make_thread(app, world.member)
        _watch(app, person, thread)
        make_post(app, world.member, thread)
    told = events_of(app, person)
    assert told == ([] if delivery == "off" else [event])
    assert len(smtp_server.to(person.email)) == (1 if delivery == "immediate" else 0)
    run_digests(app, "daily")
    assert len(smtp_server.to(person.email)) == (1 if delivery in ("immediate", "daily") else 0)
    run_digests(app, "weekly")
    assert len(smtp_server.to(person.email)) == (0 if delivery in ("in_app", "off") else 1)


def test_defaults_workflow_at_once_activity_in_a_daily_digest(app, world):
    with app.app_context():
        chosen = notification_prefs.preferences(session(), world.member.id)
    assert chosen["review_requested"] == chosen["submission_returned"] == chosen["round_opened"] == "immediate"
    assert chosen["new_post"] == chosen["new_thread"] == "daily"


# ---------------------------------------------------------------- digests


def test_a_digest_is_sent_once_per_period_and_lists_each_item(smtp_app, smtp_server, world):
    app = smtp_app
    thread = make_thread(app, world.member, title="Digest thread DT-1")
    other = make_thread(app, world.member, title="Digest thread DT-2")
    _watch(app, world.company_member, thread)
    _watch(app, world.company_member, other)
    make_post(app, world.member, thread)
    make_post(app, world.member, other)
    now = utcnow()
    assert run_digests(app, "daily", now) == 1
    assert run_digests(app, "daily", now) == 0  # twice the same day (or on two nodes): one digest
    digest = smtp_server.to(world.company_member.email)
    assert len(digest) == 1 and "DT-1" in body_text(digest[0]) and "DT-2" in body_text(digest[0])
    make_post(app, world.member, thread)
    assert run_digests(app, "daily", now + timedelta(days=1)) == 1
    second = body_text(smtp_server.to(world.company_member.email)[-1])
    assert "DT-1" in second and "DT-2" not in second  # only what is new


def test_an_unknown_digest_period_is_refused(app):
    with pytest.raises(ValueError):
        run_digests(app, "hourly")


def test_access_lost_between_event_and_digest_sends_nothing_and_the_listing_hides_it(smtp_app, smtp_server, world,
                                                                                      client_for):
    app = smtp_app
    thread = make_thread(app, world.member, title="Green thread LC-1")
    _watch(app, world.company_member, thread)
    make_post(app, world.member, thread)
    assert events_of(app, world.company_member) == ["new_post"]
    with app.test_request_context():
        people.set_clearance(viewer(app, world.admin), world.company_member.id, Tier.PUBLIC)
    assert run_digests(app) == 0
    assert smtp_server.to(world.company_member.email) == []
    page = client_for(world.company_member).get("/notifications/").get_data(as_text=True)
    assert "LC-1" not in page and "No notifications." in page


def test_access_lost_for_one_item_drops_only_that_item(smtp_app, smtp_server, world):
    app = smtp_app
    round_ = make_round(app, world.facilitator, title="Round to restrict")
    inside = make_thread(app, world.facilitator, round_=round_, title="Soon amber SA-1")
    outside = make_thread(app, world.member, title="Stays green SG-1")
    _watch(app, world.company_member, inside)
    _watch(app, world.company_member, outside)
    make_post(app, world.facilitator, inside)
    make_post(app, world.member, outside)
    from webapp.services import dialogue_rounds

    with app.test_request_context():
        dialogue_rounds.update_round(viewer(app, world.facilitator), round_.id, title=round_.title, questions_source="q",
                                     paragraphs=[16], tier=Tier.RESTRICTED, sharing_group_id=None,
                                     opens_at=round_.opens_at, closes_at=round_.closes_at, chatham_house=False)
    assert run_digests(app) == 1
    text = body_text(smtp_server.to(world.company_member.email)[0])
    assert "SG-1" in text and "SA-1" not in text and "1 new" in text


def test_a_person_deactivated_before_the_digest_gets_nothing(smtp_app, smtp_server, world):
    app = smtp_app
    thread = make_thread(app, world.member)
    _watch(app, world.company_member, thread)
    make_post(app, world.member, thread)
    with app.test_request_context():
        people.deactivate_user(viewer(app, world.admin), world.company_member.id)
    assert run_digests(app) == 0 and smtp_server.messages == []


# ---------------------------------------------------------------- unsubscribe, read out of the received message


def _unsubscribe_path(message) -> str:
    header = message["List-Unsubscribe"]
    assert header.startswith("<") and header.endswith(">")
    return urlsplit(header[1:-1]).path


def test_every_mail_has_one_click_unsubscribe_and_a_link_to_all_settings(smtp_app, smtp_server, world, client,
                                                                         row_counts):
    app = smtp_app
    _submit(app, world.member, tier="community", title="Practice UN-1")
    message = smtp_server.to(world.facilitator.email)[0]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = _unsubscribe_path(message)
    text = body_text(message)
    assert path in text and "/account/notifications" in text
    assert message.get_body(preferencelist=("plain",)) is not None
    before = row_counts()
    confirm = client.get(path)  # a link scanner following the link changes nothing
    assert confirm.status_code == 200 and "A submission waits for your review" in confirm.get_data(as_text=True)
    assert row_counts() == before
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})  # what a mail client sends: no CSRF, no cookie
    assert done.status_code == 200 and "no longer receive e-mail" in done.get_data(as_text=True)
    assert _stored(app, world.facilitator) == {"review_requested": "in_app"}  # only that preference
    _submit(app, world.member, tier="community", title="Practice UN-2")
    assert len(smtp_server.to(world.facilitator.email)) == 1  # no second mail …
    assert events_of(app, world.facilitator) == ["review_requested", "review_requested"]  # … still listed


def test_a_digest_unsubscribe_moves_the_digest_kinds_to_in_app(smtp_app, smtp_server, world, client):
    app = smtp_app
    set_delivery(app, world.company_member, "review_requested", "weekly")
    thread = make_thread(app, world.member)
    _watch(app, world.company_member, thread)
    make_post(app, world.member, thread)
    run_digests(app)
    path = _unsubscribe_path(smtp_server.to(world.company_member.email)[0])
    assert client.post(path).status_code == 200
    stored = _stored(app, world.company_member)
    assert stored["new_post"] == stored["new_thread"] == "in_app" and stored["review_requested"] == "weekly"


def _valid_token(app, user, scope="new_post") -> str:
    with app.test_request_context():
        return notification_prefs.unsubscribe_token(user.id, scope)


@pytest.mark.parametrize("method", ["get", "post"])
def test_bad_unsubscribe_links_change_nothing(app, world, client, client_for, row_counts, method):
    good = _valid_token(app, world.member)
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    with app.test_request_context():
        from itsdangerous import URLSafeTimedSerializer

        wrong_key = URLSafeTimedSerializer("not the key", salt=notification_prefs.UNSUBSCRIBE_SALT).dumps(
            {"u": world.member.id, "e": "new_post"})
    someone_else = client_for(world.company_member)
    before = row_counts()
    for token in ("garbage", tampered, wrong_key, _valid_token(app, world.member, "no_such_event")):
        response = getattr(client, method)(f"/unsubscribe/{token}")
        assert response.status_code == 400 and "not valid" in response.get_data(as_text=True), token
    other = getattr(someone_else, method)(f"/unsubscribe/{good}")  # another person's link
    assert other.status_code == 400 and "another person" in other.get_data(as_text=True)
    app.config["UNSUBSCRIBE_TOKEN_MAX_AGE"] = -1  # every token is expired
    expired = getattr(client, method)(f"/unsubscribe/{good}")
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)
    assert row_counts() == before
    assert _stored(app, world.member) == {}


def test_the_owner_signed_in_may_use_their_own_link(app, world, client_for):
    client = client_for(world.member)
    assert client.post(f"/unsubscribe/{_valid_token(app, world.member)}").status_code == 200
    assert _stored(app, world.member) == {"new_post": "in_app"}


# ---------------------------------------------------------------- the settings page


def test_settings_page_shows_defaults_and_saves_with_prg(app, world, client_for):
    client = client_for(world.member)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert re.search(r'<select[^>]*name="new_post".*?<option selected value="daily"', page, re.S)
    with app.app_context():
        choices = notification_prefs.preferences(session(), world.member.id)
    choices.update(new_post="weekly", mention="off")
    response = send(client, "/account/notifications", choices, token_page="/account/notifications")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/notifications")
    assert _stored(app, world.member) == {"new_post": "weekly", "mention": "off"}
    assert "Your notification settings are saved." in client.get("/account/notifications").get_data(as_text=True)


def test_settings_page_bad_inputs(app, world, client_for, client):
    member = client_for(world.member)
    with app.app_context():
        choices = notification_prefs.preferences(session(), world.member.id)
    bad = send(member, "/account/notifications", {**choices, "new_post": "sms"}, token_page="/account/notifications")
    assert bad.status_code == 400 and "Not a valid choice" in bad.get_data(as_text=True)
    missing = send(member, "/account/notifications", {"new_post": "weekly"}, token_page="/account/notifications")
    assert missing.status_code == 400
    no_token = member.post("/account/notifications", data=choices)
    assert no_token.status_code == 400
    assert _stored(app, world.member) == {}
    assert client.get("/account/notifications").status_code == 302  # signed out: to the sign-in page


def test_settings_service_refuses_unknown_kinds_and_deliveries(app, world):
    from webapp.services import ServiceError

    with app.test_request_context():
        for bad in ({"no_such_event": "daily"}, {"new_post": "sms"}):
            with pytest.raises(ServiceError):
                notification_prefs.set_preferences(viewer(app, world.member), bad)


# ---------------------------------------------------------------- unread counts and the home page


def test_new_posts_since_your_last_visit(app, world, client_for):
    round_ = make_round(app, world.facilitator, title="Round NP")
    thread = make_thread(app, world.company_member, round_=round_, title="Counted thread")
    standalone = make_thread(app, world.company_member, title="Standalone counted")
    client = client_for(world.member)
    client.get(f"/dialogue/threads/{thread.id}")
    client.get(f"/dialogue/threads/{standalone.id}")
    for _ in range(3):
        make_post(app, world.company_member, thread)
    make_post(app, world.company_member, standalone)
    make_post(app, world.member, standalone)  # one's own posts are never "new"
    assert "3 new posts since your last visit" in client.get(f"/dialogue/rounds/{round_.id}").get_data(as_text=True)
    listing = client.get("/dialogue/").get_data(as_text=True)
    assert "3 new posts since your last visit" in listing and "(1 new since your last visit)" in listing
    client.get(f"/dialogue/threads/{thread.id}")
    assert "new post" not in client.get(f"/dialogue/rounds/{round_.id}").get_data(as_text=True)
    assert "new since your last visit" not in client_for(None).get("/dialogue/").get_data(as_text=True)


def test_unread_counts_never_count_what_the_reader_cannot_read(app, world, client_for):
    secret = make_thread(app, world.researcher, tier=Tier.RESTRICTED, title="Amber counted")
    make_post(app, world.researcher, secret)
    from webapp.queries_dialogue.unread import new_posts_by_thread

    with app.app_context():
        assert new_posts_by_thread(session(), viewer(app, world.member), [secret.id]) == {}
        assert new_posts_by_thread(session(), viewer(app, world.company_member), [secret.id]) == {}
        assert new_posts_by_thread(session(), viewer(app, world.other_facilitator), [secret.id]) == {secret.id: 2}


def test_home_page_shows_what_changed_for_you(app, world, client_for):
    _submit(app, world.member, tier="community", title="Awaiting review AR-1")
    make_round(app, world.facilitator, title="Closing soon CS-1", closes_in=timedelta(hours=10))
    make_round(app, world.facilitator, title="Amber closing AC-1", closes_in=timedelta(hours=10), tier=Tier.RESTRICTED)
    make_round(app, world.facilitator, title="Far away FA-1", closes_in=timedelta(days=10))
    thread = make_thread(app, world.company_member, title="Watched WT-1")
    _watch(app, world.facilitator, thread)
    client = client_for(world.facilitator)
    client.get(f"/dialogue/threads/{thread.id}")
    make_post(app, world.company_member, thread)
    home = client.get("/").get_data(as_text=True)
    assert "What changed for you" in home and "AR-1" in home and "CS-1" in home and "AC-1" in home
    # The round nobody follows is among the open rounds of the home page, never in what changed for you.
    changed = home[home.index('class="what-changed"'):]
    changed = changed[:changed.index("</section>")]
    assert "FA-1" not in changed and "WT-1" in changed and "1 new post since your last visit" in changed
    member_home = client_for(world.member).get("/").get_data(as_text=True)
    assert "CS-1" in member_home and "AC-1" not in member_home and "AR-1" not in member_home
    assert "What changed for you" not in client_for(None).get("/").get_data(as_text=True)
