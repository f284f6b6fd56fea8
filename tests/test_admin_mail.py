"""/admin/mail: admins see the mail queue by status (no subject or body), page through it, and send a failed mail
again (audited); everybody else is refused, and bad filters, pages and retries get clear answers."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from webapp import mail
from webapp.db import session, unit_of_work
from webapp.models import MailStatus, OutgoingMail


@pytest.fixture
def admin(make_user):
    return make_user(roles=("admin",), name="Ada Admin")


def _queue(app, *mails):
    with app.test_request_context(), unit_of_work() as db:
        return [mail.queue(db, m) for m in mails]


def _status(app, mail_id):
    with app.app_context():
        return session().scalar(select(OutgoingMail.status).where(OutgoingMail.id == mail_id))


def _post(client, url):
    return client.post(url, data={"csrf_token": csrf_token(client, "/account")})


def test_admins_see_the_queue_with_attempts_errors_and_no_content(smtp_app, smtp_server, admin, client_for):
    smtp_server.fail_with = "550 5.1.1 no such user"
    _queue(smtp_app, mail.Mail(to="bounce@example.org", subject="Secret subject SS-1", body="Secret body SB-1"))
    smtp_server.fail_with = None
    _queue(smtp_app, mail.Mail(to="fine@example.org", subject="Fine", body="x"))
    page = client_for(admin).get("/admin/mail").get_data(as_text=True)
    assert "bounce@example.org" in page and "550 5.1.1 no such user" in page and "fine@example.org" in page
    assert "SS-1" not in page and "SB-1" not in page
    assert "failed: 1" in page and "sent: 1" in page
    failed_only = client_for(admin).get("/admin/mail?status=failed").get_data(as_text=True)
    assert "bounce@example.org" in failed_only and "fine@example.org" not in failed_only


def test_the_queue_is_paginated(app, admin, client_for):
    _queue(app, *[mail.Mail(to=f"reader{i:02}@example.org", subject="x", body="y") for i in range(53)])
    client = client_for(admin)
    first = client.get("/admin/mail").get_data(as_text=True)
    assert "reader52@example.org" in first and "reader02@example.org" not in first and 'rel="next"' in first
    second = client.get("/admin/mail?page=2").get_data(as_text=True)
    assert "reader02@example.org" in second and "reader52@example.org" not in second and 'rel="next"' not in second


@pytest.mark.parametrize("query", ["status=lost", "status=%00", "page=0", "page=x", "page=100001"])
def test_bad_filters_and_pages_answer_400(app, admin, client_for, query):
    response = client_for(admin).get(f"/admin/mail?{query}")
    assert response.status_code == 400


def test_only_admins_see_or_retry(app, make_user, client_for):
    [mail_id] = _queue(app, mail.Mail(to="anna@example.org", subject="x", body="y"))
    member = client_for(make_user())
    assert member.get("/admin/mail").status_code == 403
    assert _post(member, f"/admin/mail/{mail_id}/retry").status_code == 403
    anonymous = client_for(None)
    assert anonymous.get("/admin/mail").status_code == 302
    assert anonymous.post(f"/admin/mail/{mail_id}/retry").status_code in (302, 400)


def test_an_admin_sends_a_failed_mail_again_audited(smtp_app, smtp_server, admin, client_for, audit_rows):
    smtp_server.fail_with = "554 5.7.1 rejected for policy reasons"
    [mail_id] = _queue(smtp_app, mail.Mail(to="anna@example.org", subject="Again", body="x"))
    smtp_server.fail_with = None
    assert _status(smtp_app, mail_id) is MailStatus.FAILED
    client = client_for(admin)
    response = _post(client, f"/admin/mail/{mail_id}/retry")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/mail")
    assert [m["Subject"] for m in smtp_server.wait_for(1)] == ["Again"]
    assert _status(smtp_app, mail_id) is MailStatus.SENT
    [row] = audit_rows("mail.")
    assert (row.actor_id, row.action, row.object_type, row.object_id) == (admin.id, "mail.retried", "outgoing_mail", mail_id)
    assert row.details == {"previous_error": "554 5.7.1 rejected for policy reasons"}


def test_retrying_what_has_not_failed_or_does_not_exist_is_refused(app, admin, client_for, audit_rows):
    [mail_id] = _queue(app, mail.Mail(to="anna@example.org", subject="x", body="y"))  # sent to the outbox file
    client = client_for(admin)
    assert _post(client, f"/admin/mail/{mail_id}/retry").status_code == 409
    assert _post(client, "/admin/mail/999999/retry").status_code == 404
    assert client.post(f"/admin/mail/{mail_id}/retry").status_code == 400  # no CSRF token
    assert audit_rows("mail.") == []
    assert _status(app, mail_id) is MailStatus.SENT


def test_a_lower_tier_admin_sees_nothing_of_a_confidential_items_mail(app, make_org, make_user, client_for):
    """Issue 11 §5: the notification mail about a confidential item is queued for its cleared reviewer; an admin
    of lower clearance (from elsewhere) sees on /admin/mail neither its subject nor its body nor the item's words."""
    from tests.archive_helpers import lesson_data, viewer
    from webapp.services.submission_workflow import submit_submission
    from webapp.services.submissions import create_submission

    korea = make_org(stakeholder_type="state", country="KR", name="Republic of Korea")
    author = make_user("confidential", org=korea)
    make_user("confidential", roles=("facilitator",), org=korea, email="reviewer@korea.example")
    low_admin = make_user("community", roles=("admin",), name="Lowe Admin")
    with app.test_request_context():
        item = create_submission(viewer(author), "lesson_learnt", lesson_data(
            tier="confidential", title="Operation Nightjar handover", summary="Kestrel relay failed at dawn."))
        submit_submission(viewer(author), item.id)
    with app.app_context():
        queued = list(session().scalars(select(OutgoingMail).where(OutgoingMail.to_address == "reviewer@korea.example")))
        secrets = [(m.subject, m.body) for m in queued]
    assert secrets, "the reviewer's notification mail was queued"
    client = client_for(low_admin)
    for url in ("/admin/mail", "/admin/mail?status=queued", "/admin/mail?status=sent", "/admin/mail?status=failed"):
        page = client.get(url).get_data(as_text=True)
        assert "Nightjar" not in page and "Kestrel" not in page, url
        for subject, body in secrets:
            assert subject not in page, url
            assert all(line not in page for line in body.splitlines() if len(line) > 12), url
    assert "reviewer@korea.example" in client.get("/admin/mail").get_data(as_text=True)  # people, not content
