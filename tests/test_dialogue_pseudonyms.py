"""Per-thread pseudonyms in Chatham House rounds: "Participant A", "Participant B" by first post, stable within a
thread (hiding and deleting rename no one), never the same across threads; who is who only for the round's
facilitators — on thread pages, quotes, search results and e-mail, over the viewer matrix."""
from __future__ import annotations

import re

import pytest

from tests.dialogue_helpers import make_post, make_round, make_thread, make_world, viewer
from tests.notification_helpers import set_delivery
from webapp.models import Tier

NAMES = ("Carl Company", "Rita Researcher", "Maria Member")


@pytest.fixture
def world(make_org, make_user):
    return make_world(make_org, make_user)


@pytest.fixture
def threads(app, world):
    """T1: Carl (A), Rita (B), Maria (C), Carl again. T2: Rita (A), Carl (B)."""
    make_round(app, world.other_facilitator, title="Another round")
    round_ = make_round(app, world.facilitator, tier=Tier.PUBLIC, chatham_house=True, thread_pseudonyms=True,
                        title="Closed-door round")
    first = make_thread(app, world.company_member, round_=round_, title="Industry view", body="T1-CARL-1")
    rita = make_post(app, world.researcher, first, body="T1-RITA-1")
    make_post(app, world.member, first, body="T1-MARIA-1")
    make_post(app, world.company_member, first, body="T1-CARL-2")
    second = make_thread(app, world.researcher, round_=round_, title="Academic view", body="T2-RITA-1")
    make_post(app, world.company_member, second, body="T2-CARL-1")
    return round_, first, second, rita


def _viewers(world):
    return {"anonymous": None, "member": world.member, "participant": world.company_member, "admin": world.admin,
            "facilitator": world.facilitator, "other_facilitator": world.other_facilitator}


def _letters(page: str) -> dict[str, str]:
    """{post body marker: letter shown in its header}."""
    found = {}
    for article in page.split("<article")[1:]:
        marker = re.search(r"T\d-[A-Z]+-\d", article)
        letter = re.search(r"Participant ([A-Z]+)", article.split("</header>", 1)[0])
        if marker:
            found[marker.group(0)] = letter.group(1) if letter else None
    return found


def test_letters_follow_first_posts_within_each_thread_for_every_viewer(app, world, threads, client_for):
    _round, first, second, _rita = threads
    for name, user in _viewers(world).items():
        client = client_for(user)
        one = client.get(f"/dialogue/threads/{first.id}").get_data(as_text=True)
        two = client.get(f"/dialogue/threads/{second.id}").get_data(as_text=True)
        assert _letters(one) == {"T1-CARL-1": "A", "T1-RITA-1": "B", "T1-MARIA-1": "C", "T1-CARL-2": "A"}, name
        assert _letters(two) == {"T2-RITA-1": "A", "T2-CARL-1": "B"}, name  # never carried across threads
        for page, posters in ((one, NAMES), (two, NAMES[:2])):
            for person in posters:
                shown = person in page
                # Names (the mapping) only for the round's facilitators, and each author's own name to themself.
                allowed = name == "facilitator" or (user is not None and person == user.name)
                assert shown is allowed, (name, person)
            assert "Maria Member" not in two or name == "member"


def test_facilitators_read_the_mapping(app, world, threads, client_for):
    _round, first, _second, _rita = threads
    page = client_for(world.facilitator).get(f"/dialogue/threads/{first.id}").get_data(as_text=True)
    assert re.search(r"Carl Company.*?\(Participant A\)", page, re.S)
    assert re.search(r"Rita Researcher.*?\(Participant B\)", page, re.S)


def test_letters_are_stored_not_recomputed(app, world, threads, make_user, client_for):
    from webapp.services import dialogue_posts, moderation

    _round, first, _second, rita = threads
    with app.test_request_context():
        moderation.hide_post(viewer(app, world.facilitator), _first_post_id(app, first), reason="calm")
        dialogue_posts.delete_post(viewer(app, world.researcher), rita.id)
    newcomer = make_user("community", org=world.university, name="Nadia Newcomer")
    make_post(app, newcomer, first, body="T1-NADIA-1")
    letters = _letters(client_for(world.member).get(f"/dialogue/threads/{first.id}").get_data(as_text=True))
    assert letters["T1-MARIA-1"] == "C" and letters["T1-CARL-2"] == "A" and letters["T1-NADIA-1"] == "D"


