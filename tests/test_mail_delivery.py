"""Durable mail against a real SMTP server: queued in the caller's transaction, delivered once by the job engine,
retried with back-off on 4xx, drops and outages, failed with the reason on 5xx, never sent to a deactivated
recipient, never queued twice for one dedup_key, and never lost when the database fails during delivery."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tests.smtp_server import body_text
from webapp import jobs, mail
from webapp.db import session, unit_of_work
from webapp.models import MailStatus, OutgoingMail, utcnow
from webapp.services import mail_delivery, people

LATER = timedelta(days=2)  # far enough for every back-off of the tests' attempts, short of the lease of a new claim


def _queue(app, *mails: mail.Mail) -> list[int | None]:
    with app.test_request_context(), unit_of_work() as db:
        return [mail.queue(db, m) for m in mails]


def _rows(app) -> list[OutgoingMail]:
    with app.app_context():
        rows = list(session().scalars(select(OutgoingMail).order_by(OutgoingMail.id)))
        session().expunge_all()
        return rows


def _sweep(app, later: timedelta = LATER):
    with app.app_context():
        return mail_delivery.sweep(app, now=utcnow() + later)


@pytest.fixture
def lost_jobs(monkeypatch):
    """The job engine loses every delivery job (as if the process died right after the commit)."""
    monkeypatch.setattr(jobs, "enqueue", lambda *_args, **_kwargs: None)


@pytest.fixture
def no_pauses(monkeypatch):
    monkeypatch.setattr(mail_delivery.time, "sleep", lambda _seconds: None)


def test_a_committed_mail_is_delivered_once_with_its_stable_message_id(smtp_app, smtp_server):
    [mail_id] = _queue(smtp_app, mail.Mail(to="anna@example.org", subject="Hello", body="A body line",
                                           html="<p>A body line</p>", headers=(("X-Kind", "test"),)))
    [message] = smtp_server.wait_for(1)
    [row] = _rows(smtp_app)
    assert row.id == mail_id and row.status is MailStatus.SENT and row.attempts == 1 and row.sent_at is not None
    assert message["Message-ID"] == row.message_id and message["X-Kind"] == "test"
    assert "A body line" in body_text(message)
    assert message.get_body(preferencelist=("html",)).get_content().strip() == "<p>A body line</p>"
    assert _sweep(smtp_app).sent == 0 and len(smtp_server.messages) == 1


def test_a_rolled_back_transaction_sends_nothing_and_leaves_no_row(smtp_app, smtp_server):
    with smtp_app.test_request_context():
        with pytest.raises(RuntimeError), unit_of_work() as db:
            mail.queue(db, mail.Mail(to="anna@example.org", subject="Never", body="x"))
            raise RuntimeError("the action failed")
        with unit_of_work():
            pass  # a later commit in the same session must not send what the failed one queued
    assert _rows(smtp_app) == [] and _sweep(smtp_app).sent == 0
    assert smtp_server.messages == []


def test_4xx_is_retried_with_back_off_then_delivered_once(smtp_app, smtp_server):
    smtp_server.fail_with = "451 4.3.0 try again later"
    _queue(smtp_app, mail.Mail(to="anna@example.org", subject="Greylisted", body="x"))
    [row] = _rows(smtp_app)
    assert row.status is MailStatus.QUEUED and row.attempts == 1 and row.last_error.startswith("451")
    assert row.next_attempt_at > utcnow() + timedelta(seconds=30)  # backed off: not tried again at once
    with smtp_app.app_context():
        assert mail_delivery.sweep(smtp_app).sent == 0  # not due yet
    smtp_server.fail_with = None
    assert _sweep(smtp_app).sent == 1
    assert _sweep(smtp_app, LATER * 2).sent == 0
    [row] = _rows(smtp_app)
    assert row.status is MailStatus.SENT and row.attempts == 2 and row.last_error == ""
    assert len(smtp_server.to("anna@example.org")) == 1


def test_back_off_doubles_and_gives_up_after_the_last_attempt(smtp_app, smtp_server):
    smtp_app.config.update(MAIL_MAX_ATTEMPTS=3, MAIL_RETRY_BASE_SECONDS=60)
    smtp_server.fail_with = "452 4.2.2 mailbox full"
    _queue(smtp_app, mail.Mail(to="anna@example.org", subject="Full", body="x"))
    first = _rows(smtp_app)[0]
    _sweep(smtp_app, timedelta(minutes=2))
    second = _rows(smtp_app)[0]
    assert second.attempts == 2
    assert 110 <= (second.next_attempt_at - second.updated_at).total_seconds() <= 130  # 60 s, then 120 s
    assert 50 <= (first.next_attempt_at - first.updated_at).total_seconds() <= 70
    _sweep(smtp_app, timedelta(minutes=10))
    [row] = _rows(smtp_app)
    assert row.status is MailStatus.FAILED and row.attempts == 3
    assert row.last_error.startswith("gave up after 3 attempts: 452")
    assert _sweep(smtp_app, LATER).sent == 0 and smtp_server.messages == []


def test_5xx_fails_at_once_with_the_servers_reason(smtp_app, smtp_server):
    smtp_server.fail_with = "550 5.1.1 no such user"
    _queue(smtp_app, mail.Mail(to="nobody@example.org", subject="Bounce", body="x"))
    smtp_server.fail_with = None
    [failed] = _rows(smtp_app)
    assert failed.status is MailStatus.FAILED and failed.attempts == 1 and failed.last_error == "550 5.1.1 no such user"
    assert _sweep(smtp_app).sent == 0  # never tried again by itself
    assert smtp_server.messages == []


def test_connection_dropped_mid_message_is_retried_and_delivered_once(smtp_app, smtp_server):
    smtp_server.drop_connection = True
    _queue(smtp_app, mail.Mail(to="anna@example.org", subject="Dropped", body="x"))
    [row] = _rows(smtp_app)
    assert row.status is MailStatus.QUEUED and "connection dropped" in row.last_error
    smtp_server.drop_connection = False
    assert _sweep(smtp_app).sent == 1
    assert _sweep(smtp_app, LATER * 2).sent == 0
    assert [m["Subject"] for m in smtp_server.messages] == ["Dropped"]


def test_server_down_for_a_while_then_back_every_mail_arrives_exactly_once(smtp_app, smtp_server):
    smtp_server.stop()
    addresses = [f"reader{i}@example.org" for i in range(12)]
    for address in addresses[:6]:  # six events, six transactions, while the server is down
        _queue(smtp_app, mail.Mail(to=address, subject=f"For {address}", body="x"))
    _queue(smtp_app, *[mail.Mail(to=address, subject=f"For {address}", body="x") for address in addresses[6:]])
    outage = _sweep(smtp_app)
    assert outage.server_unreachable and outage.sent == 0
    rows = _rows(smtp_app)
    assert all(row.status is MailStatus.QUEUED for row in rows)
    # One failed connection per delivery run, not one per message: an outage does not burn every mail's attempts.
    assert sum(row.attempts for row in rows) <= 8
    smtp_server.start()
    report = _sweep(smtp_app)
    assert report.sent == 12 and not report.server_unreachable
    assert _sweep(smtp_app, LATER * 2).sent == 0
    assert sorted(str(m["To"]) for m in smtp_server.messages) == sorted(addresses)
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 12
    assert all(row.status is MailStatus.SENT for row in _rows(smtp_app))


def test_a_recipient_deactivated_between_queue_and_send_gets_nothing(smtp_app, smtp_server, make_user, lost_jobs):
    admin = make_user(roles=("admin",))
    by_account, by_address = make_user(), make_user()
    _queue(smtp_app, mail.Mail(to=by_account.email, subject="Yours", body="x", recipient_id=by_account.id),
           mail.Mail(to=by_address.email.upper(), subject="Also yours", body="x"))
    from tests.dialogue_helpers import viewer

    with smtp_app.test_request_context():
        people.deactivate_user(viewer(smtp_app, admin), by_account.id)
        people.deactivate_user(viewer(smtp_app, admin), by_address.id)
    report = _sweep(smtp_app)
    assert report.cancelled == 2 and report.sent == 0
    assert smtp_server.messages == []
    assert [(row.status, row.last_error) for row in _rows(smtp_app)] == [
        (MailStatus.CANCELLED, "recipient account is deactivated")] * 2


def test_a_pending_account_named_as_recipient_gets_nothing_but_an_unknown_address_does(smtp_app, smtp_server,
                                                                                    make_user, lost_jobs):
    pending = make_user(status="pending")
    _queue(smtp_app, mail.Mail(to=pending.email, subject="Not yet", body="x", recipient_id=pending.id),
           mail.Mail(to="outside@example.org", subject="Invitation", body="x"))
    assert _sweep(smtp_app).sent == 1
    assert [m["Subject"] for m in smtp_server.messages] == ["Invitation"]
    assert _rows(smtp_app)[0].last_error == "recipient account is pending"


def test_one_dedup_key_queues_one_mail_within_and_across_transactions(smtp_app, smtp_server):
    first = mail.Mail(to="anna@example.org", subject="Once", body="x", dedup_key="notification:7")
    ids = _queue(smtp_app, first, first)
    again = _queue(smtp_app, mail.Mail(to="anna@example.org", subject="Replayed", body="y", dedup_key="notification:7"))
    assert ids[0] is not None and ids[1] is None and again == [None]
    assert len(_rows(smtp_app)) == 1
    assert [m["Subject"] for m in smtp_server.wait_for(1)] == ["Once"]
    assert _sweep(smtp_app).sent == 0 and len(smtp_server.messages) == 1


def test_a_lost_delivery_job_is_caught_up_by_the_sweep(smtp_app, smtp_server, lost_jobs):
    _queue(smtp_app, mail.Mail(to="anna@example.org", subject="Lost job", body="x"))
    assert smtp_server.messages == [] and _rows(smtp_app)[0].status is MailStatus.QUEUED
    with smtp_app.app_context():
        assert mail_delivery.sweep(smtp_app).sent == 1  # due at once: no waiting for a back-off
    assert [m["Subject"] for m in smtp_server.messages] == ["Lost job"]


def test_one_row_is_claimed_by_one_sender_until_its_lease_expires(smtp_app, lost_jobs):
    [mail_id] = _queue(smtp_app, mail.Mail(to="anna@example.org", subject="x", body="y"))
    now = utcnow()
    with smtp_app.app_context():
        first = mail_delivery._claim(smtp_app, mail_id, now)
        assert first is not None
        assert mail_delivery._claim(smtp_app, mail_id, now + timedelta(seconds=60)) is None  # held
        taken_over = mail_delivery._claim(smtp_app, mail_id, now + timedelta(seconds=301))  # the holder died
        assert taken_over is not None and taken_over.token != first.token
        # the first sender's late outcome no longer counts: only the claim holder records
        assert mail_delivery._record(smtp_app, mail_id, first.token, status=MailStatus.SENT) is False
    assert _rows(smtp_app)[0].status is MailStatus.SENDING


@pytest.fixture
def failing_commits(monkeypatch):
    """Make the next `n` commits of any session fail as a full disk or a lost database would."""
    state = {"left": 0, "skip": 0}

    def fail(_session):
        if state["skip"]:
            state["skip"] -= 1
            return
        if state["left"]:
            state["left"] -= 1
            raise OperationalError("COMMIT", {}, Exception("database or disk is full"))

    event.listen(Session, "before_commit", fail)
    yield state
    event.remove(Session, "before_commit", fail)


def test_database_down_when_claiming_loses_nothing(smtp_app, smtp_server, lost_jobs, failing_commits):
    _queue(smtp_app, mail.Mail(to="anna@example.org", subject="Kept", body="x"))
    failing_commits["left"] = 100
    with smtp_app.app_context(), pytest.raises(OperationalError):
        mail_delivery.sweep(smtp_app)
    failing_commits["left"] = 0
    assert smtp_server.messages == [] and _rows(smtp_app)[0].status is MailStatus.QUEUED
    assert _sweep(smtp_app).sent == 1
    assert [m["Subject"] for m in smtp_server.messages] == ["Kept"]


def test_a_database_hiccup_when_recording_sent_is_ridden_out(smtp_app, smtp_server, lost_jobs, failing_commits,
                                                             no_pauses):
    _queue(smtp_app, mail.Mail(to="anna@example.org", subject="Once", body="x"))
    failing_commits.update(skip=1, left=2)  # the claim commits; recording "sent" fails twice, then works
    assert _sweep(smtp_app).sent == 1
    assert _rows(smtp_app)[0].status is MailStatus.SENT
    assert _sweep(smtp_app, LATER * 2).sent == 0 and len(smtp_server.messages) == 1


def test_database_down_after_the_server_accepted_loses_nothing(smtp_app, smtp_server, lost_jobs, failing_commits,
                                                               no_pauses):
    _queue(smtp_app, mail.Mail(to="anna@example.org", subject="At least once", body="x"))
    failing_commits.update(skip=1, left=100)  # claimed and sent, then the database is gone
    with pytest.raises(OperationalError):  # the run ends with the database's error (the engine logs it)
        _sweep(smtp_app, timedelta(0))
    failing_commits["left"] = 0
    [row] = _rows(smtp_app)
    assert row.status is MailStatus.SENDING and len(smtp_server.messages) == 1  # not lost; not recorded either
    assert _sweep(smtp_app, timedelta(seconds=60)).sent == 0  # the claim still holds: no second copy meanwhile
    _sweep(smtp_app, timedelta(seconds=301))  # the claim expired: sent again, with the same Message-ID
    assert _rows(smtp_app)[0].status is MailStatus.SENT
    assert {m["Message-ID"] for m in smtp_server.messages} == {row.message_id}


def test_without_mail_server_the_queue_appends_to_the_outbox_file(app):
    _queue(app, mail.Mail(to="someone@example.org", subject="Development", body="Body text"))
    written = open(app.config["MAIL_OUTBOX_FILE"], encoding="utf-8").read()
    assert "To: someone@example.org" in written and "Subject: Development" in written and "Body text" in written
    [row] = _rows(app)
    assert row.status is MailStatus.SENT and row.message_id in written


@pytest.mark.parametrize("bad", [
    mail.Mail(to="", subject="x", body="y"),
    mail.Mail(to="anna@example.org", subject="Injected\nBcc: everyone@example.org", body="y"),
    mail.Mail(to="anna@example.org", subject="x", body="y", headers=(("X-Evil", "a\r\nBcc: b@example.org"),)),
])
def test_a_malformed_mail_is_refused_before_anything_is_written(app, bad):
    with app.test_request_context():
        with pytest.raises(ValueError), unit_of_work() as db:
            mail.queue(db, bad)
    assert _rows(app) == []


def test_concurrent_senders_deliver_a_backlog_exactly_once(smtp_app, smtp_server, lost_jobs):
    import threading

    _queue(smtp_app, *[mail.Mail(to=f"reader{i}@example.org", subject=f"Backlog {i}", body="x") for i in range(40)])
    reports, errors = [], []

    def sender():
        try:
            with smtp_app.app_context():
                reports.append(mail_delivery.sweep(smtp_app))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and sum(report.sent for report in reports) == 40
    assert sorted(m["Subject"] for m in smtp_server.messages) == sorted(f"Backlog {i}" for i in range(40))
    assert all(row.status is MailStatus.SENT and row.attempts == 1 for row in _rows(smtp_app))


def test_a_notification_mail_waits_out_an_outage_only_while_its_recipient_may_still_read(
        smtp_app, smtp_server, make_user, no_pauses):
    """Access is checked again when a mail is sent: a retry hours later must not deliver what the recipient can no
    longer read (here: the SMTP server is down at the event, the reader's clearance is lowered before it is back)."""
    from tests.dialogue_helpers import make_post, make_thread, viewer
    from tests.notification_helpers import set_delivery
    from webapp.models import Tier
    from webapp.services import notifications

    admin = make_user(roles=("admin",))
    author, kept, lowered = make_user(clearance="restricted"), make_user(clearance="restricted"), make_user(
        clearance="restricted")
    thread = make_thread(smtp_app, author, title="Restricted lessons", tier=Tier.RESTRICTED)
    for reader in (kept, lowered):
        with smtp_app.test_request_context():
            notifications.watch(viewer(smtp_app, reader), "thread", thread.id)
        set_delivery(smtp_app, reader, "new_post", "immediate")
    smtp_server.stop()
    make_post(smtp_app, author, thread, body="A restricted reply")
    assert {row.status for row in _rows(smtp_app)} == {MailStatus.QUEUED}  # both waiting for the server
    with smtp_app.test_request_context():
        people.set_clearance(viewer(smtp_app, admin), lowered.id, Tier.COMMUNITY)
    smtp_server.start()
    report = _sweep(smtp_app)
    assert report.sent == 1 and report.cancelled == 1
    assert [m["To"] for m in smtp_server.messages] == [kept.email]
    cancelled = [row for row in _rows(smtp_app) if row.status is MailStatus.CANCELLED]
    assert [row.last_error for row in cancelled] == ["recipient may no longer read what the notification is about"]
