"""Threads and posts: replies as a tree, depth limit, quotes through the policy, edits, soft delete, bad input."""
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
from webapp.models import Post, PostRevision, Thread, Tier
from webapp.models.post import MAX_REPLY_DEPTH
from webapp.services import Conflict, Forbidden, NotFound, ServiceError, dialogue_posts


@pytest.fixture
def world(make_org, make_user):
    return make_world(make_org, make_user)


def _post_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].split("#post-")[1])


def test_standalone_thread_through_the_form(app, world, client_for):
    client = client_for(world.member)
    response = send(client, "/dialogue/threads/new",
                    {"title": "Red-teaming targeting aids", "body": "What *worked* for you?", "paragraphs": ["14", "23"],
                     "tier": "community", "sharing_group": ""})
    assert response.status_code == 302
    thread_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    thread = fetch(app, Thread, thread_id)
    assert thread.round_id is None and thread.tier is Tier.COMMUNITY and thread.organisation_id == world.state_org.id
    page = client.get(f"/dialogue/threads/{thread_id}").get_data(as_text=True)
    assert "<em>worked</em>" in page and "Maria Member" in page
    assert {("thread", thread_id)} <= set(outbox(app))
    assert "Red-teaming targeting aids" in client.get("/dialogue/").get_data(as_text=True)
    assert "Red-teaming targeting aids" in client.get("/paragraphs/23").get_data(as_text=True)


def test_standalone_thread_bad_inputs(app, world, client_for):
    client = client_for(world.member)
    before = table_counts(app)
    assert send(client, "/dialogue/threads/new", {"title": "x", "body": "y", "paragraphs": [], "tier": "community"}).status_code == 400
    response = send(client, "/dialogue/threads/new", {"title": "x", "body": "y", "paragraphs": ["14"], "tier": "restricted"})
    assert response.status_code == 400  # restricted is not among a community member's choices
    assert send(client, "/dialogue/threads/new", {"title": "", "body": "y", "paragraphs": ["14"], "tier": "community"}).status_code == 400
    assert table_counts(app) == before


def test_pending_and_anonymous_cannot_post(app, world, client_for):
    thread = make_thread(app, world.member, tier=Tier.PUBLIC)
    pending = client_for(world.pending)
    anonymous = client_for(None)
    before = table_counts(app)
    assert send(pending, f"/dialogue/threads/{thread.id}/posts", {"body": "hi"}).status_code == 403
    response = anonymous.post(f"/dialogue/threads/{thread.id}/posts", data={"body": "hi"})
    assert response.status_code in (302, 400)  # sign-in redirect (or CSRF refusal): never a post
    assert table_counts(app) == before


def test_replies_form_a_tree_with_anchors(app, world, client_for):
    thread = make_thread(app, world.member)
    client = client_for(world.company_member)
    first = _post_id(send(client, f"/dialogue/threads/{thread.id}/posts", {"body": "A top-level reply"}))
    nested = _post_id(send(client_for(world.member), f"/dialogue/threads/{thread.id}/posts",
                           {"body": "A nested answer", "parent_id": str(first)}))
    assert fetch(app, Post, nested).parent_id == first and fetch(app, Post, nested).depth == 2
    page = client.get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
    top = page.index(f'id="post-{first}"')
    inner = page.index(f'id="post-{nested}"')
    assert top < inner
    assert page[top:inner].count('<ol class="post-tree">') == 1  # the reply is nested under its parent
    assert client.get(f"/dialogue/posts/{nested}").headers["Location"].endswith(f"/dialogue/threads/{thread.id}#post-{nested}")


def test_reply_to_a_post_in_another_thread_is_refused(app, world, client_for):
    thread = make_thread(app, world.member)
    other = make_thread(app, world.member, title="Other")
    foreign = make_post(app, world.member, other)
    client = client_for(world.company_member)
    before = table_counts(app)
    response = send(client, f"/dialogue/threads/{thread.id}/posts", {"body": "x", "parent_id": str(foreign.id)})
    assert response.status_code == 400 and "reply to a post in the same thread" in response.get_data(as_text=True)
    response = send(client, f"/dialogue/threads/{thread.id}/posts", {"body": "x", "parent_id": "abc"})
    assert response.status_code == 400
    assert table_counts(app) == before


