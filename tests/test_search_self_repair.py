"""An index that heals itself (issue 12): each way the Whoosh index can fail, as users and health see it before and
after `flask search rebuild` and the job engine's periodic job."""
from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from tests.search_helpers import publish, search_json, titles
from tests.search_helpers import indexer_on  # noqa: F401  (autouse)
from webapp.db import session
from webapp.jobs import claims, schedule
from webapp.models import DatabaseIdentity, SearchOutboxEntry, utcnow
from webapp.search import engine, outbox_worker
from webapp.search.whoosh import backend as whoosh_backend
from webapp.search.whoosh.storage import IndexRoot

UNAVAILABLE = "Search is being repaired; try again in a few minutes."


# Every test here is about the Whoosh index on disk (versions, pointer, files): the PostgreSQL index lives in the
# database and has none of these ways to fail.
pytestmark = pytest.mark.search_backends("whoosh")

@pytest.fixture
def people(make_user):
    return {"author": make_user(clearance="restricted"),
            "reviewer": make_user(clearance="restricted", roles=("facilitator",))}


@pytest.fixture
def indexed(app, people):
    """Two public items, indexed through the outbox."""
    items = [publish(app, people["author"], people["reviewer"], title=f"Kiwi lesson {n}", summary="kiwi navigation")
             for n in range(2)]
    assert search_json(app.test_client(), "kiwi")[1]["total"] == 2
    return items


def _new_worker() -> None:
    """What a worker started now would see: no process-wide backend with an already-open index."""
    for backend in whoosh_backend._BACKENDS.values():
        backend.close()
    whoosh_backend._BACKENDS.clear()


def _current_version(app) -> Path:
    return IndexRoot(Path(app.config["SEARCH_INDEX_DIR"])).current()


def _health(client) -> dict:
    response = client.get("/api/health")
    assert response.status_code == 200
    return response.get_json()


def _assert_users_see_repair(client) -> None:
    page = client.get("/search?q=kiwi")
    assert page.status_code == 503 and UNAVAILABLE in page.get_data(as_text=True)
    status, body = search_json(client, "kiwi")
    assert status == 503 and body == {"error": UNAVAILABLE, "status": "unavailable"}


def _assert_healthy(client, expected_total: int) -> None:
    body = _health(client)
    assert body["status"] == "ok" and body["search"] == {"status": "ok", "problems": []}
    status, result = search_json(client, "kiwi")
    assert status == 200 and result["total"] == expected_total


def _rebuild(app) -> str:
    result = app.test_cli_runner().invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Aborted" not in result.output and "Indexed" in result.output
    assert "in step with the database" in result.output
    return result.output


def _run_periodic_job(app, minutes: int = 1):
    return claims.run_once(app, schedule.periodic_job("search.drain_outbox"), utcnow() + timedelta(minutes=minutes))


def test_a_healthy_index_is_reported_ok(app, indexed, client):
    _assert_healthy(client, 2)


def test_a_truncated_table_of_contents_is_detected_and_rebuilt(app, indexed, client):
    version = _current_version(app)
    for toc in version.glob("_MAIN_*.toc"):
        toc.write_bytes(toc.read_bytes()[:10])
    _new_worker()
    _assert_users_see_repair(client)
    body = _health(client)
    assert body["status"] == "degraded" and body["search"]["status"] == "unavailable"
    assert [problem["code"] for problem in body["search"]["problems"]] == ["damaged"]

    output = _rebuild(app)
    assert "Found: damaged" in output
    assert _current_version(app) != version  # a new version was swapped in
    _assert_healthy(client, 2)


def test_a_corrupt_segment_is_detected_and_repaired_by_the_periodic_job(app, indexed, client):
    version = _current_version(app)
    segments = list(version.glob("*.seg"))
    assert segments
    for segment in segments:
        segment.write_bytes(b"\0garbage" * 64)
    _new_worker()
    body = _health(client)
    assert body["search"]["status"] == "unavailable"
    assert body["search"]["problems"][0]["code"] == "damaged"

    report = _run_periodic_job(app)
    assert report.repaired.startswith("rebuilt the index (damaged)")
    _assert_healthy(client, 2)


def test_a_deleted_index_directory_is_detected_not_answered_with_zero_results(app, indexed, client):
    shutil.rmtree(app.config["SEARCH_INDEX_DIR"])
    _assert_users_see_repair(client)  # the worker that had it open notices too
    body = _health(client)
    assert body["status"] == "degraded"
    assert [problem["code"] for problem in body["search"]["problems"]] == ["missing"]
    assert "missing" in body["search"]["problems"][0]["detail"]
    assert app.config["SEARCH_INDEX_DIR"] not in str(body)  # no paths for an unauthenticated monitor
    status = app.test_cli_runner().invoke(args=["search", "status"])  # the operator's full detail
    assert app.config["SEARCH_INDEX_DIR"] in status.output and '"code": "missing"' in status.output

    report = _run_periodic_job(app)
    assert "missing" in report.repaired
    _assert_healthy(client, 2)


def test_a_never_built_index_of_a_never_indexed_database_is_simply_empty(app, client):
    _assert_healthy(client, 0)


