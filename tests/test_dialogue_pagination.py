"""Threads paginate: boundaries, bad ?page= input, permalinks to their page, the first-unread link, and nothing about
pages that a reader could not otherwise see (a higher tier, another group, a hidden post, a Chatham House author)."""
from __future__ import annotations

import re

import pytest

from tests.dialogue_helpers import make_post, make_round, make_thread, make_world, viewer
from webapp.models import Tier
from webapp.services import moderation

SIZE = 5  # small pages, so a thread of a dozen posts has three


@pytest.fixture
def world(app, make_org, make_user):
    app.config["THREAD_PAGE_SIZE"] = SIZE
    return make_world(make_org, make_user)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _body(response) -> str:
    """The page without what differs between two requests of one person (flashes, timestamped CSRF tokens)."""
    html = re.sub(r'<div class="flashes".*?</div>', "", _text(response), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r'name="csrf_token" value="[^"]*"', "", html))


def _grow(app, thread, authors, count: int, start: int = 1) -> list:
    """`count` replies to the thread, numbered from `start`, written in turn by `authors`."""
    return [make_post(app, authors[i % len(authors)], thread, body=f"Reply number {start + i}")
            for i in range(count)]


def _posts_on(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article class="post[^"]*" id="post-(\d+)"', page)]


@pytest.fixture
def long_thread(app, world):
    """A community thread of 12 posts (its first post and 11 replies): pages of 5, 5 and 2."""
    thread = make_thread(app, world.member, title="Long field trial thread", body="Reply number 0")
    posts = _grow(app, thread, [world.company_member, world.researcher], 11)
    return thread, posts


def test_pages_split_the_thread_in_order_with_a_pager(app, world, long_thread, client_for):
    thread, posts = long_thread
    client = client_for(world.company_member)
    first = _text(client.get(f"/dialogue/threads/{thread.id}"))
    assert _posts_on(first)[1:] == [p.id for p in posts[:4]] and len(_posts_on(first)) == SIZE
    assert "Page 1 of 3" in first and 'aria-label="Thread pages"' in first
    assert 'rel="prev"' not in first and f'rel="next" href="/dialogue/threads/{thread.id}?page=2"' in first
    assert f'<a aria-current="page" href="/dialogue/threads/{thread.id}">' in first
    assert f'href="/dialogue/threads/{thread.id}?page=3">Last page' in first
    middle = _text(client.get(f"/dialogue/threads/{thread.id}?page=2"))
    assert _posts_on(middle) == [p.id for p in posts[4:9]]
    assert f'rel="prev" href="/dialogue/threads/{thread.id}"' in middle  # page 1 keeps the thread's one address
    assert f'rel="next" href="/dialogue/threads/{thread.id}?page=3"' in middle
    last = _text(client.get(f"/dialogue/threads/{thread.id}?page=3"))
    assert _posts_on(last) == [p.id for p in posts[9:]]
    assert 'rel="next"' not in last and f'rel="prev" href="/dialogue/threads/{thread.id}?page=2"' in last
    assert "Page 3 of 3" in last and "12 posts" in last  # the count is the thread's, not the page's
    assert _posts_on(_text(client.get(f"/dialogue/threads/{thread.id}?page=1"))) == _posts_on(first)


def test_a_full_last_page_and_one_more_post(app, world, client_for):
    thread = make_thread(app, world.member, body="Reply number 0")
    _grow(app, thread, [world.company_member], 2 * SIZE - 1)  # exactly two full pages
    client = client_for(world.member)
    assert "Page 2 of 2" in _text(client.get(f"/dialogue/threads/{thread.id}?page=2"))
    assert client.get(f"/dialogue/threads/{thread.id}?page=3").headers["Location"] == f"/dialogue/threads/{thread.id}?page=2"
    extra = make_post(app, world.company_member, thread, body="Now a third page")
    third = _text(client.get(f"/dialogue/threads/{thread.id}?page=3"))
    assert _posts_on(third) == [extra.id] and "Page 3 of 3" in third


def test_a_short_thread_has_no_pager(app, world, client_for):
    thread = make_thread(app, world.member)
    make_post(app, world.company_member, thread)
    page = _text(client_for(None).get(f"/dialogue/threads/{thread.id}"))
    assert "thread-pager" not in page and "Page 1 of" not in page


