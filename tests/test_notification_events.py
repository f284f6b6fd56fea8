"""Events → recipients: who is told of what, in-app and by e-mail (a real SMTP server), each only if they may read
it at the moment of the event."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.archive_helpers import practice_data
from tests.dialogue_helpers import make_post, make_round, make_thread, make_world, viewer
from tests.notification_helpers import events_of, received, run_round_jobs
from tests.smtp_server import body_text
from webapp.models import AccountStatus, Tier, User, utcnow
from webapp.services import accounts, dialogue_posts, dialogue_rounds, moderation, organisations, people
from webapp.services.submission_workflow import publish_submission, return_submission, submit_submission
from webapp.services.submissions import create_submission


@pytest.fixture
def world(make_org, make_user):
    return make_world(make_org, make_user)


def _submitted(app, author, **fields):
    with app.test_request_context():
        item = create_submission(viewer(app, author), "good_practice", practice_data(**fields))
        submit_submission(viewer(app, author), item.id)
    return item


# ---------------------------------------------------------------- archive workflow


def test_submitted_reaches_the_reviewers_who_may_read_it(smtp_app, smtp_server, world):
    app = smtp_app
    item = _submitted(app, world.researcher, tier="restricted", title="Amber practice AP-1")
    assert received(app, world.facilitator) == [("review_requested", "submission", item.id)]  # confidential
    assert events_of(app, world.other_facilitator) == ["review_requested"]  # restricted clearance: may read it
    assert events_of(app, world.member) == [] and events_of(app, world.admin) == []  # not reviewers
    messages = smtp_server.to(world.facilitator.email)
    assert len(messages) == 1 and "AP-1" not in str(messages[0]["Subject"]) + body_text(messages[0])


def test_a_reviewer_without_clearance_or_who_wrote_it_is_not_told(app, world, make_user):
    low = make_user("community", roles=("facilitator",), org=world.company)
    _submitted(app, world.facilitator, tier="restricted")
    assert events_of(app, low) == []  # cannot read a restricted item
    assert events_of(app, world.facilitator) == []  # the author, though a reviewer
    assert events_of(app, world.other_facilitator) == ["review_requested"]


def test_returned_tells_the_author_with_the_comments(smtp_app, smtp_server, world):
    app = smtp_app
    item = _submitted(app, world.member, tier="community", title="Green practice GP-2")
    with app.test_request_context():
        return_submission(viewer(app, world.facilitator), item.id, "Please add the evaluation method EM-7.")
    assert received(app, world.member) == [("submission_returned", "submission", item.id)]
    message = smtp_server.to(world.member.email)[-1]
    assert "GP-2" in message["Subject"] and "EM-7" in body_text(message)


def test_published_tells_the_author(smtp_app, smtp_server, world):
    app = smtp_app
    item = _submitted(app, world.member, tier="community")
    with app.test_request_context():
        publish_submission(viewer(app, world.facilitator), item.id)
    assert events_of(app, world.member) == ["submission_published"]
    assert "Your submission was published" in smtp_server.to(world.member.email)[-1]["Subject"]


# ---------------------------------------------------------------- moderation


def test_a_flag_reaches_the_rounds_facilitators_only(smtp_app, smtp_server, world):
    app = smtp_app
    round_ = make_round(app, world.facilitator)
    thread = make_thread(app, world.member, round_=round_)
    post = make_post(app, world.company_member, thread)
    with app.test_request_context():
        moderation.flag_post(viewer(app, world.member), post.id, reason="Names a person")
    assert [n for n in received(app, world.facilitator) if n[0] == "post_flagged"] == [("post_flagged", "post", post.id)]
    assert events_of(app, world.other_facilitator) == []  # a facilitator, but not of this round
    assert len(smtp_server.to(world.facilitator.email)) == 1


def test_a_flag_in_a_standalone_thread_reaches_the_moderators_who_may_read_it(app, world, make_user):
    thread = make_thread(app, world.member, title="Open thread")
    reply = make_post(app, world.company_member, thread)
    with app.test_request_context():
        moderation.flag_post(viewer(app, world.researcher), reply.id, reason="Off topic")
    assert events_of(app, world.facilitator) == ["post_flagged"]
    assert events_of(app, world.other_facilitator) == ["post_flagged"]
    assert events_of(app, world.researcher) == []  # the flagger: not a moderator
    amber = make_thread(app, world.researcher, tier=Tier.RESTRICTED)
    low = make_user("community", roles=("facilitator",), org=world.university)
    amber_post = make_post(app, world.researcher, amber)
    with app.test_request_context():
        moderation.flag_post(viewer(app, world.other_facilitator), amber_post.id, reason="Check")
    assert events_of(app, low) == []  # a facilitator who cannot read the thread hears nothing of it
    assert events_of(app, world.facilitator) == ["post_flagged", "post_flagged"]


def test_a_hidden_post_tells_its_author_with_the_reason(smtp_app, smtp_server, world):
    app = smtp_app
    round_ = make_round(app, world.facilitator)
    thread = make_thread(app, world.member, round_=round_)
    post = make_post(app, world.company_member, thread)
    with app.test_request_context():
        moderation.hide_post(viewer(app, world.facilitator), post.id, reason="Breaks the rule R-12")
    assert received(app, world.company_member) == [("post_hidden", "post", post.id)]
    assert "R-12" in body_text(smtp_server.to(world.company_member.email)[-1])


# ---------------------------------------------------------------- accounts


def _register_and_confirm(app, world, name: str, email: str) -> User:
    """Register through the service, then open the confirmation link it queued (as the person would)."""
    import re

    from sqlalchemy import select

    from webapp.db import session
    from webapp.models import OutgoingMail
    from webapp.services import account_recovery

    with app.test_request_context():
        accounts.register(name=name, email=email, password="orbit lantern quietly harvest",
                          organisation_id=world.company.id, new_organisation=None)
    with app.app_context():
        body = session().scalars(select(OutgoingMail.body).where(OutgoingMail.to_address == email)).one()
        user = session().scalars(select(User).where(User.email == email)).one()
    token = re.search(r"/email/confirm/([A-Za-z0-9_\-]+)", body).group(1)
    assert received(app, world.admin) == []  # an address nobody confirmed reaches no admin
    with app.test_request_context():
        account_recovery.confirm_email(token)
    return user


def test_a_registration_reaches_the_admins_once_its_address_is_confirmed(smtp_app, smtp_server, world, client_for):
    app = smtp_app
    user = _register_and_confirm(app, world, "Nina Newcomer", "nina@example.org")
    assert received(app, world.admin) == [("registration", "account", user.id)]
    assert events_of(app, world.member) == [] and events_of(app, world.facilitator) == []
    assert "Nina Newcomer" in body_text(smtp_server.to(world.admin.email)[-1])
    client = client_for(world.admin)
    assert "Nina Newcomer" in client.get("/notifications/").get_data(as_text=True)
    opened = client.get("/notifications/1")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/admin/users/{user.id}")


def test_a_registration_reaches_the_focal_points_of_that_organisation_only(smtp_app, smtp_server, world, make_user,
                                                                            client_for):
    app = smtp_app
    focal_point = make_user(org=world.company, roles=("focal_point",), name="Fiona Focal")
    elsewhere = make_user(org=world.state_org, roles=("focal_point",), name="Otto Other")
    user = _register_and_confirm(app, world, "Nora Newcomer", "nora@example.org")
    assert received(app, focal_point) == [("registration", "account", user.id)]
    assert received(app, elsewhere) == []
    assert "Nora Newcomer" in client_for(focal_point).get("/notifications/").get_data(as_text=True)
    assert "Nora Newcomer" not in client_for(elsewhere).get("/notifications/").get_data(as_text=True)


def test_verified_and_refused_tell_the_person(smtp_app, smtp_server, world, make_user, client_for):
    app = smtp_app
    pending = make_user(org=world.company, status="pending", name="Pia Pending")
    refused = make_user(org=world.company, status="pending", name="Rolf Refused")
    with app.test_request_context():
        people.verify_user(viewer(app, world.admin), pending.id)
        organisations.refuse_registration(viewer(app, world.admin), refused.id, "Not a member of this organisation NM-3")
    assert received(app, pending) == [("account_verified", "account", pending.id)]
    assert "Your account was verified" in smtp_server.to(pending.email)[-1]["Subject"]
    message = smtp_server.to(refused.email)[-1]
    assert "NM-3" in body_text(message) and message["List-Unsubscribe"]
    assert received(app, refused) == []  # a refused account cannot sign in: e-mail only
    from tests.dialogue_helpers import fetch

    assert fetch(app, User, refused.id).status is AccountStatus.DEACTIVATED
    opened = client_for(pending).get("/notifications/1")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/account")


def test_refusing_bad_inputs(app, world, make_user, client_for):
    from tests.dialogue_helpers import send

    pending = make_user(org=world.company, status="pending")
    client = client_for(world.admin)
    too_long = send(client, f"/admin/users/{pending.id}/refuse", {"reason": "x" * 2001}, token_page="/admin/")
    assert too_long.status_code == 400
    assert send(client, f"/admin/users/{pending.id}/refuse", {}, token_page="/admin/").status_code == 400  # a reason
    assert send(client, f"/admin/users/{world.member.id}/refuse", {"reason": "No"}, token_page="/admin/").status_code == 409
    assert send(client, "/admin/users/999999/refuse", {"reason": "No"}, token_page="/admin/").status_code == 404
    assert send(client_for(world.member), f"/admin/users/{pending.id}/refuse", {}).status_code == 403
    assert send(client, f"/admin/users/{pending.id}/refuse", {"reason": "No"}, token_page="/admin/").status_code == 302


# ---------------------------------------------------------------- rounds


def test_an_invitation_reaches_members_of_invited_organisations_and_types(smtp_app, smtp_server, world, make_user):
    app = smtp_app
    academic = make_user("community", org=world.university, name="Ada Academic")
    round_ = make_round(app, world.facilitator, invited_types=["academia"], invited_organisation_ids=[world.company.id])
    assert events_of(app, world.company_member) == ["round_invitation"]
    assert events_of(app, academic) == ["round_invitation"]
    assert events_of(app, world.researcher) == ["round_invitation"]
    assert events_of(app, world.member) == []  # the state org is not invited
    assert len(smtp_server.to(academic.email)) == 1
    with app.test_request_context():  # inviting the state too: only its members are told now
        dialogue_rounds.update_round(
            viewer(app, world.facilitator), round_.id, title=round_.title, questions_source="q", paragraphs=[16],
            tier=Tier.COMMUNITY, sharing_group_id=None, opens_at=round_.opens_at, closes_at=round_.closes_at,
            chatham_house=False, invited_types=["academia", "state"], invited_organisation_ids=[world.company.id])
    assert events_of(app, world.member) == ["round_invitation"]
    assert events_of(app, academic) == ["round_invitation"]  # not twice


def test_an_invitation_to_a_round_someone_cannot_read_tells_them_nothing(app, world):
    make_round(app, world.facilitator, tier=Tier.RESTRICTED, invited_organisation_ids=[world.company.id])
    assert events_of(app, world.company_member) == []  # community clearance
    assert events_of(app, world.other_facilitator) == ["round_invitation"]  # restricted, in the company


def test_round_transitions_reach_participants_and_watchers_once(smtp_app, smtp_server, world):
    app = smtp_app
    round_ = make_round(app, world.facilitator, opens_in=timedelta(hours=1), closes_in=timedelta(hours=20),
                        title="Round TR-1")
    with app.test_request_context():
        from webapp.services import notifications

        notifications.watch(viewer(app, world.company_member), "round", round_.id)
        dialogue_rounds.open_round(viewer(app, world.facilitator), round_.id)
    assert events_of(app, world.company_member) == ["round_opened"]
    assert run_round_jobs(app) == 2  # the opening was announced already; closing within 24 h: watcher, facilitator
    assert events_of(app, world.company_member) == ["round_opened", "round_closing_soon"]
    assert run_round_jobs(app) == 0  # idempotent
    thread = make_thread(app, world.member, round_=round_)
    make_post(app, world.researcher, thread)
    with app.test_request_context():
        dialogue_rounds.close_round(viewer(app, world.facilitator), round_.id)
        dialogue_rounds.conclude_round(viewer(app, world.facilitator), round_.id,
                                       synthesis_source="We agreed on SY-5.", paragraphs=[16])
    assert events_of(app, world.researcher)[-2:] == ["round_closed", "round_concluded"]  # posted: a participant
    assert events_of(app, world.member)[-2:] == ["round_closed", "round_concluded"]
    assert events_of(app, world.company_member)[-2:] == ["round_closed", "round_concluded"]
    assert "round_closed" not in events_of(app, world.facilitator)  # the actor
    assert "SY-5" in body_text(smtp_server.to(world.researcher.email)[-1])
    assert run_round_jobs(app) == 0


def test_rounds_open_and_close_by_time_and_are_announced_once(app, world):
    round_ = make_round(app, world.facilitator, opens_in=timedelta(hours=1), closes_in=timedelta(days=3))
    with app.test_request_context():
        from webapp.services import notifications

        notifications.watch(viewer(app, world.member), "round", round_.id)
    assert run_round_jobs(app) == 0  # not open yet
    now = utcnow()
    assert run_round_jobs(app, now + timedelta(hours=2)) == 2  # opened: the watcher and the facilitator
    assert run_round_jobs(app, now + timedelta(hours=3)) == 0
    assert run_round_jobs(app, now + timedelta(days=2, hours=12)) == 2  # closing within 24 h
    assert run_round_jobs(app, now + timedelta(days=3, hours=1)) == 2  # closed by time
    assert run_round_jobs(app, now + timedelta(days=3, hours=2)) == 0
    assert events_of(app, world.member) == ["round_opened", "round_closing_soon", "round_closed"]


def test_stale_transitions_are_not_announced(app, world):
    make_round(app, world.facilitator, opens_in=timedelta(days=-10), closes_in=timedelta(days=-5))
    assert run_round_jobs(app) == 0


# ---------------------------------------------------------------- mentions


def test_a_mention_reaches_a_reader_and_nobody_else(smtp_app, smtp_server, world, client_for):
    app = smtp_app
    thread = make_thread(app, world.member, title="Mentions MT-1")
    post = make_post(app, world.company_member, thread, body="What do you think, @[maria member]?")
    assert received(app, world.member)[-1] == ("mention", "post", post.id)  # (the author also watches: new_post)
    assert "You were mentioned in a post" in smtp_server.to(world.member.email)[-1]["Subject"]
    assert smtp_server.to(world.member.email)


def test_a_mention_of_someone_who_cannot_read_or_does_not_exist_is_plain_text_and_silent(app, world, client_for):
    thread = make_thread(app, world.researcher, tier=Tier.RESTRICTED)
    unreadable = make_post(app, world.researcher, thread, body="Ask @[Maria Member] about it")
    nobody = make_post(app, world.researcher, thread, body="Ask @[Nobody Atall] about it")
    assert events_of(app, world.member) == []
    page = client_for(world.researcher).get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
    assert "Ask @[Maria Member] about it" in page and "Ask @[Nobody Atall] about it" in page  # the same plain text
    assert unreadable.body_html.replace("Maria Member", "X") == nobody.body_html.replace("Nobody Atall", "X")


def test_an_edit_tells_only_the_newly_mentioned(app, world):
    thread = make_thread(app, world.member)
    post = make_post(app, world.member, thread, body="Hello @[Carl Company]")
    with app.test_request_context():
        dialogue_posts.edit_post(viewer(app, world.member), post.id,
                                 body_source="Hello @[Carl Company] and @[Rita Researcher]")
    assert events_of(app, world.company_member) == ["mention"]
    assert events_of(app, world.researcher) == ["mention"]


def test_an_ambiguous_name_mentions_nobody(app, world, make_user):
    make_user(org=world.company, name="Maria Member")
    thread = make_thread(app, world.company_member)
    make_post(app, world.company_member, thread, body="@[Maria Member]")
    assert events_of(app, world.member) == []


# ---------------------------------------------------------------- replying and watching


def test_replying_watches_the_thread_only_when_asked(app, world, client_for):
    from tests.dialogue_helpers import send

    thread = make_thread(app, world.member)
    client = client_for(world.company_member)
    page = client.get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
    assert 'name="watch"' in page and 'name="watch" type="checkbox" value="y" checked' not in page
    send(client, f"/dialogue/threads/{thread.id}/posts", {"body": "Not watching"})
    make_post(app, world.member, thread)
    assert events_of(app, world.company_member) == []
    send(client, f"/dialogue/threads/{thread.id}/posts", {"body": "Now watching", "watch": "y"})
    make_post(app, world.member, thread)
    assert events_of(app, world.company_member) == ["new_post"]


def test_an_admin_who_loses_the_role_no_longer_sees_the_registrations(app, world, make_user, client_for):
    second_admin = make_user(roles=("admin",), org=world.state_org)
    _register_and_confirm(app, world, "Nils Newcomer", "nils@example.org")
    client = client_for(world.admin)
    assert "Nils Newcomer" in client.get("/notifications/").get_data(as_text=True)
    with app.test_request_context():
        people.set_roles(viewer(app, second_admin), world.admin.id, facilitator=False, admin=False)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Nils Newcomer" not in page and "No notifications." in page
