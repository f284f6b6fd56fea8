"""Markdown help and a server-side preview on every Markdown field (issue 13, "Items"): the preview shows the text
as it will read, sanitized like the saved text, keeps what was typed and saves nothing; no JavaScript."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from tests.archive_helpers import lesson_data
from tests.dialogue_helpers import make_post, make_round, make_thread, make_world, send
from webapp.db import session
from webapp.models import DialogueRound, Post, Submission, Thread, utcnow

TEXT = "Operators **over-trusted** it. <script>alert(1)</script>"


def _count(app, model) -> int:
    with app.app_context():
        return session().scalar(select(func.count()).select_from(model))


def _preview_of(page: str) -> str:
    found = re.findall(r'<section class="markdown-preview".*?</section>', page, re.S)
    assert found, "no preview on the page"
    return "\n".join(found)


def _assert_previewed(response, source_field: str) -> None:
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    preview = _preview_of(page)
    assert "<strong>over-trusted</strong>" in preview
    assert "<script" not in preview and "alert(1)" not in preview.replace("&lt;script&gt;alert(1)", "")  # sanitized, never run
    assert re.search(rf'name="{source_field}"[^>]*>[^<]*\*\*over-trusted\*\*', page), "the typed text is kept"


def test_every_markdown_form_offers_the_preview_and_the_help(app, make_org, make_user, client_for):
    world = make_world(make_org, make_user)
    round_ = make_round(app, world.facilitator)
    thread = make_thread(app, world.member, round_=round_)
    post = make_post(app, world.member, thread)
    member, facilitator = client_for(world.member), client_for(world.facilitator)
    pages = [member.get("/archive/new/lesson_learnt"), facilitator.get("/dialogue/rounds/new"),
             facilitator.get(f"/dialogue/rounds/{round_.id}/edit"), member.get("/dialogue/threads/new"),
             member.get(f"/dialogue/threads/{thread.id}"), member.get(f"/dialogue/threads/{thread.id}/reply"),
             member.get(f"/dialogue/posts/{post.id}/edit")]
    for response in pages:
        page = response.get_data(as_text=True)
        assert response.status_code == 200, response.request.path
        assert 'name="preview_markdown"' in page and 'href="/help/markdown"' in page, response.request.path


def test_the_help_page_shows_each_example_rendered(client):
    page = client.get("/help/markdown").get_data(as_text=True)
    assert "<pre>*italic* and **bold**</pre>" in page and "<strong>bold</strong>" in page
    assert "<table>" in page or 'class="markdown-examples"' in page


def test_previewing_a_new_lesson_saves_nothing(app, make_user, client_for, form_token):
    client = client_for(make_user("restricted"))
    token = form_token(client, "/archive/new/lesson_learnt")
    data = {k: v for k, v in lesson_data(observation=TEXT).items() if v is not None and k != "paragraphs"}
    response = client.post("/archive/new/lesson_learnt", data={**data, "paragraphs": ["14"], "csrf_token": token,
                                                              "preview_markdown": "1"})
    _assert_previewed(response, "observation")
    assert _count(app, Submission) == 0


def test_previewing_an_incomplete_lesson_shows_the_preview_not_errors(app, make_user, client_for, form_token):
    client = client_for(make_user("restricted"))
    token = form_token(client, "/archive/new/lesson_learnt")
    response = client.post("/archive/new/lesson_learnt", data={"observation": TEXT, "csrf_token": token,
                                                              "preview_markdown": "1"})
    _assert_previewed(response, "observation")
    assert _count(app, Submission) == 0


def test_previewing_round_questions_saves_nothing(app, make_org, make_user, client_for):
    world = make_world(make_org, make_user)
    now = utcnow()
    response = send(client_for(world.facilitator), "/dialogue/rounds/new", {
        "title": "Preview PR-1", "questions": TEXT, "paragraphs": ["16"], "tier": "community", "sharing_group": "",
        "opens_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"), "preview_markdown": "1"})
    _assert_previewed(response, "questions")
    assert _count(app, DialogueRound) == 0


def test_previewing_a_thread_a_reply_and_an_edit_saves_nothing(app, make_org, make_user, client_for):
    world = make_world(make_org, make_user)
    round_ = make_round(app, world.facilitator)
    thread = make_thread(app, world.member, round_=round_)
    post = make_post(app, world.member, thread, body="Before")
    client = client_for(world.member)
    threads, posts = _count(app, Thread), _count(app, Post)
    _assert_previewed(send(client, "/dialogue/threads/new", {"title": "T", "body": TEXT, "paragraphs": ["14"],
                                                              "tier": "community", "preview_markdown": "1"}), "body")
    _assert_previewed(send(client, f"/dialogue/threads/{thread.id}/posts", {"body": TEXT, "preview_markdown": "1"}),
                      "body")
    _assert_previewed(send(client, f"/dialogue/posts/{post.id}/edit", {"body": TEXT, "preview_markdown": "1"}), "body")
    assert (_count(app, Thread), _count(app, Post)) == (threads, posts)
    with app.app_context():
        assert session().get(Post, post.id).body_source == "Before"


def test_an_empty_text_previews_as_nothing_written(app, make_org, make_user, client_for):
    world = make_world(make_org, make_user)
    thread = make_thread(app, world.member, round_=make_round(app, world.facilitator))
    response = send(client_for(world.member), f"/dialogue/threads/{thread.id}/posts",
                    {"body": "", "preview_markdown": "1"})
    assert response.status_code == 200 and "Nothing written yet." in _preview_of(response.get_data(as_text=True))
