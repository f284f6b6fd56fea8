"""Moderation: flags, the facilitators' queue, hide/unhide with reasons, lock/pin, move, logs and audit."""
from __future__ import annotations

import pytest

from tests.dialogue_helpers import (
    audit_actions,
    fetch,
    make_post,
    make_round,
    make_thread,
    make_world,
    outbox,
    send,
    table_counts,
    viewer,
)
from webapp.models import Post, PostFlag, Thread, Tier
from webapp.services import Conflict, moderation


@pytest.fixture
def world(make_org, make_user):
    return make_world(make_org, make_user)


@pytest.fixture
def scene(app, world):
    """A round facilitated by world.facilitator with a thread and a post by the company member."""
    round_ = make_round(app, world.facilitator)
    thread = make_thread(app, world.member, round_=round_)
    post = make_post(app, world.company_member, thread, body="A provocative claim PC-1")
    return round_, thread, post


def test_flag_once_then_409(app, world, scene, client_for):
    _round, _thread, post = scene
    client = client_for(world.member)
    assert client.get(f"/dialogue/posts/{post.id}/flag").status_code == 200
    assert send(client, f"/dialogue/posts/{post.id}/flag", {"reason": "Personal attack"}).status_code == 302
    before = table_counts(app)
    response = send(client, f"/dialogue/posts/{post.id}/flag", {"reason": "Again"})
    assert response.status_code == 409 and "already flagged" in response.get_data(as_text=True)
    assert table_counts(app) == before
    assert [e.action for e in audit_actions(app, "post.flagged")] == ["post.flagged"]


def test_flag_bad_inputs(app, world, scene, client_for):
    _round, _thread, post = scene
    author = client_for(world.company_member)
    member = client_for(world.member)
    before = table_counts(app)
    assert send(member, f"/dialogue/posts/{post.id}/flag", {"reason": ""}).status_code == 400
    assert send(member, f"/dialogue/posts/{post.id}/flag", {"reason": "x" * 1001}).status_code == 400
    assert send(author, f"/dialogue/posts/{post.id}/flag", {"reason": "my own"}).status_code == 403
    assert send(member, "/dialogue/posts/999/flag", {"reason": "x"}).status_code == 404
    assert table_counts(app) == before


def test_queue_shows_flags_of_the_facilitators_rounds_only(app, world, scene, make_user, client_for):
    _round, _thread, post = scene
    send(client_for(world.member), f"/dialogue/posts/{post.id}/flag", {"reason": "Personal attack"})
    page = client_for(world.facilitator).get("/moderation/").get_data(as_text=True)
    assert "A provocative claim PC-1" in page and "Personal attack" in page
    other = client_for(world.other_facilitator).get("/moderation/").get_data(as_text=True)
    assert "PC-1" not in other and "No open flags." in other
    assert client_for(world.member).get("/moderation/").status_code == 403


def test_standalone_flags_reach_every_facilitator(app, world, client_for):
    thread = make_thread(app, world.member)
    post = make_post(app, world.company_member, thread, body="Standalone SF-9")
    send(client_for(world.member), f"/dialogue/posts/{post.id}/flag", {"reason": "spam"})
    assert "SF-9" in client_for(world.other_facilitator).get("/moderation/").get_data(as_text=True)


def test_hide_with_reason_the_author_sees(app, world, scene, client_for):
    round_, thread, post = scene
    send(client_for(world.member), f"/dialogue/posts/{post.id}/flag", {"reason": "attack"})
    fac = client_for(world.facilitator)
    assert send(fac, f"/moderation/posts/{post.id}/hide", {"reason": "Breaks the code of conduct"}).status_code == 302
    assert fetch(app, Post, post.id).is_hidden
    assert fetch(app, PostFlag, 1).resolution == "hidden"
    reader = client_for(world.researcher).get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
    assert "PC-1" not in reader and "hidden by a facilitator" in reader and "code of conduct" not in reader
    author = client_for(world.company_member).get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
    assert "PC-1" in author and "Breaks the code of conduct" in author
    assert ("post", post.id) in outbox(app)
    assert "post.hidden" in [e.action for e in audit_actions(app, "post.")]
    log = fac.get(f"/moderation/rounds/{round_.id}/log").get_data(as_text=True)
    assert "post.hidden" in log and "Breaks the code of conduct" in log
    assert send(fac, f"/moderation/posts/{post.id}/hide", {"reason": "again"}).status_code == 409
    assert send(fac, f"/moderation/posts/{post.id}/unhide", {"reason": "appeal granted"}).status_code == 302
    assert not fetch(app, Post, post.id).is_hidden
    assert send(fac, f"/moderation/posts/{post.id}/unhide").status_code == 409