def test_reply_chains_deeper_than_the_limit_are_refused(app, world, client_for):
    thread = make_thread(app, world.member)
    parent = None
    for _ in range(MAX_REPLY_DEPTH):
        parent = make_post(app, world.member, thread, parent=parent)
    assert parent.depth == MAX_REPLY_DEPTH
    client = client_for(world.company_member)
    before = table_counts(app)
    response = send(client, f"/dialogue/threads/{thread.id}/posts", {"body": "deeper", "parent_id": str(parent.id)})
    assert response.status_code == 400
    assert f"at most {MAX_REPLY_DEPTH} levels deep" in response.get_data(as_text=True)
    assert table_counts(app) == before
    page = client.get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
    assert f"reply?to={parent.id}" not in page  # no reply link at the limit


@pytest.mark.parametrize("body, status, message", [
    ("", 400, "This field is required"),
    ("   \n  ", 400, "This field is required"),
    ("x" * 20_001, 400, "Field cannot be longer than 20000 characters"),
])
def test_empty_or_oversized_posts(app, world, client_for, body, status, message):
    thread = make_thread(app, world.member)
    client = client_for(world.company_member)
    before = table_counts(app)
    response = send(client, f"/dialogue/threads/{thread.id}/posts", {"body": body})
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert table_counts(app) == before


def test_service_refuses_empty_and_oversized_bodies(app, world):
    thread = make_thread(app, world.member)
    with app.test_request_context():
        with pytest.raises(ServiceError, match="post is empty"):
            dialogue_posts.create_post(viewer(app, world.member), thread.id, body_source="  \n\t ")
        with pytest.raises(ServiceError, match="too long"):
            dialogue_posts.create_post(viewer(app, world.member), thread.id, body_source="y" * 20_001)


def test_hostile_markdown_is_neutralised(app, world, client_for):
    thread = make_thread(app, world.member)
    hostile = ('<script>alert(1)</script> [click](javascript:alert(2)) <img src=x onerror=alert(3)> '
               '<iframe src="https://evil.example"></iframe> [ok](https://example.org)')
    client = client_for(world.company_member)
    post_id = _post_id(send(client, f"/dialogue/threads/{thread.id}/posts", {"body": hostile}))
    html = fetch(app, Post, post_id).body_html
    assert "<script" not in html and "<img" not in html and "<iframe" not in html
    assert 'href="javascript' not in html and "<a href" not in html.split("ok</a>")[0].replace('<a href="https://example.org"', "")
    assert 'href="https://example.org"' in html
    page = client.get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page


def test_quote_renders_the_quoted_post_at_read_time(app, world, client_for):
    thread = make_thread(app, world.member)
    quoted = make_post(app, world.company_member, thread, body="Original **claim**")
    quoting = make_post(app, world.member, thread, body="I disagree", quote=quoted)
    assert "claim" not in fetch(app, Post, quoting.id).body_source  # never copied
    page = client_for(world.researcher).get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
    assert page.count("Original <strong>claim</strong>") == 2  # the post itself and the quote


def test_quote_of_an_unreadable_post_shows_nothing_of_it(app, world, make_user, client_for):
    secret_thread = make_thread(app, world.researcher, tier=Tier.RESTRICTED, title="Restricted thread")
    secret = make_post(app, world.researcher, secret_thread, body="Restricted finding ZX-42")
    public_thread = make_thread(app, world.researcher, tier=Tier.COMMUNITY, title="Open thread")
    make_post(app, world.researcher, public_thread, body="See my other post", quote=secret)
    page = client_for(world.member).get(f"/dialogue/threads/{public_thread.id}").get_data(as_text=True)
    assert "ZX-42" not in page and "Restricted thread" not in page and "Rita Researcher" in page
    assert "The quoted post is not available." in page
    assert "ZX-42" in client_for(world.researcher).get(f"/dialogue/threads/{public_thread.id}").get_data(as_text=True)


def test_quoting_a_post_one_cannot_read_is_refused(app, world):
    secret_thread = make_thread(app, world.researcher, tier=Tier.RESTRICTED)
    secret = make_post(app, world.researcher, secret_thread)
    thread = make_thread(app, world.member)
    with app.test_request_context(), pytest.raises(ServiceError, match="does not exist or cannot be quoted"):
        dialogue_posts.create_post(viewer(app, world.member), thread.id, body_source="x", quoted_post_id=secret.id)


