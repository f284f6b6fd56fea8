"""Where dialogue meets the archive: concluding a round publishes its synthesis, at the round's audience, and
paragraph watchers hear of newly published submissions only if they may read them."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.archive_helpers import lesson_data
from tests.conftest import without_csrf
from tests.dialogue_helpers import make_round, make_world, send, viewer
from webapp import db as database
from webapp.models import Notification, Submission, SubmissionKind, SubmissionStatus, Tier
from webapp.services import dialogue_rounds, notifications, submission_workflow, submissions


@pytest.fixture
def world(make_org, make_user):
    return make_world(make_org, make_user)


def _conclude(app, facilitator, round_, synthesis="## Outcome\n\nHuman oversight needs **training**.", key_points=None):
    with app.test_request_context():
        dialogue_rounds.close_round(viewer(app, facilitator), round_.id)
        return dialogue_rounds.conclude_round(
            viewer(app, facilitator), round_.id, synthesis_source=synthesis,
            key_points=key_points or {"state": "Training first."}, paragraphs=[16],
        )


def _syntheses(app) -> list[Submission]:
    with app.test_request_context():
        return list(database.session().scalars(select(Submission).where(Submission.kind == SubmissionKind.OUTCOME_SYNTHESIS)))


def test_concluding_a_round_publishes_its_synthesis_into_the_archive(app, world, client_for):
    round_ = make_round(app, world.facilitator, tier=Tier.COMMUNITY, title="Oversight in targeting support")
    _conclude(app, world.facilitator, round_)
    [synthesis] = _syntheses(app)
    assert synthesis.status is SubmissionStatus.PUBLISHED
    assert synthesis.round_id == round_.id
    assert (synthesis.tier, synthesis.sharing_group_id) == (round_.tier, round_.sharing_group_id)
    assert synthesis.key_points == {"state": "Training first."}
    assert "Oversight in targeting support" in synthesis.title
    page = client_for(world.company_member).get(f"/archive/{synthesis.id}")
    assert page.status_code == 200 and "Human oversight needs" in page.get_data(as_text=True)
    assert "Oversight in targeting support" in client_for(world.company_member).get("/archive/?kind=outcome_synthesis").get_data(as_text=True)


def test_synthesis_of_a_restricted_round_is_invisible_below_its_tier(app, world, client_for):
    round_ = make_round(app, world.facilitator, tier=Tier.RESTRICTED, title="Restricted lessons on autonomy")
    _conclude(app, world.facilitator, round_)
    [synthesis] = _syntheses(app)
    low = client_for(world.member)  # community clearance
    low.get("/")  # consume the sign-in flash message
    missing = low.get("/archive/999999")
    hidden = low.get(f"/archive/{synthesis.id}")
    assert hidden.status_code == missing.status_code == 404
    assert without_csrf(hidden.get_data()) == without_csrf(missing.get_data())
    assert "Restricted lessons on autonomy" not in low.get("/archive/").get_data(as_text=True)
    assert client_for(world.researcher).get(f"/archive/{synthesis.id}").status_code == 200


def test_synthesis_keeps_the_rounds_organisation_not_the_concluding_cofacilitators(
    app, world, make_user, make_group, client_for
):
    # Below confidential a group narrows an item to the group plus the author's organisation. A co-facilitator
    # from another organisation concluding the round must not open the synthesis to their colleagues.
    co_facilitator = make_user("restricted", roles=("facilitator",), org=world.company, name="Cora Cofac")
    colleague = make_user("restricted", org=world.company, name="Colin Colleague")
    group = make_group(organisations=[world.state_org], users=[co_facilitator])
    round_ = make_round(app, world.facilitator, tier=Tier.RESTRICTED, group=group, facilitators=[co_facilitator],
                        title="Grouped round of the ministry")
    _conclude(app, co_facilitator, round_)
    [synthesis] = _syntheses(app)
    assert synthesis.author_organisation_id == world.state_org.id
    assert client_for(world.researcher).get(f"/archive/{synthesis.id}").status_code == 404  # not in the group
    assert client_for(colleague).get(f"/archive/{synthesis.id}").status_code == 404
    assert client_for(co_facilitator).get(f"/archive/{synthesis.id}").status_code == 200


def test_chatham_house_synthesis_names_no_one(app, world, client_for):
    # Public, so that it also reaches the public Atom feeds.
    round_ = make_round(app, world.facilitator, chatham_house=True, title="Frank exchange on escalation", tier=Tier.PUBLIC)
    _conclude(app, world.facilitator, round_)
    [synthesis] = _syntheses(app)
    assert synthesis.chatham_house
    for path in (f"/archive/{synthesis.id}", f"/archive/{synthesis.id}.md", f"/archive/{synthesis.id}.json",
                 f"/archive/{synthesis.id}/citation", "/archive/?kind=outcome_synthesis", "/archive/feed.atom",
                 "/archive/paragraphs/16/feed.atom", "/paragraphs/16"):
        response = client_for(world.company_member).get(path)
        body = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "Frank exchange on escalation" in body or path.endswith((".md", ".json", "citation")), path
        assert "Fatima Facilitator" not in body, path
        assert "Ministry of Defence NL" not in body, path


def test_a_failed_synthesis_leaves_the_round_unconcluded(app, world):
    round_ = make_round(app, world.facilitator)
    with app.test_request_context(), pytest.raises(Exception):
        dialogue_rounds.close_round(viewer(app, world.facilitator), round_.id)
        dialogue_rounds.conclude_round(viewer(app, world.facilitator), round_.id, synthesis_source="ok",
                                       key_points={"state": "x" * 100_000}, paragraphs=[16])
    assert _syntheses(app) == []
    with app.test_request_context():
        from webapp.models import DialogueRound

        assert database.session().get(DialogueRound, round_.id).concluded_at is None


def _publish_lesson(app, author, reviewer, **fields):
    with app.test_request_context():
        created = submissions.create_submission(viewer(app, author), "lesson_learnt", lesson_data(**fields))
        submission_workflow.submit_submission(viewer(app, author), created.id)
        return submission_workflow.publish_submission(viewer(app, reviewer), created.id)


def _notifications_of(app, user) -> list[Notification]:
    with app.test_request_context():
        return list(database.session().scalars(select(Notification).where(Notification.user_id == user.id)))


def test_paragraph_watchers_hear_of_publication_only_when_they_may_read_it(app, world):
    with app.test_request_context():
        notifications.watch(viewer(app, world.member), "paragraph", 14)
        notifications.watch(viewer(app, world.researcher), "paragraph", 14)
    author = world.facilitator  # confidential clearance, state organisation
    _publish_lesson(app, author, world.other_facilitator, title="Community lesson on data labelling",
                    paragraphs=[14], tier="community")
    _publish_lesson(app, author, world.other_facilitator, title="Restricted lesson on sensor fusion",
                    paragraphs=[14], tier="restricted")
    member_kinds = [(n.object_kind, n.event) for n in _notifications_of(app, world.member)]
    researcher_kinds = [(n.object_kind, n.event) for n in _notifications_of(app, world.researcher)]
    assert member_kinds == [("submission", "published")]  # the restricted one is not even hinted at
    assert researcher_kinds == [("submission", "published"), ("submission", "published")]


def test_notification_page_never_shows_a_title_the_reader_lost_access_to(app, world, client_for):
    with app.test_request_context():
        notifications.watch(viewer(app, world.member), "paragraph", 14)
    published = _publish_lesson(app, world.facilitator, world.other_facilitator,
                                title="Lesson later raised to restricted", paragraphs=[14], tier="community")
    reader = client_for(world.member)
    assert "Lesson later raised to restricted" in reader.get("/notifications/").get_data(as_text=True)
    with app.test_request_context():
        submissions.change_submission_tier(viewer(app, world.facilitator), published.id, tier="restricted",
                                            sharing_group_id=None, confirm=False)
    assert "Lesson later raised to restricted" not in reader.get("/notifications/").get_data(as_text=True)


def test_round_page_links_to_its_synthesis_in_the_archive(app, world, client_for):
    round_ = make_round(app, world.facilitator, title="Linked round")
    _conclude(app, world.facilitator, round_)
    [synthesis] = _syntheses(app)
    page = client_for(world.company_member).get(f"/dialogue/rounds/{round_.id}").get_data(as_text=True)
    assert f'href="/archive/{synthesis.id}"' in page


def test_round_and_archive_entry_are_written_in_one_transaction(app, world, monkeypatch):
    from tests.dialogue_helpers import audit_actions, outbox
    from webapp.models import DialogueRound

    round_ = make_round(app, world.facilitator)
    with app.test_request_context():
        dialogue_rounds.close_round(viewer(app, world.facilitator), round_.id)
    real = dialogue_rounds.add_outcome_synthesis

    def publish_then_fail(*args, **kwargs):
        real(*args, **kwargs)  # the archive entry is added to the session ...
        raise RuntimeError("disk full")  # ... and then the transaction fails

    monkeypatch.setattr(dialogue_rounds, "add_outcome_synthesis", publish_then_fail)
    queued = len(outbox(app))
    with app.test_request_context(), pytest.raises(RuntimeError):
        dialogue_rounds.conclude_round(viewer(app, world.facilitator), round_.id, synthesis_source="Outcome",
                                       key_points={}, paragraphs=[16])
    assert _syntheses(app) == []
    assert audit_actions(app, "round.concluded") == [] and audit_actions(app, "submission.") == []
    assert len(outbox(app)) == queued
    with app.test_request_context():
        assert database.session().get(DialogueRound, round_.id).concluded_at is None
