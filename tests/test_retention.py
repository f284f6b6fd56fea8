"""Retention jobs (issue 14): audit addresses, ended sessions, mail, the search outbox and deleted posts' text are
purged after their configured periods, once per slot; /api/health says when each job last ran."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, select

from tests.dialogue_helpers import make_post, make_thread, viewer
from webapp import db as database
from webapp.jobs import claims
from webapp.jobs.schedule import periodic_job
from webapp.mail import Mail, OutboxFileTransport, build_message
from webapp.models import (AuditEvent, AuthSession, MailStatus, OutgoingMail, Post, PostRevision, SearchOutboxEntry,
                           utcnow)
from webapp.services import retention

OLD, RECENT = timedelta(days=400), timedelta(hours=1)


def _run(app, name):
    with app.app_context():
        return claims.run_once(app, periodic_job(name), utcnow())


def test_audit_addresses_older_than_the_period_are_blanked_and_the_act_kept(app):
    with app.app_context():
        db = database.session()
        for age in (OLD, RECENT):
            db.execute(insert(AuditEvent).values(occurred_at=utcnow() - age, action="test.act", object_type="x",
                                                 ip="198.51.100.9", details={}))
        db.commit()
    assert _run(app, "retention.audit_addresses") == 1
    with app.app_context():
        rows = database.session().execute(select(AuditEvent.action, AuditEvent.ip)
                                          .where(AuditEvent.action == "test.act").order_by(AuditEvent.id)).all()
    assert rows == [("test.act", ""), ("test.act", "198.51.100.9")]
    # Once per slot: a second run in the same day is skipped.
    assert _run(app, "retention.audit_addresses") is None


def test_ended_sessions_are_deleted_live_ones_kept(app, make_user):
    user = make_user()
    now = utcnow()
    with app.app_context():
        db = database.session()
        db.add_all([
            AuthSession(token_hash="a" * 64, user_id=user.id, created_at=now - OLD, revoked_at=now - OLD, ip="x"),
            AuthSession(token_hash="b" * 64, user_id=user.id, created_at=now - OLD, last_seen_at=now - OLD, ip="y"),
            AuthSession(token_hash="c" * 64, user_id=user.id, created_at=now - OLD, last_seen_at=now, ip="z"),
            AuthSession(token_hash="d" * 64, user_id=user.id, created_at=now, revoked_at=now - RECENT, ip="w"),
        ])
        db.commit()
    assert _run(app, "retention.ended_sessions") == 2
    with app.app_context():
        assert set(database.session().scalars(select(AuthSession.ip))) == {"z", "w"}


def test_sent_mail_rows_and_old_mail_log_messages_are_purged(app):
    now = utcnow()
    with app.app_context():
        db = database.session()
        for n, (address, status, sent) in enumerate( (("old@example.org", MailStatus.SENT, now - OLD),
                                      ("new@example.org", MailStatus.SENT, now - RECENT),
                                      ("queued@example.org", MailStatus.QUEUED, None))):
            db.add(OutgoingMail(to_address=address, subject="s", body="b", status=status, sent_at=sent,
                                message_id=f"<m{n}@x>",
                                created_at=now - OLD, updated_at=now - OLD, next_attempt_at=now))
        db.commit()
        log = OutboxFileTransport(app.config["MAIL_OUTBOX_FILE"])
        log.send(build_message(app, Mail(to="old@example.org", subject="old", body="b"), message_id="<1@x>",
                               date=now - OLD))
        log.send(build_message(app, Mail(to="new@example.org", subject="new", body="b"), message_id="<2@x>",
                               date=now - RECENT))
    assert _run(app, "retention.mail_log") == 2  # one row, one logged message
    with app.app_context():
        assert set(database.session().scalars(select(OutgoingMail.to_address))) == {"new@example.org",
                                                                                   "queued@example.org"}
    text = open(app.config["MAIL_OUTBOX_FILE"], encoding="utf-8").read()
    assert "old@example.org" not in text and "new@example.org" in text


def test_search_outbox_entries_failing_for_too_long_are_dropped(app):
    now = utcnow()
    with app.app_context():
        db = database.session()
        db.add_all([SearchOutboxEntry(kind="post", object_id=1, created_at=now - OLD, attempts=5, last_error="e"),
                    SearchOutboxEntry(kind="post", object_id=2, created_at=now - OLD, attempts=0),
                    SearchOutboxEntry(kind="post", object_id=3, created_at=now, attempts=2)])
        db.commit()
    assert _run(app, "retention.search_outbox") == 1
    with app.app_context():
        assert sorted(database.session().scalars(select(SearchOutboxEntry.object_id))) == [2, 3]


def test_hidden_and_soft_deleted_posts_lose_their_text_after_the_period(app, make_user):
    """Posts hidden by a moderator (and any soft-deleted one still holding text, e.g. from before deletion purged
    at once) lose their words and revisions once RETENTION_DELETED_POST_DAYS have passed."""
    from webapp.services import moderation

    author, other = make_user(), make_user()
    moderator = make_user(roles=("facilitator",))
    thread = make_thread(app, author, title="Retention thread", body="Opening words")
    old = make_post(app, author, thread, body="Soon forgotten words")
    legacy = make_post(app, author, thread, body="Legacy deleted words")
    fresh = make_post(app, author, thread, body="Recently hidden words")
    kept = make_post(app, other, thread, body="Words that stay")
    with app.test_request_context():
        moderation.hide_post(viewer(app, moderator), old.id, reason="off topic")
        moderation.hide_post(viewer(app, moderator), fresh.id, reason="off topic")
    with app.app_context():
        db = database.session()
        db.get(Post, old.id).hidden_at = utcnow() - OLD
        db.get(Post, legacy.id).deleted_at = utcnow() - OLD
        db.commit()
    assert _run(app, "retention.deleted_posts") == 2
    with app.app_context():
        db = database.session()
        for purged in (old.id, legacy.id):
            assert db.get(Post, purged).body_source == "" and db.get(Post, purged).body_html == ""
            assert not list(db.scalars(select(PostRevision).where(PostRevision.post_id == purged)))
        assert db.get(Post, fresh.id).body_source == "Recently hidden words"
        assert db.get(Post, kept.id).body_source == "Words that stay"
        # The index forgets the purged post.
        assert ("post", old.id) in set(db.execute(select(SearchOutboxEntry.kind, SearchOutboxEntry.object_id)).all())


def test_the_periods_come_from_the_configuration(app):
    with app.app_context():
        db = database.session()
        db.execute(insert(AuditEvent).values(occurred_at=utcnow() - timedelta(days=3), action="test.act",
                                             object_type="x", ip="198.51.100.9", details={}))
        db.commit()
        app.config["RETENTION_AUDIT_ADDRESS_DAYS"] = 5
        assert retention.purge_audit_addresses(app) == 0
        app.config["RETENTION_AUDIT_ADDRESS_DAYS"] = 2
        assert retention.purge_audit_addresses(app) == 1


def test_health_says_when_each_retention_job_last_ran(app, client):
    before = client.get("/api/health").get_json()["retention"]
    assert set(before) == set(retention.RETENTION_JOBS) and all(value is None for value in before.values())
    _run(app, "retention.ended_sessions")
    after = client.get("/api/health").get_json()["retention"]
    assert after["retention.ended_sessions"] is not None and after["retention.mail_log"] is None
