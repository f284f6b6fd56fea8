"""Tear lines in the admin audit log (DESIGN.md rule 10, policy/audit.py): an act on sections above an admin's
reading level of an item she reads — a restricted read of a community lesson, an edit touching only a restricted
section proposed, published or returned — is not listed to her at all: every page of the log, every filter, every
tab and the pager are exactly what they were before it happened. An admin cleared for the section sees the rows."""
from __future__ import annotations

import difflib
import html
import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from tests.conftest import without_csrf
from tests.search_helpers import publish, viewer_of
from webapp.db import session, unit_of_work
from webapp.models import AuditEvent, Submission, SubmissionRevision
from webapp.services.audit import record
from webapp.services.submission_fields import fields_from_snapshot, snapshot
from webapp.services.submission_workflow import publish_revision, return_revision
from webapp.services.submissions import update_submission

WORD = "zanzibarite"  # only ever in the restricted section
FILLER_ROWS = 60  # more than a page (50): the activity would shift page 2 and the pager if it were counted


@pytest.fixture
def cast(app, make_org, make_user):
    home = make_org(stakeholder_type="state", country="KR", name="Home Ministry")
    other = make_org(stakeholder_type="academia", country="FR", name="Other Institute")
    cast = {
        "author": make_user("confidential", org=home, name="Aurelio Author"),
        "reviewer": make_user("confidential", roles=("facilitator",), org=home, name="Renata Reviewer"),
        "reader": make_user("restricted", org=other, name="Rupert Reader"),
        "low_admin": make_user("community", roles=("admin",), org=other, name="Lowena Admin"),
        "cleared_admin": make_user("restricted", roles=("admin",), org=other, name="Clement Admin"),
    }
    with app.test_request_context(), unit_of_work() as db:
        for n in range(FILLER_ROWS):
            record(db, cast["reviewer"].id, "user.verified", "user", cast["reader"].id, n=n)
    cast["item"] = publish(app, cast["author"], cast["reviewer"], tier="community", title="Oversight drills")
    return cast


def _edit_restricted_section(app, cast, text: str):
    """The author adds or rewrites a restricted section of the published community lesson (a pending revision)."""
    with app.test_request_context():
        stored = session().get(Submission, cast["item"].id)
        data = fields_from_snapshot(stored, snapshot(stored))
        data["remedial_action"] = text
        data["section_tiers"] = {**data["section_tiers"], "remedial_action": "restricted"}
        update_submission(viewer_of(app, cast["author"]), stored.id, data, note="remedial action")
    with app.test_request_context():
        return max(r.number for r in session().get(Submission, cast["item"].id).revisions)


def _restricted_activity(app, cast, reader_client) -> None:
    """Everything a community admin must not learn of: a restricted section proposed and published, another
    proposal returned, and reads of the lesson at restricted (its page and its export)."""
    number = _edit_restricted_section(app, cast, f"{WORD.capitalize()} detail: the sensor failed twice.")
    with app.test_request_context():
        publish_revision(viewer_of(app, cast["reviewer"]), cast["item"].id, number)
    number = _edit_restricted_section(app, cast, f"{WORD.capitalize()} detail, rewritten: it failed three times.")
    with app.test_request_context():
        return_revision(viewer_of(app, cast["reviewer"]), cast["item"].id, number, "Say which sensor.")
    for path in (f"/archive/{cast['item'].id}", f"/archive/{cast['item'].id}.md"):
        body = reader_client.get(path).get_data(as_text=True)
        assert WORD.capitalize() in body  # the reader read the restricted section


ASKED = [
    {},
    {"kind": "reads"},
    {"kind": "all"},
    {"kind": "changes"},
    {"kind": "all", "action": "submission."},
    {"kind": "all", "action": "submission.read"},
    {"kind": "all", "action": "submission.revision_published"},
    {"kind": "all", "action": "submission.revision_proposed"},
    {"kind": "all", "action": "submission.revision_returned"},
    {"kind": "all", "person": "Aurelio"},
    {"kind": "all", "person": "Renata"},
    {"kind": "reads", "person": "Rupert"},
]


def _log(client) -> dict:
    """Every asked page, the page its Older link leads to and the page that one's Newer link leads to."""
    answers = {}
    for args in ASKED:
        url, key = "/admin/audit?" + urlencode(args), tuple(sorted(args.items()))
        for step in ("", "older", "newer"):
            response = client.get(url)
            body = without_csrf(response.get_data(as_text=True))
            answers[key + (step,)] = (response.status_code, body)
            link = re.search(r'<a href="([^"]+)" rel="%s">' % ("next" if step != "older" else "prev"), body)
            if link is None:
                break
            url = html.unescape(link.group(1))
    return answers


def _rows(page: str) -> list[str]:
    return re.findall(r"<tr>.*?</tr>", page.split("<tbody>", 1)[1], flags=re.S)


def _actions(page: str) -> list[str]:
    return re.findall(r"<code>([a-z_.]+)</code>", "".join(_rows(page)))