def test_hiding_needs_a_reason(app, world, scene, client_for):
    _round, _thread, post = scene
    fac = client_for(world.facilitator)
    before = table_counts(app)
    response = send(fac, f"/moderation/posts/{post.id}/hide", {"reason": ""})
    assert response.status_code == 400 and "give a reason" in response.get_data(as_text=True)
    assert table_counts(app) == before


def test_moderating_outside_ones_rounds_is_forbidden(app, world, scene, client_for):
    _round, thread, post = scene
    other = client_for(world.other_facilitator)
    member = client_for(world.member)
    admin = client_for(world.admin)
    before = table_counts(app)
    for client in (other, member, admin):
        assert send(client, f"/moderation/posts/{post.id}/hide", {"reason": "x"}).status_code == 403
        assert send(client, f"/moderation/threads/{thread.id}/lock").status_code == 403
        assert send(client, f"/moderation/threads/{thread.id}/pin").status_code == 403
        assert client.get(f"/moderation/threads/{thread.id}/move").status_code == 403
    assert other.get(f"/moderation/rounds/{_round.id}/log").status_code == 403
    assert table_counts(app) == before
    assert not fetch(app, Post, post.id).is_hidden


def test_lock_unlock_pin_unpin(app, world, scene, client_for):
    round_, thread, _post = scene
    fac = client_for(world.facilitator)
    for act, attribute, value in (("lock", "locked", True), ("unlock", "locked", False),
                                  ("pin", "pinned", True), ("unpin", "pinned", False)):
        assert send(fac, f"/moderation/threads/{thread.id}/{act}").status_code == 302
        assert getattr(fetch(app, Thread, thread.id), attribute) is value
    assert send(fac, f"/moderation/threads/{thread.id}/unpin").status_code == 409
    actions = [e.action for e in audit_actions(app, "thread.")]
    assert actions[-4:] == ["thread.locked", "thread.unlocked", "thread.pinned", "thread.unpinned"]
    log = fac.get(f"/moderation/rounds/{round_.id}/log").get_data(as_text=True)
    assert "thread.pinned" in log


def test_pinned_threads_come_first(app, world, client_for):
    round_ = make_round(app, world.facilitator)
    first = make_thread(app, world.member, round_=round_, title="Older pinned thread")
    make_thread(app, world.member, round_=round_, title="Newer thread")
    send(client_for(world.facilitator), f"/moderation/threads/{first.id}/pin")
    page = client_for(world.member).get(f"/dialogue/rounds/{round_.id}").get_data(as_text=True)
    assert page.index("Older pinned thread") < page.index("Newer thread")


def test_move_between_rounds_and_out(app, world, client_for):
    source = make_round(app, world.facilitator, title="Source round")
    target = make_round(app, world.facilitator, title="Target round", tier=Tier.RESTRICTED)
    thread = make_thread(app, world.member, round_=source)
    fac = client_for(world.facilitator)
    page = fac.get(f"/moderation/threads/{thread.id}/move").get_data(as_text=True)
    assert "Target round" in page
    assert send(fac, f"/moderation/threads/{thread.id}/move", {"target": str(target.id), "reason": "better fit"}).status_code == 302
    moved = fetch(app, Thread, thread.id)
    assert moved.round_id == target.id and moved.tier is Tier.RESTRICTED
    assert "thread.moved" in fac.get(f"/moderation/rounds/{source.id}/log").get_data(as_text=True)
    assert "thread.moved" in fac.get(f"/moderation/rounds/{target.id}/log").get_data(as_text=True)
    assert client_for(world.member).get(f"/dialogue/threads/{thread.id}").status_code == 404  # now restricted
    assert send(fac, f"/moderation/threads/{thread.id}/move", {"target": "standalone"}).status_code == 302
    standalone = fetch(app, Thread, thread.id)
    assert standalone.round_id is None and standalone.tier is Tier.RESTRICTED


def test_move_that_widens_the_audience_needs_confirmation(app, world, client_for):
    source = make_round(app, world.facilitator, tier=Tier.RESTRICTED, title="Restricted round")
    target = make_round(app, world.facilitator, tier=Tier.COMMUNITY, title="Community round")
    thread = make_thread(app, world.researcher, round_=source)
    fac = client_for(world.facilitator)
    before = table_counts(app)
    response = send(fac, f"/moderation/threads/{thread.id}/move", {"target": str(target.id)})
    assert response.status_code == 409 and "Confirm the declassification" in response.get_data(as_text=True)
    assert table_counts(app) == before and fetch(app, Thread, thread.id).round_id == source.id
    response = send(fac, f"/moderation/threads/{thread.id}/move", {"target": str(target.id), "confirm_declassification": "y"})
    assert response.status_code == 302
    assert fetch(app, Thread, thread.id).tier is Tier.COMMUNITY
    assert audit_actions(app, "thread.moved")[-1].details["declassified"] is True