@pytest.mark.parametrize("raw", ["0", "00", "-1", "abc", "", "1.5", "2x", "%D9%A3", "%2B2", "1e3"])
def test_bad_page_numbers_are_400_with_a_message(app, world, long_thread, client_for, raw):
    thread, _posts = long_thread
    response = client_for(world.member).get(f"/dialogue/threads/{thread.id}?page={raw}")
    assert response.status_code == 400
    assert "Page numbers are whole numbers from 1." in _text(response)


@pytest.mark.parametrize("raw", ["4", "99", "2147483647", "2147483648", "9" * 40])
def test_a_page_past_the_end_sends_the_reader_to_the_last_page(app, world, long_thread, client_for, raw):
    thread, _posts = long_thread
    response = client_for(world.member).get(f"/dialogue/threads/{thread.id}?page={raw}")
    assert response.status_code == 302 and response.headers["Location"] == f"/dialogue/threads/{thread.id}?page=3"


def test_any_page_of_an_unreadable_thread_answers_as_for_a_missing_one(app, world, client_for):
    secret = make_thread(app, world.researcher, tier=Tier.RESTRICTED)
    _grow(app, secret, [world.researcher], SIZE + 1)
    client = client_for(world.member)
    for query in ("?page=2", "?page=99", "?page=abc", "?page=0"):
        response, missing = client.get(f"/dialogue/threads/{secret.id}{query}"), client.get(f"/dialogue/threads/999999{query}")
        assert response.status_code == missing.status_code in (400, 404) and _body(response) == _body(missing), query


