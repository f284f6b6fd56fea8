"""Review dates (issue 14): a default per kind, set by the originator, a reminder before it lapses, and the list of
lapsed items for focal points and administrators; a date in the past gets a clear error."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.conftest import csrf_token
from tests.search_helpers import publish
from webapp import db as database
from webapp.jobs import claims
from webapp.jobs.schedule import periodic_job
from webapp.models import AuditEvent, Notification, Submission, utcnow


def _set(client, item_id, value):
    return client.post(f"/archive/{item_id}/review-date",
                       data={"review_on": value, "csrf_token": csrf_token(client, f"/archive/{item_id}")})


def _item(app, make_user, org=None):
    author = make_user(org=org)
    reviewer = make_user(roles=("facilitator",), clearance="restricted")
    return author, publish(app, author, reviewer, title="Reviewed lesson")


def test_the_default_is_per_kind_and_the_originator_keeps_it_with_a_new_date(app, make_user, client_for):
    author, item = _item(app, make_user)
    client = client_for(author)
    default = (item.published_at + timedelta(days=app.config["REVIEW_DEFAULT_DAYS"]["lesson_learnt"])).date()
    page = client.get(f"/archive/{item.id}").get_data(as_text=True)
    assert f"Review due on {default.isoformat()}" in page and "delete it for good" in page
    chosen = (utcnow() + timedelta(days=100)).date().isoformat()
    assert _set(client, item.id, chosen).status_code == 302
    with app.app_context():
        db = database.session()
        assert db.get(Submission, item.id).review_on.isoformat() == chosen
        event = db.scalar(select(AuditEvent).where(AuditEvent.action == "submission.review_date_set"))
        assert event.details == {"before": default.isoformat(), "after": chosen}


def test_a_review_date_in_the_past_or_malformed_or_by_someone_else_is_refused(app, make_user, client_for):
    author, item = _item(app, make_user)
    client = client_for(author)
    past = _set(client, item.id, (utcnow() - timedelta(days=1)).date().isoformat())
    assert past.status_code == 400 and "must be in the future" in past.get_data(as_text=True)
    today = _set(client, item.id, utcnow().date().isoformat())
    assert today.status_code == 400
    malformed = _set(client, item.id, "next spring")
    assert malformed.status_code == 400 and "YYYY-MM-DD" in malformed.get_data(as_text=True)
    far = _set(client, item.id, (utcnow() + timedelta(days=365 * 11)).date().isoformat())
    assert far.status_code == 400 and "within 10 years" in far.get_data(as_text=True)
    other = client_for(make_user())
    assert _set(other, item.id, (utcnow() + timedelta(days=9)).date().isoformat()).status_code == 403
    with app.app_context():
        assert database.session().get(Submission, item.id).review_on is None


def test_the_originator_is_reminded_once_before_it_lapses(app, make_user):
    author, item = _item(app, make_user)
    _, later = _item(app, make_user)
    with app.app_context():
        db = database.session()
        db.get(Submission, item.id).review_on = (utcnow() + timedelta(days=10)).date()
        db.commit()
        assert claims.run_once(app, periodic_job("archive.review_reminders"), utcnow()) == 1
        assert db.scalars(select(Notification.user_id).where(Notification.event == "review_due")).all() == [author.id]
        assert db.get(Submission, later.id).review_on is not None  # the default filled in, not yet due
        from webapp.services import review_dates

        assert review_dates.remind_due(app) == 0  # told once


def test_lapsed_items_are_listed_for_their_focal_point_and_admins_only(app, make_org, make_user, client_for):
    org = make_org(name="Lapsing org")
    _author, item = _item(app, make_user, org=org)
    with app.app_context():
        db = database.session()
        db.get(Submission, item.id).review_on = (utcnow() - timedelta(days=3)).date()
        db.commit()
    focal = make_user(org=org, roles=("focal_point",))
    other_focal = make_user(roles=("focal_point",))
    admin = make_user(roles=("admin",))
    assert "Reviewed lesson" in client_for(focal).get("/archive/review-lapsed").get_data(as_text=True)
    assert "Reviewed lesson" in client_for(admin).get("/archive/review-lapsed").get_data(as_text=True)
    assert "Reviewed lesson" not in client_for(other_focal).get("/archive/review-lapsed").get_data(as_text=True)
    assert client_for(make_user(org=org)).get("/archive/review-lapsed").status_code == 403