def test_move_to_an_unknown_place(app, world, scene, client_for):
    _round, thread, _post = scene
    other_round = make_round(app, world.other_facilitator, title="Not mine")
    fac = client_for(world.facilitator)
    before = table_counts(app)
    for target in ("999", "banana", str(other_round.id)):
        response = send(fac, f"/moderation/threads/{thread.id}/move", {"target": target})
        assert response.status_code == 400, target
        assert "no round you facilitate" in response.get_data(as_text=True)
    response = send(fac, f"/moderation/threads/{thread.id}/move", {"target": str(_round.id)})
    assert response.status_code == 409
    assert table_counts(app) == before


def test_dismissing_flags(app, world, scene, client_for):
    _round, _thread, post = scene
    send(client_for(world.member), f"/dialogue/posts/{post.id}/flag", {"reason": "hmm"})
    fac = client_for(world.facilitator)
    assert send(fac, f"/moderation/posts/{post.id}/dismiss", {"reason": "fair comment"}).status_code == 302
    assert "No open flags." in fac.get("/moderation/").get_data(as_text=True)
    assert send(fac, f"/moderation/posts/{post.id}/dismiss").status_code == 409


def test_admin_suspension_is_linked_from_the_queue(app, make_user, world, client_for):
    admin_facilitator = make_user("community", roles=("facilitator", "admin"), org=world.state_org)
    round_ = make_round(app, admin_facilitator)
    thread = make_thread(app, world.member, round_=round_)
    post = make_post(app, world.company_member, thread)
    send(client_for(world.member), f"/dialogue/posts/{post.id}/flag", {"reason": "spam"})
    page = client_for(admin_facilitator).get("/moderation/").get_data(as_text=True)
    assert f"/admin/users/{world.company_member.id}" in page
    assert f"/admin/users/{world.company_member.id}" not in client_for(world.facilitator).get("/moderation/").get_data(as_text=True)


def test_service_refusals(app, world, scene):
    _round, thread, post = scene
    with app.test_request_context():
        moderation.lock_thread(viewer(app, world.facilitator), thread.id)
        with pytest.raises(Conflict):
            moderation.lock_thread(viewer(app, world.facilitator), thread.id)


def test_standalone_log(app, world, client_for):
    thread = make_thread(app, world.member)
    fac = client_for(world.other_facilitator)
    send(fac, f"/moderation/threads/{thread.id}/lock", {"reason": "cooling off"})
    page = fac.get("/moderation/standalone/log").get_data(as_text=True)
    assert "thread.locked" in page and "cooling off" in page
    assert client_for(world.member).get("/moderation/standalone/log").status_code == 403


def test_admins_reach_suspension_from_a_post_unless_chatham_house(app, world, client_for):
    thread = make_thread(app, world.member)
    post = make_post(app, world.company_member, thread)
    admin = client_for(world.admin)
    page = admin.get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
    assert f"/admin/users/{world.company_member.id}" in page
    assert f"/admin/users/{world.company_member.id}" not in client_for(world.member).get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
    chatham = make_round(app, world.facilitator, chatham_house=True)
    hidden_thread = make_thread(app, world.company_member, round_=chatham)
    page = admin.get(f"/dialogue/threads/{hidden_thread.id}").get_data(as_text=True)
    assert f"/admin/users/{world.company_member.id}" not in page
    assert post.id


@pytest.mark.parametrize("new, old, within", [
    ((Tier.COMMUNITY, None, 1), (Tier.PUBLIC, None, 2), True),
    ((Tier.PUBLIC, None, 1), (Tier.COMMUNITY, None, 1), False),
    ((Tier.RESTRICTED, None, 2), (Tier.COMMUNITY, None, 1), True),
    ((Tier.RESTRICTED, None, 1), (Tier.RESTRICTED, 5, 1), False),  # dropping the group widens
    ((Tier.RESTRICTED, 5, 1), (Tier.COMMUNITY, 5, 1), True),
    ((Tier.RESTRICTED, 5, 2), (Tier.COMMUNITY, 5, 1), False),  # another organisation's members join
    ((Tier.CONFIDENTIAL, 5, 2), (Tier.COMMUNITY, 5, 1), True),
    ((Tier.CONFIDENTIAL, None, 1), (Tier.CONFIDENTIAL, None, 1), True),
    ((Tier.CONFIDENTIAL, None, 2), (Tier.CONFIDENTIAL, None, 1), False),
    ((Tier.CONFIDENTIAL, 6, 1), (Tier.CONFIDENTIAL, 5, 1), False),
    ((Tier.CONFIDENTIAL, 5, 9), (Tier.CONFIDENTIAL, 5, 1), True),
])
def test_audience_within(new, old, within):
    from webapp.policy.dialogue import audience_within

    assert audience_within(new, old) is within


