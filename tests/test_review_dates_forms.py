"""Review dates on the forms (issue 14): every archive kind's create and edit form, and the conclude form of a
round (its outcome synthesis), take the originator's review date; a date in the past, an absurd one or a malformed
one gets a clear message and a 400, and saves nothing; reminders and the lapsed list cover every kind."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from tests.dialogue_helpers import make_round, send
from tests.search_helpers import publish
from webapp import db as database
from webapp.jobs import claims
from webapp.jobs.schedule import periodic_job
from webapp.models import AuditEvent, DialogueRound, Notification, OutgoingMail, Submission, SubmissionKind, utcnow
from webapp.models.dialogue_round import RoundState

KIND_FORMS = {
    "lesson_learnt": {"observation": "The link dropped.", "discussion": "Known risk.", "conclusion": "Plan for it.",
                      "recommendation": "Drill it.", "lesson_status": "identified"},
    "good_practice": {"challenge": "Drift.", "practice": "Retrain monthly.", "evidence_of_effect": "Fewer errors.",
                      "transfer_conditions": "Labelled data."},
    "responsible_ai_policy": {"issuer": "Example Corp", "scope": "All products.", "principles": "Human control.",
                              "policy_version": "1.0"},
}


def _day(days: int) -> str:
    return (utcnow() + timedelta(days=days)).date().isoformat()


def _form(kind: str, **overrides) -> dict:
    data = {"title": f"Reviewed {kind}", "summary": "Two sentences.", "keywords": "", "paragraphs": ["14"],
            "tier": "community", "sharing_group_id": "", **KIND_FORMS[kind]}
    data.update(overrides)
    return data


def _create(client, kind: str, **overrides):
    path = f"/archive/new/{kind}"
    return send(client, path, _form(kind, **overrides), token_page=path)


def _only_item(app) -> Submission | None:
    with app.app_context():
        return database.session().scalar(select(Submission))


@pytest.mark.parametrize("kind", list(KIND_FORMS))
def test_the_create_form_of_every_kind_takes_the_review_date(app, make_user, client_for, kind):
    client = client_for(make_user())
    page = client.get(f"/archive/new/{kind}").get_data(as_text=True)
    assert 'name="review_on"' in page and 'type="date"' in page
    days = app.config["REVIEW_DEFAULT_DAYS"][kind]
    assert f"{days} days after publication" in page
    chosen = _day(200)
    response = _create(client, kind, review_on=chosen)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _only_item(app).review_on.isoformat() == chosen


def test_an_empty_review_date_means_the_kinds_default(app, make_user, client_for):
    client = client_for(make_user())
    assert _create(client, "responsible_ai_policy", review_on="").status_code == 302
    assert _only_item(app).review_on is None  # the daily job fills in the default once it is published


@pytest.mark.parametrize("value, message", [
    ("2001-01-01", "must be in the future"),
    ("today", "YYYY-MM-DD"),
    ("31/12/2027", "YYYY-MM-DD"),
    ("2027-02-30", "YYYY-MM-DD"),
    ("9999-12-31", "within 10 years"),
    ("0001-01-01", "must be in the future"),
])
@pytest.mark.parametrize("kind", ["lesson_learnt", "responsible_ai_policy"])
def test_a_bad_review_date_on_the_create_form_is_a_form_error_and_saves_nothing(app, make_user, client_for,
                                                                                  row_counts, kind, value, message):
    client = client_for(make_user())
    client.get(f"/archive/new/{kind}")
    before = row_counts()
    response = _create(client, kind, review_on=value)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert row_counts() == before


def test_todays_date_is_refused(app, make_user, client_for):
    response = _create(client_for(make_user()), "lesson_learnt", review_on=_day(0))
    assert response.status_code == 400 and "must be in the future" in response.get_data(as_text=True)


def _edit(client, item_id: int, kind: str, **overrides):
    path = f"/archive/{item_id}/edit"
    return client.post(path, data={**_form(kind, **overrides), "csrf_token": csrf_token(client, path)})


def test_the_edit_form_shows_changes_and_audits_the_review_date(app, make_user, client_for):
    author = make_user()
    client = client_for(author)
    first = _day(100)
    assert _create(client, "good_practice", review_on=first).status_code == 302
    item = _only_item(app)
    page = client.get(f"/archive/{item.id}/edit").get_data(as_text=True)
    assert f'value="{first}"' in page
    later = _day(300)
    assert _edit(client, item.id, "good_practice", review_on=later).status_code == 302
    assert _only_item(app).review_on.isoformat() == later
    with app.app_context():
        event = database.session().scalar(select(AuditEvent).where(AuditEvent.action == "submission.review_date_set"))
        assert event.actor_id == author.id and event.details == {"before": first, "after": later}
    bad = _edit(client, item.id, "good_practice", review_on="soon")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.get_data(as_text=True)
    assert _only_item(app).review_on.isoformat() == later


def test_editing_a_lapsed_item_keeps_its_date_unless_it_is_changed(app, make_user, client_for):
    author = make_user()
    reviewer = make_user(roles=("facilitator",), clearance="restricted")
    item = publish(app, author, reviewer, title="Lapsed lesson")
    lapsed = (utcnow() - timedelta(days=5)).date()
    with app.app_context():
        database.session().get(Submission, item.id).review_on = lapsed
        database.session().commit()
    client = client_for(author)
    values = {"title": "Lapsed lesson", "summary": item.summary, "observation": "Observed again.",
              "discussion": "d", "conclusion": "c", "recommendation": "r", "lifecycle_stage": "use"}
    # The unchanged (lapsed) date is not "a date in the past" chosen now: the edit goes through.
    response = _edit(client, item.id, "lesson_learnt", review_on=lapsed.isoformat(), **values)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        assert database.session().get(Submission, item.id).review_on == lapsed
    # Choosing another past date is refused.
    response = _edit(client, item.id, "lesson_learnt", review_on=(lapsed - timedelta(days=1)).isoformat(), **values)
    assert response.status_code == 400 and "must be in the future" in response.get_data(as_text=True)


def _closed_round(app, facilitator):
    round_ = make_round(app, facilitator)
    client_form = {"synthesis": "We agreed on shared test ranges.", "paragraphs": ["16"]}
    return round_, client_form


def test_the_conclude_form_sets_the_synthesis_review_date_and_refuses_a_bad_one(app, make_user, client_for):
    facilitator = make_user(roles=("facilitator",), clearance="restricted")
    round_, form = _closed_round(app, facilitator)
    client = client_for(facilitator)
    send(client, f"/dialogue/rounds/{round_.id}/close")
    page = client.get(f"/dialogue/rounds/{round_.id}/conclude").get_data(as_text=True)
    assert 'name="review_on"' in page
    for value, message in (("2001-01-01", "must be in the future"), ("next year", "YYYY-MM-DD"),
                           ("2999-01-01", "within 10 years")):
        response = send(client, f"/dialogue/rounds/{round_.id}/conclude", {**form, "review_on": value})
        assert response.status_code == 400 and message in response.get_data(as_text=True)
        with app.app_context():
            assert database.session().get(DialogueRound, round_.id).state is not RoundState.CONCLUDED
            assert database.session().scalar(select(Submission)) is None
    chosen = _day(500)
    assert send(client, f"/dialogue/rounds/{round_.id}/conclude", {**form, "review_on": chosen}).status_code == 302
    synthesis = _only_item(app)
    assert synthesis.kind is SubmissionKind.OUTCOME_SYNTHESIS and synthesis.review_on.isoformat() == chosen


def test_reminders_and_the_lapsed_list_cover_syntheses_and_policies(app, make_org, make_user, client_for):
    org = make_org(name="Reviewing org")
    facilitator = make_user(roles=("facilitator",), clearance="restricted", org=org)
    author = make_user(org=org)
    round_, form = _closed_round(app, facilitator)
    fclient = client_for(facilitator)
    send(fclient, f"/dialogue/rounds/{round_.id}/close")
    assert send(fclient, f"/dialogue/rounds/{round_.id}/conclude", form).status_code == 302
    aclient = client_for(author)
    assert _create(aclient, "responsible_ai_policy", review_on=_day(20)).status_code == 302
    with app.app_context():
        db = database.session()
        synthesis = db.scalar(select(Submission).where(Submission.kind == SubmissionKind.OUTCOME_SYNTHESIS))
        policy_item = db.scalar(select(Submission).where(Submission.kind == SubmissionKind.RESPONSIBLE_AI_POLICY))
        synthesis.review_on = (utcnow() + timedelta(days=3)).date()
        policy_item.status, policy_item.published_at = synthesis.status, utcnow()
        db.commit()
        synthesis_id, policy_id = synthesis.id, policy_item.id
        assert claims.run_once(app, periodic_job("archive.review_reminders"), utcnow()) == 2
        told = set(db.execute(select(Notification.user_id, Notification.object_id)
                              .where(Notification.event == "review_due")).all())
        assert told == {(facilitator.id, synthesis_id), (author.id, policy_id)}
        bodies = " ".join(m.body for m in db.scalars(select(OutgoingMail)) if "review" in m.subject.lower())
        assert "retire it" in bodies and "archive it" not in bodies
        for item in db.scalars(select(Submission)):
            item.review_on = (utcnow() - timedelta(days=1)).date()
        db.commit()
    focal = make_user(org=org, roles=("focal_point",))
    page = client_for(focal).get("/archive/review-lapsed").get_data(as_text=True)
    assert "Outcome of the dialogue round" in page and "Reviewed responsible_ai_policy" in page
    assert "retire it" in page and "archive it" not in page
    item_page = aclient.get(f"/archive/{policy_id}").get_data(as_text=True)
    assert f"/archive/{policy_id}/retire" in item_page and "Or archive it" not in item_page