def test_permalink_lands_on_the_page_that_holds_the_post(app, world, long_thread, client_for):
    thread, posts = long_thread
    client = client_for(world.company_member)
    on_third = posts[9]  # the 11th post: page 3
    response = client.get(f"/dialogue/posts/{on_third.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/dialogue/threads/{thread.id}?page=3#post-{on_third.id}"
    assert f'id="post-{on_third.id}"' in _text(client.get(f"/dialogue/threads/{thread.id}?page=3"))
    assert client.get(f"/dialogue/posts/{posts[0].id}").headers["Location"] == f"/dialogue/threads/{thread.id}#post-{posts[0].id}"
    assert client.get(f"/dialogue/posts/{posts[4].id}").headers["Location"].endswith(f"?page=2#post-{posts[4].id}")


def test_adding_a_post_lands_on_its_page(app, world, long_thread, client_for):
    from tests.dialogue_helpers import send

    thread, _posts = long_thread
    client = client_for(world.member)
    response = send(client, f"/dialogue/threads/{thread.id}/posts", {"body": "The thirteenth post"},
                    token_page=f"/dialogue/threads/{thread.id}")
    assert response.status_code == 302 and re.fullmatch(rf"/dialogue/threads/{thread.id}\?page=3#post-\d+",
                                                        response.headers["Location"])
    assert "The thirteenth post" in _text(client.get(response.headers["Location"].split("#")[0]))


def test_a_reply_to_a_post_on_an_earlier_page_links_to_it(app, world, long_thread, client_for):
    thread, posts = long_thread
    reply = make_post(app, world.member, thread, body="Answering the second post", parent=posts[0])
    page = _text(client_for(world.company_member).get(f"/dialogue/threads/{thread.id}?page=3"))
    header = page.split(f'id="post-{reply.id}-by"')[1].split("</header>")[0]
    assert f'In reply to <a href="/dialogue/posts/{posts[0].id}">post {posts[0].id}</a>' in header
    first = _text(client_for(world.company_member).get(f"/dialogue/threads/{thread.id}"))
    assert "In reply to" not in first  # on its own page a reply nests under its parent instead


def test_first_unread_link_and_route(app, world, long_thread, client_for):
    thread, posts = long_thread
    reader = client_for(world.facilitator)  # never opened the thread: everything is new
    assert reader.get(f"/dialogue/threads/{thread.id}/unread").headers["Location"] == f"/dialogue/threads/{thread.id}#post-{thread_first_post(app, thread)}"
    first = _text(reader.get(f"/dialogue/threads/{thread.id}"))  # reading page 1 moves the mark to its newest post
    assert f'<a href="/dialogue/posts/{posts[4].id}">Go to your first unread post</a>' in first
    assert reader.get(f"/dialogue/threads/{thread.id}/unread").headers["Location"] == \
        f"/dialogue/threads/{thread.id}?page=2#post-{posts[4].id}"
    assert reader.get(f"/dialogue/posts/{posts[4].id}").headers["Location"].endswith(f"?page=2#post-{posts[4].id}")
    reader.get(f"/dialogue/threads/{thread.id}?page=3")  # the mark never moves back: page 2 now counts as read
    last = _text(reader.get(f"/dialogue/threads/{thread.id}?page=2"))
    assert "Go to your first unread post" not in last
    # Nothing unread: the newest post, on the last page.
    assert reader.get(f"/dialogue/threads/{thread.id}/unread").headers["Location"] == \
        f"/dialogue/threads/{thread.id}?page=3#post-{posts[-1].id}"
    newer = make_post(app, world.researcher, thread, body="After the reader's visit")
    assert reader.get(f"/dialogue/threads/{thread.id}/unread").headers["Location"] == \
        f"/dialogue/threads/{thread.id}?page=3#post-{newer.id}"


def thread_first_post(app, thread) -> int:
    from sqlalchemy import func, select

    from webapp import db as database
    from webapp.models import Post

    with app.test_request_context():
        return database.session().scalar(select(func.min(Post.id)).where(Post.thread_id == thread.id))


def test_own_posts_are_never_unread_and_anonymous_readers_start_at_page_one(app, world, client_for):
    thread = make_thread(app, world.member, body="Reply number 0")
    _grow(app, thread, [world.company_member], SIZE - 1)  # page 1 is full
    own = _grow(app, thread, [world.member], 2, start=100)
    member = client_for(world.member)
    member.get(f"/dialogue/threads/{thread.id}")
    page = _text(member.get(f"/dialogue/threads/{thread.id}"))
    assert "Go to your first unread post" not in page  # what follows page 1 is all their own
    assert member.get(f"/dialogue/threads/{thread.id}/unread").headers["Location"].endswith(f"?page=2#post-{own[-1].id}")
    anonymous = client_for(None)
    public = make_thread(app, world.member, tier=Tier.PUBLIC)
    assert "Go to your first unread post" not in _text(anonymous.get(f"/dialogue/threads/{public.id}"))
    assert anonymous.get(f"/dialogue/threads/{public.id}/unread").headers["Location"] == f"/dialogue/threads/{public.id}"


def test_pages_permalinks_and_unread_of_a_higher_tier_or_another_group_are_the_missing_ids_404(
        app, world, make_user, make_group, client_for):
    restricted = make_thread(app, world.researcher, tier=Tier.RESTRICTED, title="Restricted long thread")
    restricted_posts = _grow(app, restricted, [world.researcher, world.facilitator], SIZE + 1)
    insider = make_user("confidential", org=world.university)
    group = make_group(users=[world.facilitator, insider])
    confidential = make_thread(app, world.facilitator, tier=Tier.CONFIDENTIAL, group=group, title="Group thread")
    confidential_posts = _grow(app, confidential, [world.facilitator, insider], SIZE + 1)
    outsider = make_user("confidential", org=world.university)  # cleared, but not in the group
    cases = [(client_for(world.member), restricted, restricted_posts), (client_for(None), restricted, restricted_posts),
             (client_for(outsider), confidential, confidential_posts)]
    for client, thread, posts in cases:
        missing_thread = _body(client.get("/dialogue/threads/999999"))
        missing_post = client.get("/dialogue/posts/999999")
        assert missing_post.status_code == 404
        for path in (f"/dialogue/threads/{thread.id}", f"/dialogue/threads/{thread.id}?page=2",
                     f"/dialogue/threads/{thread.id}?page=99", f"/dialogue/threads/{thread.id}/unread"):
            response = client.get(path)
            assert response.status_code == 404 and _body(response) == missing_thread, path
        for post in (posts[0], posts[-1]):
            response = client.get(f"/dialogue/posts/{post.id}")
            assert response.status_code == 404 and _body(response) == _body(missing_post)
    # Those who may read them land on the page.
    assert client_for(insider).get(f"/dialogue/posts/{confidential_posts[-1].id}").headers["Location"].endswith(
        f"?page=2#post-{confidential_posts[-1].id}")


def test_hidden_posts_count_alike_for_readers_and_moderators_and_show_no_text(app, world, client_for):
    # Existing rule (DESIGN.md §5, templates/dialogue/_macros.html): a hidden post stays in its thread as a
    # placeholder for every reader, its text and reason only for its author and the moderators. So it takes its
    # place in the pages for everyone: a reader's page numbers equal a moderator's, and say nothing more.
    round_ = make_round(app, world.facilitator)
    thread = make_thread(app, world.member, round_=round_, body="Reply number 0")
    posts = _grow(app, thread, [world.company_member, world.researcher], 2 * SIZE)
    hidden = posts[2]
    with app.test_request_context():
        moderation.hide_post(viewer(app, world.facilitator), hidden.id, reason="Names a unit")
    reader, moderator = client_for(world.member), client_for(world.facilitator)
    for post in (hidden, posts[5], posts[-1]):
        assert reader.get(f"/dialogue/posts/{post.id}").headers["Location"] == \
            moderator.get(f"/dialogue/posts/{post.id}").headers["Location"]
    page = _text(reader.get(f"/dialogue/threads/{thread.id}"))
    assert "This post was hidden by a facilitator." in page and "Reply number 3" not in page and "Names a unit" not in page
    assert "Page 1 of 3" in page and "Page 1 of 3" in _text(moderator.get(f"/dialogue/threads/{thread.id}"))
    assert "Reply number 3" in _text(moderator.get(f"/dialogue/threads/{thread.id}"))


def test_chatham_house_pages_name_no_one(app, world, client_for):
    round_ = make_round(app, world.facilitator, chatham_house=True, title="Closed-door round")
    thread = make_thread(app, world.member, round_=round_, body="Reply number 0")
    posts = _grow(app, thread, [world.company_member, world.researcher, world.member], 2 * SIZE + 1)
    names = ("Maria Member", "Carl Company", "Rita Researcher", "Ministry of Defence NL", "Sensor Systems GmbH",
             "University of Nairobi AI Lab")
    reader = client_for(world.researcher)
    reader.get(f"/dialogue/threads/{thread.id}")
    for path in (f"/dialogue/threads/{thread.id}", f"/dialogue/threads/{thread.id}?page=2",
                 f"/dialogue/threads/{thread.id}?page=3"):
        page = _text(reader.get(path))
        shown = [name for name in names if name in page and name != "Rita Researcher" and
                 name != "University of Nairobi AI Lab"]
        assert not shown, (path, shown)
    # Where a post lands depends on the thread alone, not on who wrote it or who asks.
    for post in posts:
        where = {client_for(user).get(f"/dialogue/posts/{post.id}").headers["Location"]
                 for user in (world.researcher, world.company_member, world.facilitator)}
        assert len(where) == 1


def test_reading_pages_writes_nothing_but_the_read_mark(app, world, long_thread, client_for, row_counts):
    thread, posts = long_thread
    anonymous_paths = [f"/dialogue/threads/{thread.id}", f"/dialogue/threads/{thread.id}?page=2",
                       f"/dialogue/threads/{thread.id}?page=9", f"/dialogue/threads/{thread.id}?page=0",
                       f"/dialogue/posts/{posts[9].id}", f"/dialogue/threads/{thread.id}/unread"]
    public = make_thread(app, world.member, tier=Tier.PUBLIC)
    member = client_for(world.company_member)
    member.get("/")  # signing in writes its session and audit row before the count
    before = row_counts()
    for path in [*anonymous_paths, f"/dialogue/threads/{public.id}", f"/dialogue/threads/{public.id}/unread"]:
        assert client_for(None).get(path).status_code in (200, 302, 400, 404)
    assert row_counts() == before
    for path in anonymous_paths:
        member.get(path)
    after = row_counts()
    assert {name for name in after if after[name] != before[name]} == {"thread_reads"}
    assert after["thread_reads"] == before["thread_reads"] + 1  # one mark per person and thread
