"""Query counts: a thread's page, a round's page and the dialogue index use a number of SQL statements that does
not grow with the number of posts or threads."""
from __future__ import annotations

import pytest

from tests.dialogue_helpers import make_post, make_round, make_thread, make_world, viewer
from webapp.services import moderation


@pytest.fixture
def world(make_org, make_user):
    return make_world(make_org, make_user)


def _grow_thread(app, world, thread, count: int, quoted):
    parent = None
    for i in range(count):
        author = (world.member, world.company_member, world.researcher)[i % 3]
        post = make_post(app, author, thread, body=f"Post {i}", parent=parent if i % 4 else None,
                         quote=quoted if i % 5 == 0 else None)
        parent = post if post.depth < 5 else None
        if i % 7 == 3:
            with app.test_request_context():
                moderation.hide_post(viewer(app, world.facilitator), post.id, reason="test")


@pytest.mark.parametrize("chatham", [False, True])
def test_thread_page_queries_do_not_grow_with_posts_or_the_page(app, world, client_for, query_counter, chatham):
    round_ = make_round(app, world.facilitator, chatham_house=chatham)
    other = make_thread(app, world.member, title="Quoted from here")
    quoted = make_post(app, world.member, other, body="Quoted text")
    small = make_thread(app, world.member, round_=round_, title="Small")
    large = make_thread(app, world.member, round_=round_, title="Large")
    _grow_thread(app, world, small, 3, quoted)
    _grow_thread(app, world, large, 62, quoted)  # 63 posts: pages 1-3 full (20 a page), page 4 holds three
    for user in (world.facilitator, world.member):
        client = client_for(user)
        client.get(f"/dialogue/threads/{small.id}")  # warm-up
        query_counter.reset()
        assert client.get(f"/dialogue/threads/{small.id}").status_code == 200
        few = query_counter.value
        counts = {}
        for number, marker in ((1, "Post 18"), (2, "Post 37"), (4, "Post 60")):
            query_counter.reset()
            page = client.get(f"/dialogue/threads/{large.id}?page={number}")
            assert page.status_code == 200 and marker in page.get_data(as_text=True), (number, marker)
            counts[number] = query_counter.value
        assert set(counts.values()) == {few}, (user.name, few, counts)
        assert few <= 17, few  # the navigation's counts (review, flags) are cached: 1 statement reads the generation
        for path in (f"/dialogue/posts/{quoted.id}", f"/dialogue/threads/{large.id}/unread"):
            query_counter.reset()
            assert client.get(path).status_code == 302
            assert query_counter.value <= 12, (path, query_counter.value)


def test_round_page_and_index_queries_do_not_grow_with_threads(app, world, client_for, query_counter):
    small = make_round(app, world.facilitator, title="Small round")
    large = make_round(app, world.facilitator, title="Large round")
    make_thread(app, world.member, round_=small)
    make_thread(app, world.member, title="First standalone")  # lists are not empty in both measurements
    for i in range(15):
        thread = make_thread(app, (world.member, world.company_member)[i % 2], round_=large, title=f"T{i}")
        make_post(app, world.researcher, thread)
    client = client_for(world.member)
    client.get(f"/dialogue/rounds/{small.id}")
    query_counter.reset()
    client.get(f"/dialogue/rounds/{small.id}")
    few = query_counter.value
    query_counter.reset()
    assert "T14" in client.get(f"/dialogue/rounds/{large.id}").get_data(as_text=True)
    assert query_counter.value == few
    query_counter.reset()
    client.get("/dialogue/")
    before = query_counter.value
    for i in range(5):
        make_round(app, world.facilitator, title=f"Extra {i}")
        make_thread(app, world.member, title=f"Standalone {i}")
    query_counter.reset()
    client.get("/dialogue/")
    assert query_counter.value == before
