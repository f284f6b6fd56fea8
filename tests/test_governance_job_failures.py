"""The data-governance jobs under failure (issue 14): the retention jobs, the review-date reminders and the export
build, with the database failing under them, the SMTP server down, and the disk full. Each fails visibly (its job
run recorded failed, a retry scheduled by the engine), loses nothing, and succeeds once the fault clears."""
from __future__ import annotations

import errno
import os
from datetime import datetime, timedelta
from email.utils import format_datetime

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import OperationalError

from tests.search_helpers import publish
from tests.smtp_server import body_text
from webapp import db as database
from webapp import mail
from webapp.jobs import engine, schedule
from webapp.models import (
    AuditEvent, AuthSession, DataExport, JobRun, MailStatus, Notification, OutgoingMail, SearchOutboxEntry,
    Submission, utcnow,
)
from webapp.services import data_export, mail_delivery

OLD = timedelta(days=400)


class DatabaseFault:
    """Every statement but the job engine's own bookkeeping (job_runs) fails as if the server had gone away."""

    def __init__(self, app):
        self.engine = app.extensions["db_engine"]
        self.active = False
        event.listen(self.engine, "before_cursor_execute", self._check)

    def _check(self, _conn, _cursor, statement, *_args):
        if self.active and "job_runs" not in statement:
            raise OperationalError(statement[:60], None, Exception("server closed the connection unexpectedly"))

    def remove(self):
        event.remove(self.engine, "before_cursor_execute", self._check)


@pytest.fixture
def db_fault(app):
    fault = DatabaseFault(app)
    yield fault
    fault.remove()


def _node(app, tmp_path):
    app.config.update(JOBS_BACKEND="sqlite", JOBS_SQLITE_FILE=str(tmp_path / "queue.sqlite3"))
    return engine.build(app)


def _periodic_task(huey, name: str, moment: datetime):
    tasks = [task for task in huey.read_periodic(moment) if type(task).__name__ == name]
    assert tasks, f"{name} is not scheduled at {moment}"
    return tasks[0]


def _moment(name: str) -> datetime:
    job = schedule.periodic_job(name)
    minute, hour = job.cron.split()[:2]
    now = utcnow().replace(tzinfo=None, second=0, microsecond=0)
    return now.replace(minute=int(minute), hour=now.hour if hour == "*" else int(hour))


def _runs(app, name: str) -> list[tuple[str, int, str]]:
    with app.app_context():
        return [(r.status, r.attempts, r.error) for r in database.session().scalars(
            select(JobRun).where(JobRun.name == name).order_by(JobRun.id))]


def _scalar(app, stmt):
    with app.app_context():
        return database.session().scalar(stmt)


# ---------------------------------------------------------------- what each job would purge, and how to tell


def _old_audit_row(app, make_user):
    with app.app_context():
        database.session().execute(AuditEvent.__table__.insert().values(
            occurred_at=utcnow() - OLD, actor_id=None, action="test.old", object_type="user", object_id=1,
            ip="203.0.113.9", details={}))
        database.session().commit()
    return lambda: _scalar(app, select(AuditEvent.ip).where(AuditEvent.action == "test.old"))


def _old_session(app, make_user):
    user = make_user()
    with app.app_context():
        database.session().add(AuthSession(user_id=user.id, token_hash="h" * 64, created_at=utcnow() - OLD,
                                           revoked_at=utcnow() - OLD, ip="203.0.113.9"))
        database.session().commit()
    return lambda: _scalar(app, select(AuthSession.id).where(AuthSession.user_id == user.id))


def _old_mail(app, make_user):
    with app.app_context():
        database.session().add(OutgoingMail(to_address="old@example.org", subject="Old", body="old", message_id="<old@test>",
                                            status=MailStatus.SENT, sent_at=utcnow() - OLD,
                                            created_at=utcnow() - OLD, updated_at=utcnow() - OLD))
        database.session().commit()
    return lambda: _scalar(app, select(OutgoingMail.id).where(OutgoingMail.subject == "Old"))


def _stuck_outbox_entry(app, make_user):
    with app.app_context():
        database.session().add(SearchOutboxEntry(kind="submission", object_id=424242, attempts=3,
                                                 created_at=utcnow() - OLD))
        database.session().commit()
    return lambda: _scalar(app, select(SearchOutboxEntry.id).where(SearchOutboxEntry.object_id == 424242))