def test_a_chatham_house_thread_is_never_moved_where_names_show(app, world, client_for):
    closed_door = make_round(app, world.facilitator, chatham_house=True, title="Closed-door round")
    open_round = make_round(app, world.facilitator, title="Open round")
    other_closed_door = make_round(app, world.facilitator, chatham_house=True, title="Another closed-door round")
    thread = make_thread(app, world.company_member, round_=closed_door)
    make_post(app, world.company_member, thread, body="Said under the rule")
    fac = client_for(world.facilitator)
    offered = fac.get(f"/moderation/threads/{thread.id}/move").get_data(as_text=True)
    assert "Another closed-door round" in offered and "Open round" not in offered and "Stand alone" not in offered
    before = table_counts(app)
    for target in ("standalone", str(open_round.id)):
        response = send(fac, f"/moderation/threads/{thread.id}/move", {"target": target, "confirm_declassification": "y"})
        assert response.status_code == 409, target
        assert "Chatham House rule" in response.get_data(as_text=True)
    assert table_counts(app) == before and fetch(app, Thread, thread.id).round_id == closed_door.id
    assert "Carl Company" not in client_for(world.member).get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
    assert send(fac, f"/moderation/threads/{thread.id}/move", {"target": str(other_closed_door.id)}).status_code == 302
    assert fetch(app, Thread, thread.id).round_id == other_closed_door.id
    assert "Carl Company" not in client_for(world.member).get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)


def test_a_move_is_in_the_logs_of_both_places(app, world, client_for):
    round_ = make_round(app, world.facilitator, title="Destination round")
    thread = make_thread(app, world.member, title="Wandering thread")
    fac = client_for(world.facilitator)
    assert send(fac, f"/moderation/threads/{thread.id}/move", {"target": str(round_.id), "reason": "belongs there"}).status_code == 302
    assert "belongs there" in fac.get("/moderation/standalone/log").get_data(as_text=True)
    assert "belongs there" in fac.get(f"/moderation/rounds/{round_.id}/log").get_data(as_text=True)
    assert send(fac, f"/moderation/threads/{thread.id}/move", {"target": "standalone", "reason": "back out"}).status_code == 302
    assert "back out" in fac.get(f"/moderation/rounds/{round_.id}/log").get_data(as_text=True)
    assert "back out" in fac.get("/moderation/standalone/log").get_data(as_text=True)
    assert [e.action for e in audit_actions(app, "thread.moved")] == ["thread.moved", "thread.moved"]


def test_every_moderation_act_is_in_the_audit_log_and_the_rounds_log(app, world, scene, client_for):
    round_, thread, post = scene
    send(client_for(world.member), f"/dialogue/posts/{post.id}/flag", {"reason": "attack"})
    fac = client_for(world.facilitator)
    acts = [
        (f"/moderation/posts/{post.id}/dismiss", "post.flags_dismissed"),
        (f"/moderation/posts/{post.id}/hide", "post.hidden"),
        (f"/moderation/posts/{post.id}/unhide", "post.unhidden"),
        (f"/moderation/threads/{thread.id}/lock", "thread.locked"),
        (f"/moderation/threads/{thread.id}/unlock", "thread.unlocked"),
        (f"/moderation/threads/{thread.id}/pin", "thread.pinned"),
        (f"/moderation/threads/{thread.id}/unpin", "thread.unpinned"),
    ]
    for path, action in acts:
        reason = f"reason for {action}"
        assert send(fac, path, {"reason": reason}).status_code == 302, path
        [event] = [e for e in audit_actions(app, action)]
        assert event.actor_id == world.facilitator.id and event.details["reason"] == reason
        assert event.details["round_id"] == round_.id
    log = fac.get(f"/moderation/rounds/{round_.id}/log").get_data(as_text=True)
    for _path, action in acts:
        assert action in log and f"reason for {action}" in log


def test_a_suspended_author_can_no_longer_post(app, world, client_for):
    from webapp.services import people

    thread = make_thread(app, world.member)
    author = client_for(world.company_member)
    token_page = author.get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
    assert "Reply to the thread" in token_page
    with app.test_request_context():
        people.deactivate_user(viewer(app, world.admin), world.company_member.id)
        from webapp.services import NotFound, dialogue_posts

        with pytest.raises(NotFound):  # a suspended account reads public material only
            dialogue_posts.create_post(viewer(app, world.company_member), thread.id, body_source="still here?")
    response = author.post(f"/dialogue/threads/{thread.id}/posts", data={"body": "still here?"})
    assert response.status_code in (302, 400)  # signed out (sessions revoked): never a post
    assert "still here?" not in client_for(world.member).get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
