"""Watches and notifications: in-app and e-mail, access checked per recipient when sent and again when listed."""
from __future__ import annotations

import pytest

from tests.dialogue_helpers import fetch, make_post, make_round, make_thread, make_world, send, viewer
from tests.notification_helpers import run_digests
from webapp.models import Notification, Tier
from webapp.services import notifications


@pytest.fixture
def world(make_org, make_user):
    return make_world(make_org, make_user)


def _mail(app) -> str:
    try:
        return open(app.config["MAIL_OUTBOX_FILE"], encoding="utf-8").read()
    except FileNotFoundError:
        return ""


def test_watch_a_thread_and_get_notified(app, world, client_for):
    thread = make_thread(app, world.member, title="Assurance cases")
    client = client_for(world.company_member)
    assert send(client, f"/notifications/watch/thread/{thread.id}").status_code == 302
    assert send(client, f"/notifications/watch/thread/{thread.id}").status_code == 409
    post = make_post(app, world.member, thread, body="New insight")
    page = client.get("/notifications/").get_data(as_text=True)
    assert "New post" in page and "Assurance cases" in page
    assert "1 unread notification" in client.get("/dialogue/").get_data(as_text=True)
    assert world.company_member.email not in _mail(app)  # new posts: in the daily digest by default
    assert run_digests(app) == 1
    mail = _mail(app)
    assert world.company_member.email in mail and "Assurance cases" in mail
    notification_id = 1
    response = client.get(f"/notifications/{notification_id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/dialogue/posts/{post.id}")
    assert fetch(app, Notification, notification_id).read_at is not None
    assert "unread notification" not in client.get("/dialogue/").get_data(as_text=True)


def test_author_is_not_told_about_their_own_post(app, world, client_for):
    thread = make_thread(app, world.member)  # the author watches their thread automatically
    make_post(app, world.member, thread)
    assert "No notifications." in client_for(world.member).get("/notifications/").get_data(as_text=True)


def test_nobody_is_told_about_what_they_cannot_read(app, world, client_for):
    thread = make_thread(app, world.researcher, tier=Tier.RESTRICTED, title="Secret sauce SS-3")
    with app.test_request_context():
        from webapp.db import unit_of_work

        with unit_of_work() as db:  # a watch left over from when the member could read (or forged)
            notifications.add_watch(db, world.member.id, "thread", thread.id)
    make_post(app, world.researcher, thread)
    client = client_for(world.member)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "SS-3" not in page and "No notifications." in page
    assert "SS-3" not in _mail(app)
    with app.test_request_context():
        from sqlalchemy import func, select

        from webapp.db import session

        assert session().scalar(select(func.count(Notification.id))) == 0


def test_tier_change_takes_effect_on_the_next_listing(app, world, client_for):
    round_ = make_round(app, world.facilitator, title="Round R")
    thread = make_thread(app, world.facilitator, round_=round_, title="Thread to be restricted TR-5")
    client = client_for(world.member)
    send(client, f"/notifications/watch/thread/{thread.id}")
    make_post(app, world.facilitator, thread)
    assert "TR-5" in client.get("/notifications/").get_data(as_text=True)
    from webapp.services import dialogue_rounds

    with app.test_request_context():
        dialogue_rounds.update_round(viewer(app, world.facilitator), round_.id, title="Round R", questions_source="q",
                                     paragraphs=[16], tier=Tier.RESTRICTED, sharing_group_id=None,
                                     opens_at=round_.opens_at, closes_at=round_.closes_at, chatham_house=False)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "TR-5" not in page and "No notifications." in page
    assert "unread notification" not in client.get("/dialogue/").get_data(as_text=True)
    assert client.get("/notifications/1").status_code == 404


def test_watch_a_round_and_a_paragraph(app, world, client_for):
    client = client_for(world.member)
    assert send(client, "/notifications/watch/paragraph/16", token_page="/paragraphs/16").status_code == 302
    round_ = make_round(app, world.facilitator, title="Round on paragraph 16", paragraphs=(16,))
    assert send(client, f"/notifications/watch/round/{round_.id}").status_code == 302
    make_thread(app, world.company_member, round_=round_, title="A thread in the round")
    page = client.get("/notifications/").get_data(as_text=True)
    assert "New dialogue round" in page and "Round on paragraph 16" in page
    assert "New thread" in page and "A thread in the round" in page
    assert "Stop watching" in client.get("/paragraphs/16").get_data(as_text=True)
    assert send(client, "/notifications/unwatch/paragraph/16").status_code == 302
    assert send(client, "/notifications/unwatch/paragraph/16").status_code == 409


