"""The outbox: a rolled-back transaction indexes nothing, a failed or busy writer keeps entries queued and releases
the lock, a killed worker loses nothing, and applying later catches up."""
from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from sqlalchemy import func, select

from tests.search_helpers import publish, search_json, titles
from tests.search_helpers import indexer_on  # noqa: F401  (autouse)
from webapp.db import session, unit_of_work
from webapp.models import SearchOutboxEntry, Submission
from webapp.search import engine, outbox_worker, sources
from webapp.search.backend import IndexBusy
from webapp.search.outbox import enqueue
from webapp.search.whoosh.backend import WhooshBackend


@pytest.fixture
def people(make_user):
    return {"author": make_user(clearance="restricted"),
            "reviewer": make_user(clearance="restricted", roles=("facilitator",))}


def _queued(app) -> list[tuple[str, int, int]]:
    with app.app_context():
        return [tuple(row) for row in session().execute(
            select(SearchOutboxEntry.kind, SearchOutboxEntry.object_id, SearchOutboxEntry.attempts)
            .order_by(SearchOutboxEntry.id))]


def _index_keys(app) -> set[str]:
    return engine.backend(app).keys()


def test_committed_changes_are_indexed_and_the_outbox_emptied(app, people, client):
    item = publish(app, people["author"], people["reviewer"], title="Bilby trials", summary="bilby")
    assert f"submission:{item.id}" in _index_keys(app)
    assert _queued(app) == []
    assert titles(search_json(client, "bilby")[1]) == ["Bilby trials"]


def test_a_rolled_back_transaction_indexes_nothing(app, people, client):
    item = publish(app, people["author"], people["reviewer"], title="Bilby trials", summary="bilby")
    with app.test_request_context():
        with pytest.raises(RuntimeError):
            with unit_of_work() as db:
                db.get(Submission, item.id).title = "Cassowary trials"
                enqueue(db, "submission", item.id)
                enqueue(db, "submission", 424242)
                raise RuntimeError("the service failed after queuing")
    assert _queued(app) == []
    assert _index_keys(app) == {f"submission:{item.id}"}
    assert search_json(client, "cassowary")[1]["total"] == 0
    assert titles(search_json(client, "bilby")[1]) == ["Bilby trials"]


@pytest.mark.search_backends("whoosh")  # Whoosh's writer and lock file; PostgreSQL: test_search_postgres.py
def test_a_failing_write_keeps_entries_queued_and_releases_the_lock(app, people, client, monkeypatch):
    app.config["SEARCH_APPLY_AFTER_COMMIT"] = False
    item = publish(app, people["author"], people["reviewer"], title="Dingo logistics", summary="dingo")
    assert _queued(app)

    def broken_fields(self, document):
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(WhooshBackend, "_fields", broken_fields)
        report = outbox_worker.apply_pending(app, timeout=1.0)
    assert report.failed and report.applied == 0
    queued = _queued(app)
    assert {(kind, object_id) for kind, object_id, _ in queued} == {("submission", item.id)}
    assert all(attempts == 1 for *_rest, attempts in queued)
    with engine.backend(app).writer(timeout=0.0):  # the lock was released: taken at once
        pass
    report = outbox_worker.apply_pending(app, timeout=1.0)
    assert report.applied == len(queued) and not report.failed
    assert _queued(app) == [] and f"submission:{item.id}" in _index_keys(app)


def test_one_broken_object_does_not_block_the_others(app, people, monkeypatch):
    app.config["SEARCH_APPLY_AFTER_COMMIT"] = False
    bad = publish(app, people["author"], people["reviewer"], title="Broken one", summary="x")
    good = publish(app, people["author"], people["reviewer"], title="Good one", summary="y")
    source = sources.get("submission")

    def document(obj):
        if obj.id == bad.id:
            raise ValueError("cannot build")
        return source.document(obj)

    monkeypatch.setitem(sources._SOURCES, "submission", dataclasses.replace(source, document=document))
    report = outbox_worker.apply_pending(app, timeout=1.0)
    assert f"submission:{good.id}" in _index_keys(app) and f"submission:{bad.id}" not in _index_keys(app)
    assert {object_id for _k, object_id, _a in _queued(app)} == {bad.id}
    assert report.failed