def _first_post_id(app, thread) -> int:
    from sqlalchemy import select

    from webapp.db import session
    from webapp.models import Post

    return session().scalar(select(Post.id).where(Post.thread_id == thread.id).order_by(Post.id).limit(1))


def test_quotes_keep_the_letter_in_their_thread_only(app, world, threads, client_for):
    _round, first, second, rita = threads
    make_post(app, world.member, first, body="T1-MARIA-2", quote=rita)
    make_post(app, world.member, second, body="T2-MARIA-1", quote=rita)
    one = client_for(world.admin).get(f"/dialogue/threads/{first.id}").get_data(as_text=True)
    two = client_for(world.admin).get(f"/dialogue/threads/{second.id}").get_data(as_text=True)
    assert re.search(r'class="quote-source">[^<]*<span class="author author-withheld pseudonym">Participant B', one)
    quote_elsewhere = two.split('class="quote-source">', 1)[1].split("</p>", 1)[0]
    assert "Participant" not in quote_elsewhere.replace("A participant (Chatham House rule)", "")
    assert "Rita Researcher" not in two


def test_search_results_carry_the_letter_not_the_name(app, world, threads):
    from webapp.db import session
    from webapp.models import Post
    from webapp.search.sources_dialogue import present_post

    _round, _first, _second, rita = threads
    for name, user in _viewers(world).items():
        with app.test_request_context():
            presented = present_post(session().get(Post, rita.id), viewer(app, user))
            byline = presented.byline
            if name == "facilitator":
                assert "Rita Researcher" in byline and "Participant B" in byline
            else:
                assert byline == "Participant B", name


def test_mail_carries_the_letter_not_the_name(smtp_app, smtp_server, world):
    from tests.smtp_server import body_text

    make_round(smtp_app, world.other_facilitator, title="Another round")
    round_ = make_round(smtp_app, world.facilitator, chatham_house=True, thread_pseudonyms=True, title="CH round")
    thread = make_thread(smtp_app, world.company_member, round_=round_, title="Industry view", body="first")
    set_delivery(smtp_app, world.member, "new_post", "immediate")
    _watch(smtp_app, world.member, thread)
    make_post(smtp_app, world.researcher, thread, body="second")
    smtp_server.wait_for(1)
    text = body_text(smtp_server.to(world.member.email)[-1])
    assert "Participant B" in text and "Rita Researcher" not in text and "University of Nairobi" not in text


def _watch(app, user, thread) -> None:
    from webapp.services import notifications

    with app.test_request_context():
        notifications.watch(viewer(app, user), "thread", thread.id)


def test_only_chatham_house_rounds_use_letters_and_turning_them_on_later_follows_first_posts(app, world, client_for):
    from webapp.services import dialogue_rounds

    open_round = make_round(app, world.facilitator, thread_pseudonyms=True, title="Open round")
    thread = make_thread(app, world.company_member, round_=open_round, body="T1-CARL-1")
    assert "Participant" not in client_for(world.member).get(f"/dialogue/threads/{thread.id}").get_data(as_text=True)

    round_ = make_round(app, world.facilitator, chatham_house=True, title="Late letters")
    late = make_thread(app, world.researcher, round_=round_, body="T1-RITA-1")
    make_post(app, world.company_member, late, body="T1-CARL-1")
    with app.test_request_context():
        from webapp.db import session
        from webapp.models import DialogueRound, ThreadPseudonym

        session().query(ThreadPseudonym).delete()  # as before letters were stored (migration of older rounds)
        session().commit()
        loaded = session().get(DialogueRound, round_.id)
        dialogue_rounds.update_round(
            viewer(app, world.facilitator), round_.id, title=loaded.title, questions_source=loaded.questions_source,
            paragraphs=[p.number for p in loaded.paragraphs], tier=loaded.tier, sharing_group_id=None,
            opens_at=loaded.opens_at, closes_at=loaded.closes_at, chatham_house=True, thread_pseudonyms=True)
    letters = _letters(client_for(world.member).get(f"/dialogue/threads/{late.id}").get_data(as_text=True))
    assert letters == {"T1-RITA-1": "A", "T1-CARL-1": "B"}
