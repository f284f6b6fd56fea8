"""Published stays reviewed (issue 11 §2, DESIGN.md rule 9): an edit of a published item is a pending revision;
readers see the published text everywhere until a reviewer publishes the new one or returns it with comments."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.archive_helpers import lesson_data, policy_data, viewer
from tests.conftest import csrf_token
from tests.search_helpers import indexer_on  # noqa: F401  (autouse)
from tests.search_helpers import publish, search_json, titles, viewer_of
from webapp import policy
from webapp.db import session, unit_of_work
from webapp.models import AuditEvent, Notification, Submission, SubmissionRevision
from webapp.services import Conflict, Forbidden, ServiceError
from webapp.services.submission_workflow import (
    publish_revision,
    publish_submission,
    return_revision,
    submit_submission,
)
from webapp.services.submissions import create_policy_version, create_submission, update_submission

OLD_WORD, NEW_WORD = "Automation", "zephyrquartz"
NEW_TITLE = "Operator trust revisited after the drills"


@pytest.fixture
def cast(app, make_user, make_org):
    author_org = make_org(stakeholder_type="state", country="KR")
    return {
        "author": make_user(clearance="restricted", org=author_org),
        "reviewer": make_user(clearance="restricted", roles=("facilitator",)),
        "reader": make_user(clearance="community"),
        "author_org": author_org,
    }


def _propose(app, cast, item_id: int, tier: str = "public") -> int:
    """The author proposes a new revision of the published lesson; its number."""
    with app.test_request_context():
        update_submission(viewer_of(app, cast["author"]), item_id, lesson_data(tier=tier,
            title=NEW_TITLE, discussion=f"Drills with {NEW_WORD} cards restored meaningful human control."))
        return session().scalar(select(SubmissionRevision.number).where(
            SubmissionRevision.submission_id == item_id, SubmissionRevision.review_state == "pending"))


def _reads(client, item_id: int) -> dict[str, str]:
    """What a reader gets from every read path of one public item."""
    return {
        "page": client.get(f"/archive/{item_id}").get_data(as_text=True),
        "feed": client.get("/archive/feed.atom").get_data(as_text=True),
        "paragraph_feed": client.get("/archive/paragraphs/14/feed.atom").get_data(as_text=True),
        "markdown": client.get(f"/archive/{item_id}.md").get_data(as_text=True),
        "json": client.get(f"/archive/{item_id}.json").get_data(as_text=True),
        "browse": client.get("/archive/").get_data(as_text=True),
        "paragraph": client.get("/paragraphs/14").get_data(as_text=True),
    }


def _post(client, path: str, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/archive/"), **data})


def test_readers_see_the_published_text_until_a_reviewer_publishes_the_revision(app, cast, client_for):
    item = publish(app, cast["author"], cast["reviewer"])
    number = _propose(app, cast, item.id)
    assert number is not None
    reader, anonymous = client_for(cast["reader"]), client_for(None)
    for client in (reader, anonymous):
        for path, body in _reads(client, item.id).items():
            assert NEW_WORD not in body and NEW_TITLE not in body, path
            assert "waiting for review" not in body, path
        assert titles(search_json(client, NEW_WORD)[1]) == []
        assert titles(search_json(client, OLD_WORD)[1]) == [item.title]
        # The proposal itself is not a revision readers may open.
        assert client.get(f"/archive/{item.id}/diff?from=1&to={number}").status_code == 404
    author, reviewer = client_for(cast["author"]), client_for(cast["reviewer"])
    author_page = author.get(f"/archive/{item.id}").get_data(as_text=True)
    assert "A revision is waiting for review" in author_page and NEW_WORD not in author_page.split("Revision history")[0]
    assert "Publish revision" not in author_page  # nobody reviews their own work
    assert NEW_WORD in author.get(f"/archive/{item.id}/diff?from=1&to={number}").get_data(as_text=True)
    queue = reviewer.get("/archive/review").get_data(as_text=True)
    assert "revision of a published item" in queue and item.title in queue
    assert "Publish revision" in reviewer.get(f"/archive/{item.id}").get_data(as_text=True)

    assert _post(reviewer, f"/archive/{item.id}/revisions/{number}/publish").status_code == 302
    for client in (reader, anonymous):
        reads = _reads(client, item.id)
        for path in ("page", "feed", "paragraph_feed", "markdown", "json", "browse", "paragraph"):
            assert NEW_TITLE in reads[path], path
        assert NEW_WORD in reads["page"] and NEW_WORD in reads["markdown"]
        assert titles(search_json(client, NEW_WORD)[1]) == [NEW_TITLE]
        assert "waiting for review" not in reads["page"]
    page = anonymous.get(f"/archive/{item.id}").get_data(as_text=True)
    history = page.split("Revision history")[1]
    assert history.count(">published</strong>") == 2  # the first publication and the reviewed revision
    assert "waiting for review" not in author.get(f"/archive/{item.id}").get_data(as_text=True)
    # Publishing it twice changes nothing: 409.
    assert _post(reviewer, f"/archive/{item.id}/revisions/{number}/publish").status_code == 409
    with app.test_request_context():
        events = [e.action for e in session().scalars(select(AuditEvent).where(AuditEvent.object_id == item.id))]
        assert "submission.revision_proposed" in events and "submission.revision_published" in events
        notices = {(n.user_id, n.event) for n in session().scalars(
            select(Notification).where(Notification.object_id == item.id))}
    assert (cast["reviewer"].id, "revision_pending") in notices
    assert (cast["author"].id, "submission_published") in notices


def test_a_forged_publish_by_the_author_is_refused_and_changes_nothing(app, cast, client_for):
    item = publish(app, cast["author"], cast["reviewer"])
    number = _propose(app, cast, item.id)
    author = client_for(cast["author"])
    assert _post(author, f"/archive/{item.id}/revisions/{number}/publish").status_code == 403
    assert _post(author, f"/archive/{item.id}/revisions/{number}/return", comments="fine").status_code == 403
    with app.test_request_context():
        with pytest.raises(Forbidden):
            publish_revision(viewer_of(app, cast["author"]), item.id, number)
        fresh = session().get(Submission, item.id)
        assert fresh.title == item.title and NEW_WORD not in fresh.discussion_html
        state = session().scalar(select(SubmissionRevision.review_state).where(
            SubmissionRevision.submission_id == item.id, SubmissionRevision.number == number))
    assert state == "pending"
    # A reader who is not a reviewer cannot even see that the revision exists.
    reader = client_for(cast["reader"])
    assert _post(reader, f"/archive/{item.id}/revisions/{number}/publish").status_code == 403


def test_returning_a_revision_needs_comments_and_keeps_the_published_text(app, cast, client_for):
    item = publish(app, cast["author"], cast["reviewer"])
    number = _propose(app, cast, item.id)
    reviewer = client_for(cast["reviewer"])
    path = f"/archive/{item.id}/revisions/{number}/return"
    assert reviewer.get(path).status_code == 200
    assert _post(reviewer, path, comments="   ").status_code == 400
    with app.test_request_context():
        with pytest.raises(ServiceError) as refused:
            return_revision(viewer_of(app, cast["reviewer"]), item.id, number, "")
        assert refused.value.status == 400
        assert session().get(Submission, item.id).reviewer_comments_source == ""
    assert _post(reviewer, path, comments="Cite the *drill* report.").status_code == 302
    assert _post(reviewer, path, comments="Again.").status_code == 409
    assert _post(reviewer, f"/archive/{item.id}/revisions/{number}/publish").status_code == 409
    anonymous_page = client_for(None).get(f"/archive/{item.id}").get_data(as_text=True)
    assert NEW_WORD not in anonymous_page and "drill</em> report" not in anonymous_page
    author_page = client_for(cast["author"]).get(f"/archive/{item.id}").get_data(as_text=True)
    assert f"Revision {number} was returned with comments" in author_page and "<em>drill</em>" in author_page
    with app.test_request_context():
        notices = {(n.user_id, n.event) for n in session().scalars(
            select(Notification).where(Notification.object_id == item.id))}
    assert (cast["author"].id, "submission_returned") in notices
    # The author goes on from the returned text, and a new proposal waits for review again.
    edit_page = client_for(cast["author"]).get(f"/archive/{item.id}/edit").get_data(as_text=True)
    assert NEW_WORD in edit_page and "pending revision" in edit_page


def test_a_newer_proposal_replaces_the_unreviewed_one(app, cast):
    item = publish(app, cast["author"], cast["reviewer"])
    first = _propose(app, cast, item.id)
    second = _propose(app, cast, item.id)
    assert second == first + 1
    with app.test_request_context():
        with pytest.raises(Conflict):
            publish_revision(viewer_of(app, cast["reviewer"]), item.id, first)
        published = publish_revision(viewer_of(app, cast["reviewer"]), item.id, second)
        assert published.title == NEW_TITLE


def test_lesson_learnt_on_a_published_lesson_waits_for_the_reviewer(app, cast):
    item = publish(app, cast["author"], cast["reviewer"])
    with app.test_request_context():
        author = viewer_of(app, cast["author"])
        with pytest.raises(ServiceError, match="Evidence of change"):
            update_submission(author, item.id, lesson_data(lesson_status="learnt", remedial_action="Drills."))
        update_submission(author, item.id, lesson_data(lesson_status="learnt", remedial_action="Drills.",
                                                       evidence="Acceptance fell to 60%."))
        assert session().get(Submission, item.id).lesson_status.value == "identified"


def test_pending_revision_readers_sql_and_predicate_agree(app, cast, make_user, make_group):
    """Pending, returned and replaced revisions: the author and reviewers who may read the item; nobody else."""
    low_reviewer = make_user(clearance="community", roles=("facilitator",))
    colleague = make_user(clearance="restricted", org=cast["author_org"])
    item = publish(app, cast["author"], cast["reviewer"], tier="restricted")
    number = _propose(app, cast, item.id, tier="restricted")
    with app.test_request_context():
        expected = {
            None: False, cast["reader"].id: False, low_reviewer.id: False, colleague.id: False,
            cast["author"].id: True, cast["reviewer"].id: True,
        }
        people = [None, cast["reader"], low_reviewer, colleague, cast["author"], cast["reviewer"]]
        for state in ("pending", "returned", "replaced", "published"):
            with unit_of_work() as db:
                db.scalars(select(SubmissionRevision).where(
                    SubmissionRevision.submission_id == item.id, SubmissionRevision.number == number)
                ).one().review_state = state
            for person in people:
                who = viewer(person)
                revision = session().scalars(select(SubmissionRevision).where(
                    SubmissionRevision.submission_id == item.id, SubmissionRevision.number == number)).one()
                session().refresh(revision)
                in_sql = session().scalar(policy.visible(select(SubmissionRevision.id).where(
                    SubmissionRevision.id == revision.id), who, SubmissionRevision)) is not None
                in_python = policy.can_view(who, revision)
                key = person.id if person is not None else None
                want = expected[key] or (state == "published" and key not in (None, cast["reader"].id,
                                                                               low_reviewer.id))
                assert in_sql == in_python == want, (state, key)


def test_the_review_queue_says_new_version_for_a_policy_version(app, cast, client_for):
    with app.test_request_context():
        author, reviewer = viewer_of(app, cast["author"]), viewer_of(app, cast["reviewer"])
        first = create_submission(author, "responsible_ai_policy", policy_data())
        submit_submission(author, first.id)
        publish_submission(reviewer, first.id)
        second = create_policy_version(author, first.id)
        update_submission(author, second.id, policy_data(policy_version="2.0", title="Principles, version 2"))
        submit_submission(author, second.id)
    queue = client_for(cast["reviewer"]).get("/archive/review").get_data(as_text=True)
    entry = queue.split("Principles, version 2")[1].split("</article>")[0]
    assert "new version" in entry


def _policy_versions(app, cast, second_tier: str = "public") -> tuple[int, int]:
    """Version 1.0 published, version 2.0 published (at `second_tier`); their ids."""
    with app.test_request_context():
        author, reviewer = viewer_of(app, cast["author"]), viewer_of(app, cast["reviewer"])
        first = create_submission(author, "responsible_ai_policy", policy_data(title="Principles 1.0 quokkaline"))
        submit_submission(author, first.id)
        publish_submission(reviewer, first.id)
        second = create_policy_version(author, first.id)
        update_submission(author, second.id, policy_data(
            title="Principles 2.0 quokkaline", policy_version="2.0", tier=second_tier))
        submit_submission(author, second.id)
        publish_submission(viewer_of(app, cast["reviewer"]), second.id)
    return first.id, second.id


def test_a_new_policy_version_supersedes_the_old_one_in_lists_and_search(app, cast, client_for):
    first, second = _policy_versions(app, cast)
    for client in (client_for(None), client_for(cast["reader"])):
        for path in ("/archive/", "/archive/?kind=responsible_ai_policy", "/paragraphs/24", "/archive/feed.atom"):
            body = client.get(path).get_data(as_text=True)
            assert "Principles 2.0 quokkaline" in body and "Principles 1.0 quokkaline" not in body, path
        assert titles(search_json(client, "quokkaline")[1]) == ["Principles 2.0 quokkaline"]
        old = client.get(f"/archive/{first}").get_data(as_text=True)  # still reachable, and says by what
        assert "This version is superseded by version 2.0" in old and f"/archive/{second}" in old
        current = client.get(f"/archive/{second}").get_data(as_text=True)
        assert f'href="/archive/{first}"' in current and "superseded by version 2.0" in current


def test_a_narrower_new_version_does_not_hide_the_old_one(app, cast, client_for):
    """Version 2.0 is for the community only: the public keeps finding version 1.0 (nothing is hidden)."""
    _policy_versions(app, cast, second_tier="community")
    anonymous = client_for(None)
    assert titles(search_json(anonymous, "quokkaline")[1]) == ["Principles 1.0 quokkaline"]
    assert sorted(titles(search_json(client_for(cast["reader"]), "quokkaline")[1])) == [
        "Principles 1.0 quokkaline", "Principles 2.0 quokkaline"]


def test_the_edit_form_of_a_published_policy_goes_on_from_the_pending_revision(app, cast, client_for):
    first, _second = _policy_versions(app, cast)
    with app.test_request_context():
        update_submission(viewer_of(app, cast["author"]), first, policy_data(
            title="Principles 1.0 quokkaline", scope=f"Every {NEW_WORD} product.", effective_date="2026-03-01"))
    page = client_for(cast["author"]).get(f"/archive/{first}/edit")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and NEW_WORD in body and "2026-03-01" in body
    assert "readers keep seeing the published text" in body
