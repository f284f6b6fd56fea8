"""Deletion that deletes (issue 14): a deleted submission's or post's words are found nowhere afterwards —
pages, search, snippets, suggestions, feeds, exports, revisions, syntheses — and bad input gets a clear answer."""
from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import JSON, String, Text, select

from tests.archive_helpers import concluded_synthesis
from tests.conftest import csrf_token
from tests.dialogue_helpers import make_post, make_thread, viewer
from tests.search_helpers import publish, search_json
from webapp import db as database
from webapp.db import Base
from webapp.models import AuditEvent, DialogueRound, Post, Submission
from webapp.services import Conflict, dialogue_posts

WORDS = "Xylophonic zeppelin calibration"
POST_WORDS = "Quinquennial marmoset telemetry drills"


def _found_in_tables(app, needles) -> list[str]:
    hits = []
    with app.app_context():
        db = database.session()
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))]
            if not columns:
                continue
            for row in db.execute(select(*columns)).all():
                for column, value in zip(columns, row):
                    text = value if isinstance(value, str) else json.dumps(value, default=str)
                    hits += [f"{table.name}.{column.name}" for n in needles if text and n.lower() in text.lower()]
    return hits


def _delete(client, path, data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)})


@pytest.fixture
def people(make_user):
    return {"author": make_user(name="Ann Author"), "reviewer": make_user(roles=("facilitator",),
                                                                         clearance="restricted"),
            "admin": make_user(roles=("admin",)), "reader": make_user()}


def test_a_deleted_submission_is_found_nowhere(app, people, client_for):
    app.config["SEARCH_APPLY_AFTER_COMMIT"] = True
    item = publish(app, people["author"], people["reviewer"], title=f"{WORDS} lesson",
                   observation=f"The {WORDS} went wrong twice.")
    synthesis = concluded_synthesis(app, people["reviewer"], title="Round quoting it",
                                    body=f"We heard this:\n\n> The {WORDS} went wrong twice.\n\nAnd more.")
    reader = client_for(people["reader"])
    status, body = search_json(reader, "zeppelin")
    assert status == 200 and body["results"]  # indexed before, so "nowhere after" means something
    assert _found_in_tables(app, ["zeppelin"])
    assert (search_json(reader, "zeppelinn")[1]["suggestion"] or "").startswith("zeppelin")

    author = client_for(people["author"])
    page = author.get(f"/archive/{item.id}")
    assert f"/archive/{item.id}/delete" in page.get_data(as_text=True)
    confirm = author.get(f"/archive/{item.id}/delete")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.get_data(as_text=True)
    assert _delete(author, f"/archive/{item.id}/delete", {"understood": "y"}).status_code == 302

    assert _found_in_tables(app, ["zeppelin", "Xylophonic"]) == []  # text, revisions, synthesis, its revisions
    for path in (f"/archive/{item.id}", f"/archive/{item.id}.md", f"/archive/{item.id}.json",
                 f"/archive/{item.id}/citation"):
        assert reader.get(path).status_code == 404, path
    status, body = search_json(reader, "zeppelin")
    assert status == 200 and body["results"] == []
    status, body = search_json(reader, "zeppelinn")  # a misspelling suggests nothing of it either
    assert body["results"] == [] and "zeppelin" not in (body["suggestion"] or "")
    for path in ("/archive/", "/archive/feed.atom", "/archive/paragraphs/14/feed.atom", "/search?q=calibration",
                 f"/archive/{synthesis.id}"):
        text = reader.get(path).get_data(as_text=True)
        assert "xylophonic" not in text.lower(), path
    assert "[removed]" in reader.get(f"/archive/{synthesis.id}").get_data(as_text=True)
    with app.app_context():
        event = database.session().scalar(select(AuditEvent).where(AuditEvent.action == "submission.deleted_for_good"))
        assert event.actor_id == people["author"].id and event.details["by"] == "originator"
        assert "zeppelin" not in json.dumps(event.details).lower()