def _make_read_only(root: Path, monkeypatch) -> None:
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    if os.geteuid() == 0:  # permission bits do not bind root: make this process's write probe fail as they would
        real_touch = Path.touch

        def refused(self, *args, **kwargs):
            if root in self.parents:
                raise PermissionError(13, "Permission denied", str(self))
            return real_touch(self, *args, **kwargs)

        monkeypatch.setattr(Path, "touch", refused)


def _make_writable(root: Path, monkeypatch) -> None:
    monkeypatch.undo()
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def test_a_read_only_index_still_serves_searches_and_writes_wait(app, indexed, client, people, monkeypatch):
    root = Path(app.config["SEARCH_INDEX_DIR"])
    _make_read_only(root, monkeypatch)
    try:
        _new_worker()  # a worker started while the directory is read-only
        status, body = search_json(client, "kiwi")
        assert status == 200 and body["total"] == 2
        late = publish(app, people["author"], people["reviewer"], title="Kiwi late lesson", summary="kiwi")
        with app.app_context():  # committed, never a 500; queued for a writable worker
            assert session().scalar(select(func.count(SearchOutboxEntry.id))) >= 1
        assert search_json(client, "kiwi")[1]["total"] == 2
        health = _health(client)
        assert health["status"] == "degraded" and health["search"]["status"] == "degraded"
        assert [problem["code"] for problem in health["search"]["problems"]] == ["read_only"]
        app.config["SEARCH_IDLE_SECONDS"] = 0
        report = _run_periodic_job(app)  # the job engine on this read-only node cannot write either
        assert report.busy and report.applied == 0 and "read-only" in report.repaired
    finally:
        _make_writable(root, monkeypatch)
    report = _run_periodic_job(app, minutes=2)  # a writable job engine
    assert report.applied >= 1
    assert "Kiwi late lesson" in titles(search_json(client, "late")[1])
    _assert_healthy(client, 3)


def test_readers_keep_their_version_during_a_rebuild_and_old_versions_are_cleaned(app, indexed, client):
    backend = engine.backend(app)
    first = _current_version(app)
    with backend.snapshot() as before:
        _rebuild(app)
        assert before.searcher.doc_count() == 2  # still readable after the swap
    second = _current_version(app)
    _rebuild(app)
    third = _current_version(app)
    assert len({first, second, third}) == 3
    assert not first.exists() and second.exists() and third.exists()  # the previous version is kept, older go
    _assert_healthy(client, 2)


def _sqlite_path(app) -> str:
    url = app.config["DATABASE_URL"]
    assert url.startswith("sqlite:///"), url
    return url.removeprefix("sqlite:///")