def test_watch_bad_inputs(app, world, client_for):
    secret = make_thread(app, world.researcher, tier=Tier.RESTRICTED)
    client = client_for(world.member)
    assert send(client, f"/notifications/watch/thread/{secret.id}").status_code == 404
    assert send(client, "/notifications/watch/thread/999").status_code == 404
    assert send(client, "/notifications/watch/paragraph/99").status_code == 404
    assert send(client, "/notifications/watch/banana/1").status_code == 404
    assert client_for(None).post("/notifications/watch/thread/1").status_code in (302, 400)


def test_hidden_post_notifies_its_author(app, world, client_for):
    round_ = make_round(app, world.facilitator)
    thread = make_thread(app, world.member, round_=round_)
    post = make_post(app, world.company_member, thread)
    send(client_for(world.facilitator), f"/moderation/posts/{post.id}/hide", {"reason": "off topic"})
    page = client_for(world.company_member).get("/notifications/").get_data(as_text=True)
    assert "Your post was hidden by a facilitator" in page


def test_email_above_community_carries_no_title(app, world, client_for):
    thread = make_thread(app, world.researcher, tier=Tier.RESTRICTED, title="Amber title AT-1")
    other = world.facilitator  # confidential clearance
    send(client_for(other), f"/notifications/watch/thread/{thread.id}")
    make_post(app, world.researcher, thread)
    run_digests(app)
    mail = _mail(app)
    assert other.email in mail and "TLP:AMBER" in mail and "AT-1" not in mail


def test_mark_all_read(app, world, client_for):
    thread = make_thread(app, world.member)
    client = client_for(world.company_member)
    send(client, f"/notifications/watch/thread/{thread.id}")
    make_post(app, world.member, thread)
    make_post(app, world.member, thread)
    assert "2 unread notifications" in client.get("/dialogue/").get_data(as_text=True)
    assert send(client, "/notifications/read-all").status_code == 302
    assert "unread notification" not in client.get("/dialogue/").get_data(as_text=True)


def test_notify_watchers_is_usable_by_other_domains(app, world):
    thread = make_thread(app, world.member)
    with app.test_request_context():
        from webapp.db import session, unit_of_work

        with unit_of_work() as db:
            notifications.add_watch(db, world.company_member.id, "paragraph", 14)
        with unit_of_work() as db:
            loaded = session().get(type(thread), thread.id)
            told = notifications.notify_watchers(db, "paragraph", 14, "published", loaded)
    assert told == 1


def test_rolled_back_actions_mail_nobody(app, world):
    thread = make_thread(app, world.member)
    with app.test_request_context():
        from webapp.db import session, unit_of_work

        with unit_of_work() as db:
            notifications.add_watch(db, world.company_member.id, "thread", thread.id)
        with pytest.raises(RuntimeError), unit_of_work() as db:
            notifications.notify_watchers(db, "thread", thread.id, "new_post", session().get(type(thread), thread.id))
            raise RuntimeError("boom")
        with unit_of_work():
            pass
    assert world.company_member.email not in _mail(app)


def test_public_round_mail_carries_its_title(app, world, client_for):
    client = client_for(world.member)
    send(client, "/notifications/watch/paragraph/24", token_page="/paragraphs/24")
    make_round(app, world.facilitator, tier=Tier.PUBLIC, title="Public round PR-1", paragraphs=(24,))
    run_digests(app)
    assert "PR-1" in _mail(app)


def test_mail_goes_through_smtp_when_configured(app, world, monkeypatch):
    from webapp import mail

    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            sent.append(("starttls",))

        def login(self, user, password):
            sent.append(("login", user))

        def send_message(self, message):
            sent.append(("message", message["To"], message["Subject"]))

    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    app.config.update(MAIL_SERVER="smtp.example.org", MAIL_PORT=2525, MAIL_USERNAME="u", MAIL_PASSWORD="p", MAIL_USE_TLS=True)
    mail.send(app, mail.Mail(to="someone@example.org", subject="Hello", body="Body"))
    assert sent == [("connect", "smtp.example.org", 2525), ("starttls",), ("login", "u"),
                    ("message", "someone@example.org", "Hello")]