def test_a_deleted_post_is_found_nowhere_and_its_quote_in_a_synthesis_shows_removed(app, people, client_for):
    app.config["SEARCH_APPLY_AFTER_COMMIT"] = True
    thread = make_thread(app, people["reader"], title="Drills thread", body="Opening")
    post = make_post(app, people["author"], thread, body=f"{POST_WORDS} are worth it.")
    with app.test_request_context():
        dialogue_posts.edit_post(viewer(app, people["author"]), post.id, body_source=f"{POST_WORDS} are worth it!")
    concluded_synthesis(app, people["reviewer"], title="Round on drills", body=f"> {POST_WORDS} are worth it!")
    assert search_json(client_for(people["reader"]), "marmoset")[1]["results"]
    author = client_for(people["author"])
    assert author.post(f"/dialogue/posts/{post.id}/delete",
                       data={"csrf_token": csrf_token(author, f"/dialogue/threads/{thread.id}")}).status_code == 302
    assert _found_in_tables(app, ["marmoset"]) == []
    reader = client_for(people["reader"])
    assert search_json(reader, "marmoset")[1]["results"] == []
    assert "marmoset" not in reader.get(f"/dialogue/threads/{thread.id}").get_data(as_text=True).lower()
    with app.app_context():
        round_ = database.session().scalar(select(DialogueRound).where(DialogueRound.title == "Round on drills"))
        assert "[removed]" in round_.synthesis_html


def test_an_admin_deletes_on_a_documented_request_only(app, people, client_for):
    thread = make_thread(app, people["reader"], title="Thread", body="Opening")
    post = make_post(app, people["author"], thread, body=f"{POST_WORDS} again")
    admin = client_for(people["admin"])
    path = f"/admin/posts/{post.id}/delete"
    no_reason = _delete(admin, path, {"understood": "y"})
    assert no_reason.status_code == 400 and "whose request" in no_reason.get_data(as_text=True)
    unticked = _delete(admin, path, {"reason": "Request ref 9"})
    assert unticked.status_code == 400
    assert _found_in_tables(app, ["marmoset"])  # nothing was deleted yet
    assert _delete(admin, path, {"reason": "Author's request by e-mail, ref 9", "understood": "y"}).status_code == 302
    assert _found_in_tables(app, ["marmoset"]) == []
    with app.app_context():
        event = database.session().scalar(select(AuditEvent).where(AuditEvent.action == "post.deleted_for_good"))
        assert event.details["by"] == "administrator" and event.details["reason"] == "Author's request by e-mail, ref 9"
    again = _delete(admin, path, {"reason": "again", "understood": "y"})
    assert again.status_code == 409 and "deleted already" in again.get_data(as_text=True)


def test_only_the_originator_or_an_admin_deletes_a_submission(app, people, client_for):
    item = publish(app, people["author"], people["reviewer"], title="Someone's lesson")
    reader = client_for(people["reader"])
    assert _delete(reader, f"/archive/{item.id}/delete", {"understood": "y"}).status_code == 403
    no_reason = _delete(client_for(people["admin"]), f"/archive/{item.id}/delete", {"understood": "y"})
    assert no_reason.status_code == 400
    with app.app_context():
        assert database.session().get(Submission, item.id) is not None
    author = client_for(people["author"])
    assert _delete(author, f"/archive/{item.id}/delete", {"understood": "y"}).status_code == 302
    twice = _delete(author, f"/archive/{item.id}/delete", {"understood": "y"})
    assert twice.status_code == 404  # gone: the same answer as for an item that never existed


def test_a_deletion_racing_an_edit_one_wins_cleanly(app, people, monkeypatch):
    """Two sessions: the edit has read the post when the deletion commits; the edit then fails, and no word of it
    (nor of the original) survives."""
    thread = make_thread(app, people["reader"], title="Race thread", body="Opening")
    post = make_post(app, people["author"], thread, body="Original racing words")
    original_body = dialogue_posts._body

    def body_then_delete_elsewhere(value):
        def delete_in_another_session():
            with app.test_request_context():
                dialogue_posts.delete_post(viewer(app, people["author"]), post.id)

        worker = threading.Thread(target=delete_in_another_session)
        worker.start()
        worker.join()
        return original_body(value)

    monkeypatch.setattr(dialogue_posts, "_body", body_then_delete_elsewhere)
    with app.test_request_context():
        with pytest.raises(Conflict, match="deleted meanwhile"):
            dialogue_posts.edit_post(viewer(app, people["author"]), post.id, body_source="Edited racing words")
    assert _found_in_tables(app, ["racing words"]) == []
    with app.app_context():
        assert database.session().get(Post, post.id).deleted_at is not None