def test_quote_of_a_post_later_hidden_or_deleted_disappears(app, world, client_for):
    thread = make_thread(app, world.member)
    quoted = make_post(app, world.company_member, thread, body="Soon gone QQ-7")
    make_post(app, world.member, thread, body="quoting", quote=quoted)
    client = client_for(world.company_member)
    send(client, f"/dialogue/posts/{quoted.id}/delete")
    page = client_for(world.researcher).get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
    assert "QQ-7" not in page and "This post was deleted by its author." in page


def test_author_edits_with_revision_history(app, world, client_for):
    thread = make_thread(app, world.member)
    post = make_post(app, world.member, thread, body="First version")
    client = client_for(world.member)
    assert client.get(f"/dialogue/posts/{post.id}/edit").status_code == 200
    assert send(client, f"/dialogue/posts/{post.id}/edit", {"body": "Second version"}).status_code == 302
    assert fetch(app, Post, post.id).body_source == "Second version"
    history = client_for(world.company_member).get(f"/dialogue/posts/{post.id}/revisions").get_data(as_text=True)
    assert "First version" in history and "Second version" in history
    assert ("post", post.id) in outbox(app)
    assert [e.action for e in audit_actions(app, "post.edited")] == ["post.edited"]
    response = send(client, f"/dialogue/posts/{post.id}/edit", {"body": "Second version"})
    assert response.status_code == 400 and "Nothing was changed" in response.get_data(as_text=True)


def test_only_the_author_edits_or_deletes(app, world, client_for):
    thread = make_thread(app, world.member)
    post = make_post(app, world.member, thread, body="Mine")
    other = client_for(world.company_member)
    before = table_counts(app)
    assert other.get(f"/dialogue/posts/{post.id}/edit").status_code == 403
    assert send(other, f"/dialogue/posts/{post.id}/edit", {"body": "Yours"}).status_code == 403
    assert send(other, f"/dialogue/posts/{post.id}/delete").status_code == 403
    assert table_counts(app) == before
    assert fetch(app, Post, post.id).body_source == "Mine"


def test_soft_delete_keeps_the_tree(app, world, client_for):
    thread = make_thread(app, world.member)
    parent = make_post(app, world.member, thread, body="Parent text PX")
    child = make_post(app, world.company_member, thread, body="Child text", parent=parent)
    client = client_for(world.member)
    assert send(client, f"/dialogue/posts/{parent.id}/delete").status_code == 302
    page = client_for(world.researcher).get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
    assert "Parent text PX" not in page and "This post was deleted by its author." in page
    assert page.index(f'id="post-{parent.id}"') < page.index(f'id="post-{child.id}"')
    assert "Maria Member" not in page.split(f'id="post-{parent.id}"')[1].split(f'id="post-{child.id}"')[0]
    assert client_for(world.researcher).get(f"/dialogue/posts/{parent.id}/revisions").status_code == 404
    assert send(client, f"/dialogue/posts/{parent.id}/delete").status_code == 409
    response = send(client_for(world.researcher), f"/dialogue/threads/{thread.id}/posts", {"body": "x", "parent_id": str(parent.id)})
    assert response.status_code == 409


def test_locked_thread_refuses_posts(app, world, client_for):
    round_ = make_round(app, world.facilitator)
    thread = make_thread(app, world.member, round_=round_)
    fac = client_for(world.facilitator)
    assert send(fac, f"/moderation/threads/{thread.id}/lock").status_code == 302
    client = client_for(world.company_member)
    before = table_counts(app)
    response = send(client, f"/dialogue/threads/{thread.id}/posts", {"body": "locked?"})
    assert response.status_code == 409 and "thread is locked" in response.get_data(as_text=True)
    assert table_counts(app) == before
    make_post(app, world.facilitator, thread, body="A moderator may still post")


def test_unknown_thread_or_post_is_404(app, world, client_for):
    client = client_for(world.member)
    assert client.get("/dialogue/threads/999").status_code == 404
    assert client.get("/dialogue/posts/999").status_code == 404
    assert send(client, "/dialogue/threads/999/posts", {"body": "x"}).status_code == 404
    with app.test_request_context():
        with pytest.raises(NotFound):
            dialogue_posts.edit_post(viewer(app, world.member), 999, body_source="x")