def test_a_community_admin_learns_nothing_of_acts_on_a_restricted_section(app, cast, client_for):
    low = client_for(cast["low_admin"])
    reader = client_for(cast["reader"])  # signed in (an audited act) before the first look at the log
    low.get("/admin/audit")  # shows the "signed in" message once
    before = _log(low)
    first = before[(("kind", "all"), "")][1]
    assert f"submission #{cast['item'].id}" in first and 'rel="next"' in first  # the lesson's rows, and a page 2
    assert (("kind", "all"), "newer") in before and (("kind", "changes"), "older") in before
    assert (("kind", "all"), ("person", "Renata"), "older") in before
    _restricted_activity(app, cast, reader)
    after = _log(low)
    for key, answer in before.items():
        if after[key] != answer:
            changed = [line for line in difflib.unified_diff(answer[1].split("\n"), after[key][1].split("\n"),
                                                             lineterm="", n=0)][:12]
            pytest.fail(f"{key} changed: " + "\n".join(changed))
    assert all(WORD not in body.lower() for _status, body in after.values())

    # Not vacuous: the rows exist, and an admin cleared for the section sees every one of them.
    with app.app_context():
        recorded = [e.action for e in session().scalars(select(AuditEvent).where(
            AuditEvent.object_type == "submission", AuditEvent.object_id == cast["item"].id))]
    for action in ("submission.revision_proposed", "submission.revision_published", "submission.revision_returned",
                   "submission.read"):
        assert action in recorded
    cleared = client_for(cast["cleared_admin"]).get("/admin/audit", query_string={"kind": "all"})
    actions = _actions(cleared.get_data(as_text=True))
    assert actions.count("submission.read") == 2 and actions.count("submission.revision_proposed") == 2
    assert "submission.revision_published" in actions and "submission.revision_returned" in actions


def test_an_edit_the_community_admin_can_read_stays_listed(app, cast, client_for):
    low = client_for(cast["low_admin"])
    with app.test_request_context():
        stored = session().get(Submission, cast["item"].id)
        data = fields_from_snapshot(stored, snapshot(stored))
        data["summary"] = "Operators over-trusted the aid; drills now cover its failure modes."
        update_submission(viewer_of(app, cast["author"]), stored.id, data, note="summary")
        number = max(r.number for r in session().get(Submission, stored.id).revisions)
    with app.test_request_context():
        publish_revision(viewer_of(app, cast["reviewer"]), cast["item"].id, number)
    page = low.get("/admin/audit", query_string={"action": "submission."}).get_data(as_text=True)
    assert _actions(page)[:2] == ["submission.revision_published", "submission.revision_proposed"]
    # An edit that changed a community section as well as the restricted one is listed too (she reads part of it).
    with app.test_request_context():
        stored = session().get(Submission, cast["item"].id)
        data = fields_from_snapshot(stored, snapshot(stored))
        data["discussion"] = "Automation bias, again."
        data["remedial_action"] = f"{WORD.capitalize()} detail."
        data["section_tiers"] = {**data["section_tiers"], "remedial_action": "restricted"}
        update_submission(viewer_of(app, cast["author"]), stored.id, data, note="both")
    page = low.get("/admin/audit", query_string={"action": "submission."}).get_data(as_text=True)
    assert _actions(page)[0] == "submission.revision_proposed" and WORD not in page.lower()


def _row(app, actor, action: str, item_id: int, **details) -> AuditEvent:
    with app.test_request_context(), unit_of_work() as db:
        event = record(db, actor.id, action, "submission", item_id, **details)
        db.flush()
        return event.id


def _listed_to(app, user, event_id: int) -> bool:
    from webapp.policy.audit import audit_row_listed

    with app.test_request_context():
        db = session()
        event = db.get(AuditEvent, event_id)
        item = db.get(Submission, event.object_id)
        revisions = list(db.scalars(select(SubmissionRevision).where(SubmissionRevision.submission_id == item.id)))
        return audit_row_listed(viewer_of(app, user), event, item, revisions)


def test_rows_lacking_what_they_need_are_listed_only_to_who_reads_everything(app, cast, client_for):
    reader = client_for(cast["reader"])
    _restricted_activity(app, cast, reader)  # the lesson now has a restricted section
    item_id = cast["item"].id
    no_tier = _row(app, cast["reader"], "submission.read", item_id, how="page")
    bad_tier = _row(app, cast["reader"], "submission.read", item_id, tier="top-secret")
    no_revision = _row(app, cast["author"], "submission.revision_published", item_id)
    unknown_revision = _row(app, cast["author"], "submission.edited", item_id, revision=9_999)
    forged_revision = _row(app, cast["author"], "submission.edited", item_id, revision=True)
    community_read = _row(app, cast["reader"], "submission.read", item_id, tier="community")
    for event_id in (no_tier, bad_tier, no_revision, unknown_revision, forged_revision):
        assert not _listed_to(app, cast["low_admin"], event_id)
        assert _listed_to(app, cast["cleared_admin"], event_id)
    assert _listed_to(app, cast["low_admin"], community_read)
    assert not _listed_to(app, cast["reader"], community_read)  # not an admin: no row at all


def test_a_row_about_an_item_the_admin_cannot_read_stays_a_kind_and_a_number(app, cast, client_for, make_user):
    secret = publish(app, cast["author"], cast["reviewer"], tier="restricted", title="Closed lesson")
    event_id = _row(app, cast["reader"], "submission.read", secret.id, tier="restricted")
    assert _listed_to(app, cast["low_admin"], event_id)
    page = client_for(cast["low_admin"]).get("/admin/audit", query_string={"kind": "reads"}).get_data(as_text=True)
    [row] = [r for r in _rows(page) if f"submission #{secret.id}" in r]
    assert "an archive item" in row and "Closed lesson" not in row and "details withheld" in row


def test_a_failing_rule_leaves_the_row_out(app, cast):
    from webapp.policy.audit import audit_row_listed

    class Broken:
        id, object_type, action, object_id = 1, "submission", "submission.read", cast["item"].id

        @property
        def details(self):
            raise RuntimeError("unreadable row")

    with app.test_request_context():
        item = session().get(Submission, cast["item"].id)
        assert not audit_row_listed(viewer_of(app, cast["cleared_admin"]), Broken(), item, [])