def _expired_export(app, make_user):
    user = make_user()
    with app.app_context():
        export = DataExport(user_id=user.id, status="ready", file_name="expired-test.zip",
                            requested_at=utcnow() - OLD, ready_at=utcnow() - OLD, expires_at=utcnow() - OLD)
        database.session().add(export)
        database.session().commit()
        path = data_export.file_path(export)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "wb").write(b"zip")
    return lambda: _scalar(app, select(DataExport.id).where(DataExport.file_name == "expired-test.zip"))


def _due_review(app, make_user):
    author = make_user()
    item = publish(app, author, make_user(roles=("facilitator",), clearance="restricted"), title="Due lesson")
    with app.app_context():
        database.session().get(Submission, item.id).review_on = (utcnow() + timedelta(days=2)).date()
        database.session().commit()
    # "Still to do" = the originator not told yet.
    return lambda: None if _scalar(app, select(Notification.id).where(Notification.event == "review_due")) else 1


def _old_deleted_post(app, make_user):
    from tests.dialogue_helpers import make_post, make_thread
    from webapp.models import Post

    author = make_user()
    thread = make_thread(app, author, title="Thread with a deleted post", body="Opening")
    post = make_post(app, author, thread, body="Words deleted long ago")
    with app.app_context():
        database.session().get(Post, post.id).deleted_at = utcnow() - OLD
        database.session().commit()
    return lambda: _scalar(app, select(Post.body_source).where(Post.id == post.id))


JOBS = {
    "retention.deleted_posts": _old_deleted_post,
    "retention.audit_addresses": _old_audit_row,
    "retention.ended_sessions": _old_session,
    "retention.mail_log": _old_mail,
    "retention.search_outbox": _stuck_outbox_entry,
    "retention.data_exports": _expired_export,
    "archive.review_reminders": _due_review,
}


@pytest.mark.parametrize("name", list(JOBS))
def test_a_database_failing_under_the_job_fails_its_run_visibly_loses_nothing_and_the_retry_does_it(
        app, make_user, tmp_path, db_fault, name):
    pending = JOBS[name](app, make_user)  # a callable: truthy while the job's work is still to do
    assert pending()
    huey = _node(app, tmp_path)
    task = _periodic_task(huey, name, _moment(name))
    db_fault.active = True
    huey.execute(task)  # fails inside; Huey keeps a retry of it
    db_fault.active = False
    [(status, attempts, error)] = _runs(app, name)
    assert status == "failed" and attempts == 1 and "server closed the connection" in error
    assert pending()  # nothing was half done, nothing lost
    assert huey.scheduled_count() == 1
    [retry] = huey.scheduled()
    huey.execute(retry, timestamp=retry.eta)
    assert _runs(app, name) == [("done", 2, "")]
    assert not pending()


def test_the_export_build_with_the_database_failing_is_retried_and_the_export_is_built(app, make_user, tmp_path,
                                                                                        db_fault, client_for):
    from tests.conftest import csrf_token

    user = make_user()
    app.config.update(JOBS_BACKEND="sqlite", JOBS_SQLITE_FILE=str(tmp_path / "queue.sqlite3"))
    huey = engine.build(app)
    app.extensions["jobs"] = huey
    client = client_for(user)
    assert client.post("/account/my-data/export",
                       data={"csrf_token": csrf_token(client, "/account/my-data")}).status_code == 302
    [task] = [t for t in iter(huey.dequeue, None)][:1] or [None]
    assert task is not None
    db_fault.active = True
    huey.execute(task)  # the build fails: Huey schedules the retry
    db_fault.active = False
    export = _scalar(app, select(DataExport).where(DataExport.user_id == user.id))
    with app.app_context():
        assert export.status == "pending" and not os.path.exists(data_export.file_path(export))
    assert huey.scheduled_count() == 1
    [retry] = huey.scheduled()
    huey.execute(retry, timestamp=retry.eta)
    export = _scalar(app, select(DataExport).where(DataExport.user_id == user.id))
    with app.app_context():
        assert export.status == "ready" and os.path.getsize(data_export.file_path(export)) > 0
    assert client.get(f"/account/my-data/export/{export.id}").status_code == 200


# ---------------------------------------------------------------- SMTP down