def test_reply_page_without_javascript(app, world, client_for):
    thread = make_thread(app, world.member)
    post = make_post(app, world.company_member, thread, body="Answer me")
    client = client_for(world.member)
    page = client.get(f"/dialogue/threads/{thread.id}/reply?to={post.id}").get_data(as_text=True)
    assert "Replying to" in page and "Answer me" in page and f'value="{post.id}"' in page
    assert client.get(f"/dialogue/threads/{thread.id}/reply?to=abc").status_code == 400


def test_thread_in_a_round_takes_the_rounds_tier(app, world):
    round_ = make_round(app, world.facilitator, tier=Tier.RESTRICTED)
    thread = make_thread(app, world.researcher, round_=round_, tier=Tier.PUBLIC)
    assert fetch(app, Thread, thread.id).tier is Tier.RESTRICTED
    assert fetch(app, Thread, thread.id).organisation_id == world.state_org.id


def test_revisions_are_stored(app, world):
    thread = make_thread(app, world.member)
    post = make_post(app, world.member, thread, body="v1")
    with app.test_request_context():
        dialogue_posts.edit_post(viewer(app, world.member), post.id, body_source="v2")
        with pytest.raises(Forbidden):
            dialogue_posts.edit_post(viewer(app, world.company_member), post.id, body_source="v3")
        from sqlalchemy import select

        from webapp.db import session

        numbers = list(session().scalars(select(PostRevision.number).where(PostRevision.post_id == post.id)))
    assert sorted(numbers) == [1, 2]


def test_editing_in_a_closed_round_is_refused(app, world, client_for):
    round_ = make_round(app, world.facilitator)
    thread = make_thread(app, world.member, round_=round_)
    post = make_post(app, world.member, thread, body="before close")
    send(client_for(world.facilitator), f"/dialogue/rounds/{round_.id}/close")
    with app.test_request_context(), pytest.raises(Conflict, match="round is closed"):
        dialogue_posts.edit_post(viewer(app, world.member), post.id, body_source="after close")


def test_reads_of_restricted_material_are_audited(app, world, client_for):
    community = make_thread(app, world.researcher, tier=Tier.COMMUNITY)
    restricted = make_thread(app, world.researcher, tier=Tier.RESTRICTED)
    client = client_for(world.researcher)
    client.get(f"/dialogue/threads/{community.id}")
    assert audit_actions(app, "dialogue_thread.read") == []
    client.get(f"/dialogue/threads/{restricted.id}")
    reads = audit_actions(app, "dialogue_thread.read")
    assert [(r.object_id, r.details["tier"], r.actor_id) for r in reads] == [(restricted.id, "restricted", world.researcher.id)]


def test_every_change_is_queued_for_search(app, world, client_for):
    round_ = make_round(app, world.facilitator)
    target = make_round(app, world.facilitator, title="Target")
    thread = make_thread(app, world.member, round_=round_)
    post = make_post(app, world.member, thread)
    start = len(outbox(app))
    send(client_for(world.member), f"/dialogue/posts/{post.id}/delete")
    assert outbox(app)[start:] == [("post", post.id)]
    start = len(outbox(app))
    send(client_for(world.facilitator), f"/moderation/threads/{thread.id}/move", {"target": str(target.id)})
    queued = set(outbox(app)[start:])
    assert ("thread", thread.id) in queued and ("post", post.id) in queued


def test_reply_page_for_a_post_of_another_thread(app, world, client_for):
    thread = make_thread(app, world.member)
    other = make_thread(app, world.member, title="Other")
    foreign = make_post(app, world.member, other)
    response = client_for(world.company_member).get(f"/dialogue/threads/{thread.id}/reply?to={foreign.id}")
    assert response.status_code == 400 and "same thread" in response.get_data(as_text=True)


def test_deleted_post_text_is_not_shown_on_flag_or_edit_pages(app, world, client_for):
    thread = make_thread(app, world.member)
    post = make_post(app, world.company_member, thread, body="Regretted words RW-3")
    author = client_for(world.company_member)
    assert send(author, f"/dialogue/posts/{post.id}/delete").status_code == 302
    member = client_for(world.member)
    before = table_counts(app)
    flag_page = member.get(f"/dialogue/posts/{post.id}/flag")
    assert flag_page.status_code == 409 and "RW-3" not in flag_page.get_data(as_text=True)
    assert "This post was deleted." in flag_page.get_data(as_text=True)
    response = send(member, f"/dialogue/posts/{post.id}/flag", {"reason": "too late"})
    assert response.status_code == 409 and "RW-3" not in response.get_data(as_text=True)
    edit_page = author.get(f"/dialogue/posts/{post.id}/edit")
    assert edit_page.status_code == 409 and "RW-3" not in edit_page.get_data(as_text=True)
    assert send(author, f"/dialogue/posts/{post.id}/edit", {"body": "revived"}).status_code == 409
    assert table_counts(app) == before
    assert fetch(app, Post, post.id).body_source == ""  # deletion deletes (issue 14): the words are gone