def test_mail_failure_does_not_undo_the_action(app, world, monkeypatch):
    from webapp import mail

    def broken(*_args, **_kwargs):
        raise OSError("no route to host")

    monkeypatch.setattr(mail, "send", broken)
    thread = make_thread(app, world.member)
    with app.test_request_context():
        from webapp.db import unit_of_work

        with unit_of_work() as db:
            notifications.add_watch(db, world.company_member.id, "thread", thread.id)
    post = make_post(app, world.member, thread)  # mail fails after commit: the post stays
    assert post.id is not None


def test_in_development_mail_is_written_to_a_file_under_the_instance_folder(tmp_path, monkeypatch):
    from webapp import create_app, mail

    monkeypatch.delenv("MAIL_OUTBOX_FILE", raising=False)
    monkeypatch.delenv("MAIL_SERVER", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"})
    assert app.config["MAIL_OUTBOX_FILE"] == str(tmp_path / "mail.log")
    mail.send(app, mail.Mail(to="someone@example.org", subject="Hello", body="Body text"))
    written = (tmp_path / "mail.log").read_text(encoding="utf-8")
    assert "To: someone@example.org" in written and "Subject: Hello" in written and "Body text" in written


def test_paragraph_watchers_hear_only_of_rounds_and_threads_they_may_read(app, world, client_for):
    member = client_for(world.member)  # community clearance
    send(member, "/notifications/watch/paragraph/16", token_page="/paragraphs/16")
    send(member, "/notifications/watch/paragraph/14", token_page="/paragraphs/14")
    make_round(app, world.facilitator, tier=Tier.RESTRICTED, title="Amber round AR-9", paragraphs=(16,))
    make_thread(app, world.researcher, tier=Tier.RESTRICTED, title="Amber thread AT-9", paragraphs=(14,))
    make_round(app, world.facilitator, tier=Tier.COMMUNITY, title="Green round GR-9", paragraphs=(16,))
    page = member.get("/notifications/").get_data(as_text=True)
    assert "GR-9" in page and "AR-9" not in page and "AT-9" not in page
    run_digests(app)
    mail = _mail(app)
    assert "GR-9" in mail and "AR-9" not in mail and "AT-9" not in mail
    assert "1 unread notification" in member.get("/dialogue/").get_data(as_text=True)


def test_suspended_watchers_are_told_nothing(app, world, client_for):
    from webapp.services import people

    thread = make_thread(app, world.member, title="Watched thread WT-4")
    send(client_for(world.company_member), f"/notifications/watch/thread/{thread.id}")
    with app.test_request_context():
        people.deactivate_user(viewer(app, world.admin), world.company_member.id)
    make_post(app, world.member, thread)
    assert world.company_member.email not in _mail(app)
    with app.test_request_context():
        from sqlalchemy import func, select

        from webapp.db import session

        assert session().scalar(select(func.count(Notification.id)).where(Notification.user_id == world.company_member.id)) == 0


def test_notification_page_queries_do_not_grow_with_notifications(app, world, client_for, query_counter):
    client = client_for(world.company_member)
    threads = [make_thread(app, world.member, title=f"Watched {i}") for i in range(12)]
    for thread in threads:
        send(client, f"/notifications/watch/thread/{thread.id}")

    def measure(posted) -> tuple[int, str]:
        for thread in posted:
            make_post(app, world.member, thread)
        for thread in posted:  # unwatched: the page's watch list does not load these threads
            send(client, f"/notifications/unwatch/thread/{thread.id}")
        client.get("/notifications/")  # warm-up
        query_counter.reset()
        page = client.get("/notifications/").get_data(as_text=True)
        return query_counter.value, page

    few, _page = measure(threads[:1])
    many, page = measure(threads[1:])
    assert all(f"Watched {i}" in page for i in range(12))
    assert many <= few  # (the watch list is empty by then: one query fewer)
