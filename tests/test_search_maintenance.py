"""Rebuild and reconcile: the index is a derived view, rebuildable and checkable against the database."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from tests.dialogue_helpers import make_post, make_round, make_thread
from tests.search_helpers import publish, search_json, titles
from tests.search_helpers import indexer_on  # noqa: F401  (autouse)
from webapp.db import session
from webapp.models import Submission
from webapp.search import engine, maintenance
from webapp.search.backend import DocInfo, Document, IndexUnavailable, RebuildIncomplete
from webapp.search.whoosh.backend import WhooshBackend


@pytest.fixture
def content(app, make_user):
    author = make_user(clearance="restricted")
    reviewer = make_user(clearance="restricted", roles=("facilitator",))
    items = [publish(app, author, reviewer, title=f"Kiwi lesson {n}", summary="kiwi navigation") for n in range(4)]
    round_ = make_round(app, reviewer, facilitators=(reviewer,), title="Kiwi round")
    thread = make_thread(app, author, round_=round_, title="Kiwi thread", body="kiwi opening post")
    post = make_post(app, author, thread, body="kiwi reply")
    return {"items": items, "round": round_, "thread": thread, "post": post}


def _expected_keys(content) -> set[str]:
    keys = {f"submission:{item.id}" for item in content["items"]}
    keys |= {f"round:{content['round'].id}", f"thread:{content['thread'].id}", f"post:{content['post'].id}"}
    return keys


def test_every_kind_is_indexed_through_the_outbox(app, content):
    keys = engine.backend(app).keys()
    assert _expected_keys(content) <= keys
    assert all(key.split(":")[0] in {"submission", "round", "thread", "post"} for key in keys)


def test_rebuild_restores_an_emptied_index(app, content, client):
    backend = engine.backend(app)
    with backend.writer(timeout=1.0) as writer:
        for key in backend.keys():
            writer.remove(key)
    assert search_json(client, "kiwi")[1]["total"] == 0
    count = maintenance.rebuild(app)
    assert backend.keys() == _expected_keys(content) | {k for k in backend.keys() if k.startswith("post:")}
    assert count == len(backend.keys())
    assert search_json(client, "kiwi")[1]["total"] == len(content["items"])  # the public ones
    assert maintenance.find_drift(app).total == 0


def test_rebuild_command_prints_the_rate(app, content):
    result = app.test_cli_runner().invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Indexed" in result.output and "/s" in result.output


@pytest.mark.search_backends("whoosh")  # PostgreSQL: test_search_postgres.py
def test_rebuild_refuses_a_short_index(app, content, monkeypatch):
    before = engine.backend(app).keys()
    monkeypatch.setattr(WhooshBackend, "_count_in", staticmethod(lambda ix: 1))
    with pytest.raises(RebuildIncomplete):
        maintenance.rebuild(app)
    assert engine.backend(app).keys() == before  # the incomplete version was never swapped in


def test_reconcile_reports_and_repairs_every_kind_of_drift(app, content, client):
    backend = engine.backend(app)
    items = content["items"]
    with backend.writer(timeout=1.0) as writer:
        writer.remove(f"submission:{items[0].id}")  # missing
        writer.update(Document(DocInfo("submission:999999", "lesson_learnt", 0, 0, None, None), "Ghost kiwi", "kiwi"))
        writer.update(Document(DocInfo(f"submission:{items[1].id}", "lesson_learnt", 0, 0, None, None), "Old", "old"))
    with app.app_context():  # a change that bypassed the outbox
        with session().begin():
            session().execute(update(Submission).where(Submission.id == items[2].id).values(title="Kiwi renamed"))
    drift = maintenance.find_drift(app)
    assert drift.missing == [f"submission:{items[0].id}"]
    assert drift.extra == ["submission:999999"]
    assert set(drift.stale) == {f"submission:{items[1].id}", f"submission:{items[2].id}"}

    result = app.test_cli_runner().invoke(args=["search", "reconcile", "--dry-run"])
    assert result.exit_code == 1 and "missing: 1" in result.output and "extra: 1" in result.output

    repaired = maintenance.reconcile(app)
    assert repaired.repaired == 4
    assert maintenance.find_drift(app).total == 0
    assert "Kiwi renamed" in titles(search_json(client, "renamed")[1])
    result = app.test_cli_runner().invoke(args=["search", "reconcile"])
    assert result.exit_code == 0 and "No drift." in result.output


def test_status_command_and_health_endpoint(app, content, client_for, make_user):
    result = app.test_cli_runner().invoke(args=["search", "status"])
    assert result.exit_code == 0 and '"documents"' in result.output
    admin = make_user(clearance="community", roles=("admin",))
    body = client_for(admin).get("/api/health/search", environ_base={"REMOTE_ADDR": "203.0.113.9"}).get_json()
    assert body["status"] == "ok" and body["documents"] == len(engine.backend(app).keys())
    assert body["outbox_backlog"] == 0 and body["last_applied_at"]
    member = make_user(clearance="confidential")
    body = client_for(member).get("/api/health/search", environ_base={"REMOTE_ADDR": "203.0.113.9"}).get_json()
    assert body == {"status": "ok"}  # figures about the whole index are not for readers


def test_every_content_kind_has_a_registered_source(app):
    from webapp.search import sources

    assert {source.kind for source in sources.all_sources()} == {"submission", "round", "thread", "post"}
    assert set(sources.display_kinds()) == {"lesson_learnt", "good_practice", "responsible_ai_policy",
                                            "outcome_synthesis", "round", "thread", "post"}


@pytest.mark.search_backends("whoosh")  # an index directory of an older schema
def test_an_index_of_another_schema_is_replaced_not_a_500(app, tmp_path, client):
    from whoosh import fields, index

    from webapp.search.whoosh.backend import WhooshBackend

    old = tmp_path / "old-index"
    old.mkdir()
    index.create_in(str(old), fields.Schema(key=fields.ID(stored=True, unique=True), title=fields.TEXT()))
    backend = WhooshBackend(old)
    with pytest.raises(IndexUnavailable, match="another version"):
        backend.keys()
    assert backend.health()["status"] == "unavailable"
    backend.rebuild([], timeout=1.0)  # what `flask search rebuild` does: a new version, swapped in
    assert backend.keys() == set()
    assert sorted(backend._index().schema.names()) == sorted(backend.schema.names())