def test_revisions_of_a_hidden_post_are_for_its_author_and_moderators(app, world, client_for):
    from webapp.services import moderation

    round_ = make_round(app, world.facilitator)
    thread = make_thread(app, world.member, round_=round_)
    post = make_post(app, world.company_member, thread, body="First wording HW-1")
    with app.test_request_context():
        dialogue_posts.edit_post(viewer(app, world.company_member), post.id, body_source="Second wording HW-2")
        moderation.hide_post(viewer(app, world.facilitator), post.id, reason="off topic")
    reader = client_for(world.researcher)
    reader.get("/")  # consume the sign-in flash message
    hidden = reader.get(f"/dialogue/posts/{post.id}/revisions")
    missing = reader.get("/dialogue/posts/999999/revisions")
    assert hidden.status_code == missing.status_code == 404 and hidden.get_data() == missing.get_data()
    for user in (world.company_member, world.facilitator):
        history = client_for(user).get(f"/dialogue/posts/{post.id}/revisions").get_data(as_text=True)
        assert "HW-1" in history and "HW-2" in history


def test_quote_of_a_hidden_post_shows_nothing_of_it(app, world, client_for):
    from webapp.services import moderation

    round_ = make_round(app, world.facilitator)
    thread = make_thread(app, world.member, round_=round_)
    quoted = make_post(app, world.company_member, thread, body="Soon hidden QH-8")
    make_post(app, world.member, thread, body="quoting it", quote=quoted)
    with app.test_request_context():
        moderation.hide_post(viewer(app, world.facilitator), quoted.id, reason="rude")
    page = client_for(world.researcher).get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)
    assert "QH-8" not in page and "The quoted post is not available." in page
    reply_page = client_for(world.researcher).get(f"/dialogue/threads/{thread.id}/reply?quote={quoted.id}&to={quoted.id}")
    assert "QH-8" not in reply_page.get_data(as_text=True)
    with app.test_request_context(), pytest.raises(ServiceError, match="cannot be quoted"):
        dialogue_posts.create_post(viewer(app, world.researcher), thread.id, body_source="x", quoted_post_id=quoted.id)


@pytest.mark.parametrize("body, message", [
    ("", "This field is required"),
    ("x" * 20_001, "Field cannot be longer than 20000 characters"),
])
def test_edit_bad_inputs(app, world, client_for, body, message):
    thread = make_thread(app, world.member)
    post = make_post(app, world.member, thread, body="Kept as it was")
    client = client_for(world.member)
    before = table_counts(app)
    response = send(client, f"/dialogue/posts/{post.id}/edit", {"body": body})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert table_counts(app) == before
    assert fetch(app, Post, post.id).body_source == "Kept as it was"


def test_hostile_markdown_in_an_edit_is_neutralised_in_the_revision_too(app, world, client_for):
    thread = make_thread(app, world.member)
    post = make_post(app, world.member, thread, body="harmless")
    client = client_for(world.member)
    assert send(client, f"/dialogue/posts/{post.id}/edit",
                {"body": '<script>alert(1)</script><a href="javascript:alert(2)">x</a>'}).status_code == 302
    history = client_for(world.company_member).get(f"/dialogue/posts/{post.id}/revisions").get_data(as_text=True)
    assert "<script>alert(1)" not in history and 'href="javascript' not in history


def test_starting_a_thread_in_a_closed_round_is_refused(app, world, client_for):
    round_ = make_round(app, world.facilitator)
    client = client_for(world.member)
    send(client_for(world.facilitator), f"/dialogue/rounds/{round_.id}/close")
    before = table_counts(app)
    response = send(client, f"/dialogue/rounds/{round_.id}/threads/new", {"title": "Late thread", "body": "x"})
    assert response.status_code == 409 and "round is closed" in response.get_data(as_text=True)
    assert table_counts(app) == before
