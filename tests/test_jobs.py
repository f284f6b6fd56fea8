"""The job engine: backends by configuration, jobs inside an app context, and each periodic job once per slot even
when several consumers (on several nodes) schedule it; a failed slot is retried, then visibly failed."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import select

from webapp import create_app, jobs, mail
from webapp.db import session, unit_of_work
from webapp.jobs import engine, schedule
from webapp.models import JobRun, MailStatus, OutgoingMail, SearchOutboxEntry, utcnow
from webapp.search import engine as search_engine

MINUTE = datetime(2026, 12, 1, 10, 5)  # what a consumer's scheduler passes: naive UTC


def _runs(app) -> list[tuple[str, str, str, int, str]]:
    with app.app_context():
        rows = session().scalars(select(JobRun).order_by(JobRun.id))
        return [(r.name, r.slot, r.status, r.attempts, r.error) for r in rows]


@pytest.fixture
def counting_job(monkeypatch):
    """A periodic job that counts its runs (and fails while `failures` is above zero)."""
    state = {"runs": 0, "failures": 0}

    def run(_app):
        state["runs"] += 1
        if state["failures"]:
            state["failures"] -= 1
            raise RuntimeError("the digest service is down")
        return "ok"

    job = schedule.PeriodicJob("test.count", "*/5 * * * *", timedelta(minutes=5), run)
    monkeypatch.setattr(schedule, "PERIODIC_JOBS", (job,))
    return state


def _node(app, tmp_path, name: str):
    """A Huey of its own (its own embedded SQLite queue, as on a separate node) over the shared database."""
    app.config.update(JOBS_BACKEND="sqlite", JOBS_SQLITE_FILE=str(tmp_path / f"{name}.sqlite3"))
    return engine.build(app)


def _scheduled(huey, moment: datetime):
    return [task for task in huey.read_periodic(moment) if type(task).__name__ == "test.count"]


def test_two_nodes_scheduling_the_same_slot_run_it_once(app, tmp_path, counting_job):
    first, second = _node(app, tmp_path, "node-a"), _node(app, tmp_path, "node-b")
    for huey, moment in ((first, MINUTE + timedelta(seconds=3)), (second, MINUTE + timedelta(seconds=41))):
        [task] = _scheduled(huey, moment)
        assert task.kwargs == {"scheduled_for": "2026-12-01T10:05:00"}
        huey.execute(task)
    assert counting_job["runs"] == 1
    assert _runs(app) == [("test.count", "2026-12-01T10:05", "done", 1, "")]
    assert _scheduled(first, MINUTE + timedelta(minutes=2)) == []  # the cron line: every fifth minute
    [later] = _scheduled(second, MINUTE + timedelta(minutes=5))
    second.execute(later)
    assert counting_job["runs"] == 2 and [run[1] for run in _runs(app)] == ["2026-12-01T10:05", "2026-12-01T10:10"]


def test_a_failed_slot_is_retried_by_the_engine_then_done_once(app, tmp_path, counting_job):
    counting_job["failures"] = 1
    first, second = _node(app, tmp_path, "node-a"), _node(app, tmp_path, "node-b")
    [task] = _scheduled(first, MINUTE)
    first.execute(task)  # fails; Huey keeps a retry of it (retries=2)
    assert _runs(app) == [("test.count", "2026-12-01T10:05", "failed", 1, "RuntimeError('the digest service is down')")]
    assert first.scheduled_count() == 1
    [retry] = first.scheduled()
    assert retry.kwargs == {"scheduled_for": "2026-12-01T10:05:00"} and retry.retries == 1
    first.execute(retry, timestamp=retry.eta)  # the retry takes over its own failed slot
    [other] = _scheduled(second, MINUTE)
    second.execute(other)  # another node, the same slot, now done: skipped
    assert counting_job["runs"] == 2
    assert _runs(app) == [("test.count", "2026-12-01T10:05", "done", 2, "")]


def test_slots_are_the_periods_jobs_cover():
    def slot(period, moment):
        return schedule.PeriodicJob("x", "* * * * *", period, lambda _app: None).slot_for(moment)

    moment = datetime(2026, 12, 3, 17, 42, 59, tzinfo=timezone.utc)  # a Thursday
    assert slot(timedelta(minutes=1), moment) == "2026-12-03T17:42"
    assert slot(timedelta(minutes=5), moment) == "2026-12-03T17:40"
    assert slot(timedelta(hours=1), moment.replace(tzinfo=None)) == "2026-12-03T17:00"
    assert slot(timedelta(days=1), moment) == "2026-12-03T00:00"
    assert slot(timedelta(weeks=1), moment) == "2026-11-30T00:00"  # calendar weeks start on Monday


@pytest.mark.parametrize("cron", ["* * * *", "61 * * * *", "every minute please"])
def test_a_malformed_cron_line_is_refused(cron):
    with pytest.raises(ValueError):
        schedule.PeriodicJob("x", cron, timedelta(minutes=1), lambda _app: None).crontab()


def test_every_declared_periodic_job_has_a_valid_schedule():
    assert {job.name for job in schedule.PERIODIC_JOBS} >= {"mail.sweep", "search.drain_outbox"}
    for job in schedule.PERIODIC_JOBS:
        assert job.crontab()(MINUTE) in (True, False)
    with pytest.raises(KeyError):
        schedule.periodic_job("no.such.job")


def test_backends_follow_the_configuration(tmp_path, monkeypatch):
    def storage(**config):
        return jobs.huey_for(create_app({"DATABASE_URL": "sqlite://", "INSTANCE_PATH": str(tmp_path), **config})).storage

    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("JOBS_BACKEND", raising=False)
    embedded = storage()
    assert isinstance(embedded, SqliteStorage) and embedded.filename == str(tmp_path / "jobs.sqlite3")
    assert isinstance(storage(JOBS_BACKEND="redis", REDIS_URL="redis://127.0.0.1:6399/3"), RedisStorage)
    assert isinstance(storage(JOBS_BACKEND="immediate"), MemoryStorage)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6399/3")
    assert isinstance(storage(), RedisStorage)  # several nodes: a shared queue by default
    with pytest.raises(ValueError, match="JOBS_BACKEND must be one of"):
        storage(JOBS_BACKEND="celery")
    with pytest.raises(ValueError, match="needs REDIS_URL"):
        storage(JOBS_BACKEND="redis", REDIS_URL="")


def test_an_on_demand_job_runs_inside_an_app_context_and_unknown_jobs_are_refused(smtp_app, smtp_server, monkeypatch):
    monkeypatch.setattr(jobs, "enqueue", lambda *_a, **_k: None)
    with smtp_app.test_request_context(), unit_of_work() as db:
        mail_id = mail.queue(db, mail.Mail(to="anna@example.org", subject="Later", body="x"))
    monkeypatch.undo()
    jobs.enqueue(smtp_app, "mail.deliver", [mail_id])  # no app context here: the job pushes its own
    assert [m["Subject"] for m in smtp_server.wait_for(1)] == ["Later"]
    with smtp_app.app_context():
        assert session().get(OutgoingMail, mail_id).status is MailStatus.SENT
    with pytest.raises(KeyError, match="no on-demand job 'mail.teleport'"):
        jobs.enqueue(smtp_app, "mail.teleport", [mail_id])


def test_a_queue_that_cannot_be_reached_fails_no_action(app, monkeypatch):
    def unreachable(*_args, **_kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(jobs, "enqueue", unreachable)
    with app.test_request_context(), unit_of_work() as db:
        mail_id = mail.queue(db, mail.Mail(to="anna@example.org", subject="Kept", body="x"))
    with app.app_context():
        assert session().get(OutgoingMail, mail_id).status is MailStatus.QUEUED  # committed; the sweep sends it


def test_the_search_outbox_is_drained_by_the_engine_once_idle(app, make_user):
    from tests.search_helpers import publish

    author, reviewer = make_user(clearance="restricted"), make_user(clearance="restricted", roles=("facilitator",))
    item = publish(app, author, reviewer, title="Quokka trials", summary="quokka")  # after-commit indexing is off
    with app.app_context():
        assert session().scalar(select(SearchOutboxEntry.id).limit(1)) is not None
    drain = schedule.periodic_job("search.drain_outbox")
    from webapp.jobs import claims

    app.config["SEARCH_IDLE_SECONDS"] = 3600
    assert claims.run_once(app, drain, utcnow()).applied == 0  # fresh entries are the request's to apply
    assert f"submission:{item.id}" not in search_engine.backend(app).keys()
    app.config["SEARCH_IDLE_SECONDS"] = 0
    report = claims.run_once(app, drain, utcnow() + timedelta(minutes=1))
    assert report.applied >= 1 and not report.failed
    assert f"submission:{item.id}" in search_engine.backend(app).keys()
    with app.app_context():
        assert session().scalar(select(SearchOutboxEntry.id).limit(1)) is None