def test_review_reminders_with_smtp_down_keep_the_mail_queued_until_it_is_back(smtp_app, smtp_server, make_user):
    app = smtp_app
    author = make_user(email="reminded.author@example.org")
    item = publish(app, author, make_user(roles=("facilitator",), clearance="restricted"), title="Lesson to review")
    with app.app_context():
        database.session().get(Submission, item.id).review_on = (utcnow() + timedelta(days=2)).date()
        database.session().commit()
    smtp_server.stop()
    with app.app_context():
        from webapp.jobs import claims

        assert claims.run_once(app, schedule.periodic_job("archive.review_reminders"), utcnow()) == 1
        report = mail_delivery.sweep(app, now=utcnow() + timedelta(hours=1))
        assert report.sent == 0
        [row] = database.session().scalars(select(OutgoingMail).where(
            OutgoingMail.to_address == "reminded.author@example.org",
            OutgoingMail.subject.contains("due for review"))).all()
        assert row.status is MailStatus.QUEUED and row.last_error  # kept, with the reason, for a retry
        database.session().expunge_all()
    assert _runs(app, "archive.review_reminders")[0][0] == "done"  # the reminder itself is not lost either
    # The mail-log retention job running meanwhile never drops a mail still to be delivered.
    with app.app_context():
        from webapp.services import retention

        retention.purge_mail(app, now=utcnow() + timedelta(days=400))
        assert database.session().scalar(select(OutgoingMail.id).where(
            OutgoingMail.to_address == "reminded.author@example.org",
            OutgoingMail.subject.contains("due for review"))) is not None
    smtp_server.start()
    with app.app_context():
        assert mail_delivery.sweep(app, now=utcnow() + timedelta(hours=2)).sent >= 1
    [message] = [m for m in smtp_server.to("reminded.author@example.org") if "due for review" in str(m["Subject"])]
    assert "retire it" in body_text(message)
    with app.app_context():
        from webapp.services import review_dates

        assert review_dates.remind_due(app) == 0  # told once, not again after the outage


# ---------------------------------------------------------------- disk full


def _mail_log_with_an_old_message(app) -> str:
    path = app.config["MAIL_OUTBOX_FILE"]
    old = format_datetime(utcnow() - OLD, usegmt=True)
    new = format_datetime(utcnow(), usegmt=True)
    with open(path, "w", encoding="utf-8") as log_file:
        log_file.write(f"Date: {old}\nSubject: old\n\nold body" + mail.OUTBOX_SEPARATOR
                       + f"Date: {new}\nSubject: new\n\nnew body" + mail.OUTBOX_SEPARATOR)
    return path


def test_a_full_disk_fails_the_mail_log_job_leaves_the_log_whole_and_the_retry_truncates_it(
        app, tmp_path, monkeypatch):
    path = _mail_log_with_an_old_message(app)
    before = open(path, encoding="utf-8").read()
    name = "retention.mail_log"
    huey = _node(app, tmp_path)
    task = _periodic_task(huey, name, _moment(name))

    def disk_full(replacement, text_):
        with open(replacement, "w", encoding="utf-8") as half:
            half.write(text_[:10])  # part of it went to disk, then the disk was full
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(mail, "_write_replacement", disk_full)
        huey.execute(task)
    [(status, attempts, error)] = _runs(app, name)
    assert status == "failed" and "No space left on device" in error
    assert open(path, encoding="utf-8").read() == before  # the log is whole
    assert sorted(os.listdir(os.path.dirname(path))) == sorted(
        n for n in os.listdir(os.path.dirname(path)) if ".rewrite-" not in n)  # no leftover
    [retry] = huey.scheduled()
    huey.execute(retry, timestamp=retry.eta)
    assert _runs(app, name) == [("done", 2, "")]
    after = open(path, encoding="utf-8").read()
    assert "new body" in after and "old body" not in after


def test_a_message_sent_while_the_log_is_rewritten_is_not_lost(app):
    """The rewrite replaces the file; a writer that opened the old one writes to the new one instead."""
    path = _mail_log_with_an_old_message(app)
    transport = mail.OutboxFileTransport(path)
    stale = open(path, "a", encoding="utf-8")  # as a writer waiting for the lock would hold it
    assert mail.rewrite_outbox_file(path, lambda m: "old body" not in m) == 1
    stale.close()
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"] = "during the rewrite"
    message.set_content("kept")
    transport.send(message)
    content = open(path, encoding="utf-8").read()
    assert "during the rewrite" in content and "new body" in content and "old body" not in content
    with app.extensions["db_engine"].connect() as conn:  # the database is untouched by all this
        assert conn.scalar(text("SELECT COUNT(*) FROM outgoing_mail")) == 0