def test_a_busy_lock_leaves_entries_queued_and_the_next_search_catches_up(app, people, client):
    app.config["SEARCH_LOCK_TIMEOUT"] = 0.1
    with engine.backend(app).writer(timeout=1.0):  # another writer holds the lock during the commit
        item = publish(app, people["author"], people["reviewer"], title="Emu sensor", summary="emu")
        assert ("submission", item.id, 0) in _queued(app)
    assert titles(search_json(client, "emu")[1]) == ["Emu sensor"]  # catch-up before searching
    assert _queued(app) == []


def test_reapplying_entries_is_idempotent(app, people):
    item = publish(app, people["author"], people["reviewer"], title="Fennec radar", summary="fennec")
    with app.test_request_context(), unit_of_work() as db:  # as if a worker died after the index commit
        enqueue(db, "submission", item.id)
        enqueue(db, "submission", item.id)
    outbox_worker.apply_pending(app, timeout=1.0)
    assert _queued(app) == [] and _index_keys(app) == {f"submission:{item.id}"}


def test_a_deleted_object_is_removed_from_the_index(app, people):
    item = publish(app, people["author"], people["reviewer"], title="Gecko", summary="gecko")
    with app.test_request_context(), unit_of_work() as db:
        db.delete(db.get(Submission, item.id))
        enqueue(db, "submission", item.id)
    assert _index_keys(app) == set()


@pytest.mark.search_backends("whoosh")  # Whoosh's writer and lock file; PostgreSQL: test_search_postgres.py
def test_a_killed_lock_holder_releases_the_lock_and_loses_nothing(app, people, client):
    app.config["SEARCH_LOCK_TIMEOUT"] = 0.1
    index_dir = app.config["SEARCH_INDEX_DIR"]
    with engine.backend(app).writer(timeout=1.0):  # create the index
        pass
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from webapp.search.whoosh.backend import WhooshBackend
            writer = WhooshBackend({index_dir!r})._writer(5.0)
            print("locked", flush=True)
            time.sleep(60)
        """)],
        stdout=subprocess.PIPE, text=True, cwd=os.getcwd(),
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(IndexBusy):
            with engine.backend(app).writer(timeout=0.2):
                pass
        item = publish(app, people["author"], people["reviewer"], title="Hoopoe drones", summary="hoopoe")
        assert ("submission", item.id, 0) in _queued(app)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    started = time.monotonic()
    with engine.backend(app).writer(timeout=2.0):  # the kernel released the dead process's lock
        pass
    assert time.monotonic() - started < 2.0
    assert titles(search_json(client, "hoopoe")[1]) == ["Hoopoe drones"]
    assert _queued(app) == []


def test_apply_command_reports_and_catches_up(app, people):
    app.config["SEARCH_APPLY_AFTER_COMMIT"] = False
    item = publish(app, people["author"], people["reviewer"], title="Ibis", summary="ibis")
    result = app.test_cli_runner().invoke(args=["search", "apply"])
    assert result.exit_code == 0, result.output
    assert "Applied" in result.output and f"submission:{item.id}" in _index_keys(app)


def test_outbox_backlog_query_counts(app, people):
    app.config["SEARCH_APPLY_AFTER_COMMIT"] = False
    publish(app, people["author"], people["reviewer"], title="Jacana", summary="jacana")
    count, oldest = outbox_worker.backlog(app)
    with app.app_context():
        assert count == session().scalar(select(func.count(SearchOutboxEntry.id))) and oldest is not None


def test_outbox_ids_are_never_reused(app):
    """Two appliers can read the same entry; the slower one deletes the ids it read after the faster one did. Had
    the highest id been handed out again in between (SQLite reuses it without AUTOINCREMENT), that delete would
    remove a newer entry for an object nobody indexed: found as drift by the gunicorn -w 4 test."""
    from sqlalchemy import delete as sql_delete

    app.config["SEARCH_APPLY_AFTER_COMMIT"] = False  # keep the entries: this test deletes them itself
    with app.app_context():
        with unit_of_work() as db:
            enqueue(db, "submission", 1)
        with unit_of_work() as db:
            first = db.scalar(select(func.max(SearchOutboxEntry.id)))
            db.execute(sql_delete(SearchOutboxEntry))
        with unit_of_work() as db:
            enqueue(db, "post", 14)
        with unit_of_work() as db:
            assert db.scalar(select(func.max(SearchOutboxEntry.id))) > first