def _online_copy(source: str, target: str) -> None:
    """SQLite's online backup API, as an operator's backup or restore script uses it."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


# SQLite's online backup API, as an operator's script uses it; on PostgreSQL tests/cluster/test_restore.py restores
# a pg_dump under a running node.
@pytest.mark.databases("sqlite")
def test_a_database_restored_under_a_newer_index_is_detected_and_rebuilt(app, indexed, client, people, tmp_path):
    database = _sqlite_path(app)
    backup = str(tmp_path / "backup.sqlite3")
    _online_copy(database, backup)
    publish(app, people["author"], people["reviewer"], title="Kiwi after backup", summary="kiwi")
    assert search_json(client, "kiwi")[1]["total"] == 3

    app.extensions["db_engine"].dispose()
    _online_copy(backup, database)  # restore: the item written after the backup is gone from the database
    _assert_users_see_repair(client)
    body = _health(client)
    assert body["status"] == "degraded"
    assert [problem["code"] for problem in body["search"]["problems"]] == ["ahead"]

    # Written after the restore, before the repair: committed and queued, not applied to the out-of-step index.
    publish(app, people["author"], people["reviewer"], title="Kiwi after restore", summary="kiwi")
    report = _run_periodic_job(app)
    assert report.repaired.startswith("rebuilt the index (ahead)")
    status, result = search_json(client, "kiwi")
    assert status == 200 and sorted(titles(result)) == ["Kiwi after restore", "Kiwi lesson 0", "Kiwi lesson 1"]
    _assert_healthy(client, 3)


def test_an_index_built_from_another_database_is_detected(app, indexed, client):
    with app.app_context(), session().begin():
        session().execute(update(DatabaseIdentity).values(database_id="0" * 32))
    _assert_users_see_repair(client)
    assert _health(client)["search"]["problems"][0]["code"] == "foreign"
    assert "built from another database" in _rebuild(app)
    _assert_healthy(client, 2)


def test_a_search_applies_a_bounded_batch_and_the_job_drains_the_rest(app, people, client):
    app.config.update(SEARCH_APPLY_AFTER_COMMIT=False)
    items = [publish(app, people["author"], people["reviewer"], title=f"Kiwi batch {n}", summary="kiwi")
             for n in range(6)]
    queued, _oldest = outbox_worker.backlog(app)
    assert queued >= 6
    app.config.update(SEARCH_APPLY_AFTER_COMMIT=True, SEARCH_INLINE_APPLY_LIMIT=2)
    search_json(client, "kiwi")
    assert outbox_worker.backlog(app)[0] == queued - 2  # the search applied two, no more
    app.config.update(SEARCH_APPLY_AFTER_COMMIT=False, SEARCH_IDLE_SECONDS=0)  # no traffic from here on
    report = _run_periodic_job(app)
    assert report.applied == queued - 2 and outbox_worker.backlog(app)[0] == 0
    assert {f"submission:{item.id}" for item in items} <= engine.backend(app).keys()


def test_an_index_directory_restored_from_an_older_copy_is_detected(app, indexed, client, people, tmp_path):
    root = Path(app.config["SEARCH_INDEX_DIR"])
    copy = tmp_path / "index-copy"
    shutil.copytree(root, copy)
    for n in range(2):
        publish(app, people["author"], people["reviewer"], title=f"Kiwi later {n}", summary="kiwi")
    assert search_json(client, "kiwi")[1]["total"] == 4
    shutil.rmtree(root)
    shutil.copytree(copy, root)  # the operator restored the index directory alone, from an older copy
    _new_worker()
    _assert_users_see_repair(client)
    assert [p["code"] for p in _health(client)["search"]["problems"]] == ["behind"]
    assert "Found: out of step" in _rebuild(app)
    _assert_healthy(client, 4)


def test_rebuild_on_a_read_only_directory_says_why_not_aborted(app, indexed, client, monkeypatch):
    root = Path(app.config["SEARCH_INDEX_DIR"])
    _make_read_only(root, monkeypatch)
    try:
        result = app.test_cli_runner().invoke(args=["search", "rebuild"])
    finally:
        _make_writable(root, monkeypatch)
    assert result.exit_code == 1 and "Aborted" not in result.output
    assert "Cannot rebuild" in result.output and "not writable" in result.output
    _assert_healthy(client, 2)  # the index in place was left alone


def test_a_backlog_older_than_the_stale_limit_is_reported(app, people, client):
    app.config.update(SEARCH_APPLY_AFTER_COMMIT=False, SEARCH_STALE_SECONDS=0)
    publish(app, people["author"], people["reviewer"], title="Kiwi queued", summary="kiwi")
    body = _health(client)
    assert body["status"] == "degraded" and body["search"]["status"] == "degraded"
    assert [p["code"] for p in body["search"]["problems"]] == ["backlog"]
    app.config["SEARCH_IDLE_SECONDS"] = 0
    assert _run_periodic_job(app).applied >= 1
    assert _health(client)["search"] == {"status": "ok", "problems": []}


def test_an_index_from_before_versioning_is_read_then_replaced_by_a_version(tmp_path):
    from whoosh import index as whoosh_index

    from webapp.search.backend import DocInfo, Document
    from webapp.search.whoosh.backend import WhooshBackend, build_schema

    legacy = tmp_path / "legacy-index"
    legacy.mkdir()
    writer = whoosh_index.create_in(str(legacy), build_schema()).writer()
    old = WhooshBackend(legacy)
    writer.add_document(**old._fields(Document(DocInfo("submission:1", "lesson_learnt", 0, 0, None, None), "Kiwi", "")))
    writer.commit()
    assert old.keys() == {"submission:1"}  # read where it is
    old.rebuild([Document(DocInfo("submission:2", "lesson_learnt", 0, 0, None, None), "Kiwi", "")], timeout=1.0)
    assert old.keys() == {"submission:2"} and (legacy / "CURRENT").exists()
    assert list(legacy.glob("_MAIN_*.toc"))  # kept as the previous version while searches may still read it
    old.rebuild([], timeout=1.0)
    assert old.keys() == set() and not list(legacy.glob("_MAIN_*.toc"))  # gone with the next rebuild


def test_searches_keep_answering_while_another_process_rebuilds(app, people, client):
    import subprocess
    import sys
    import time

    from webapp.config import PROJECT_ROOT

    for n in range(8):
        publish(app, people["author"], people["reviewer"], title=f"Kiwi swap {n}", summary="kiwi")
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "TEST_DATABASE_URL"}}
    env.update(FLASK_APP="wsgi", DATABASE_URL=app.config["DATABASE_URL"], REAIM_INSTANCE_PATH=app.instance_path,
               SEARCH_INDEX_DIR=app.config["SEARCH_INDEX_DIR"], PYTHONPATH=str(PROJECT_ROOT),
               SEARCH_BACKEND=app.config["SEARCH_BACKEND"])  # the rebuilding process serves the same engine
    before = _current_version(app)
    rebuild = subprocess.Popen([sys.executable, "-m", "flask", "search", "rebuild"], cwd=PROJECT_ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    answers = []
    deadline = time.monotonic() + 120
    while rebuild.poll() is None and time.monotonic() < deadline:
        status, body = search_json(client, "kiwi")
        answers.append((status, body["total"] if status == 200 else body))
    output = rebuild.communicate(timeout=60)[0]
    assert rebuild.returncode == 0, output
    assert answers and all(answer == (200, 8) for answer in answers), answers[:5]
    assert _current_version(app) != before
    _assert_healthy(client, 8)
