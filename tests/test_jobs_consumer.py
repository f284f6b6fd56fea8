"""Real consumer processes (`flask jobs run`) on SqliteHuey: one delivers what the app queues; two on separate
nodes (each its own embedded queue, one shared database) run each periodic job once per slot."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from webapp import jobs, mail
from webapp.config import PROJECT_ROOT
from webapp.db import session, unit_of_work
from webapp.models import JobRun, MailStatus, OutgoingMail


def _env(app, jobs_file: Path, smtp_port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "TEST_DATABASE_URL", "REDIS_URL"}}
    env.update(
        FLASK_APP="wsgi", DATABASE_URL=app.config["DATABASE_URL"], REAIM_INSTANCE_PATH=app.instance_path,
        SEARCH_INDEX_DIR=app.config["SEARCH_INDEX_DIR"], MAIL_OUTBOX_FILE=app.config["MAIL_OUTBOX_FILE"],
        MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port), MAIL_USE_TLS="0",
        JOBS_BACKEND="sqlite", JOBS_SQLITE_FILE=str(jobs_file), JOBS_POLL_MAX_DELAY="0.2",
    )
    return env


def _consumer(env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "jobs", "run", "--workers", "2"], cwd=PROJECT_ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=open(log, "w"))


def _stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)  # graceful: running jobs finish
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def _wait(predicate, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_real_consumer_delivers_what_the_app_queues(smtp_app, smtp_server, tmp_path):
    jobs_file = tmp_path / "jobs.sqlite3"
    smtp_app.config.update(JOBS_BACKEND="sqlite", JOBS_SQLITE_FILE=str(jobs_file))
    jobs.init_app(smtp_app)  # this process now only enqueues, into the consumer's queue
    for n in range(3):
        with smtp_app.test_request_context(), unit_of_work() as db:
            mail.queue(db, mail.Mail(to=f"reader{n}@example.org", subject=f"Event {n}", body="x"))
    with smtp_app.app_context():
        assert {row.status for row in session().scalars(select(OutgoingMail))} == {MailStatus.QUEUED}
    log = tmp_path / "consumer.log"
    consumer = _consumer(_env(smtp_app, jobs_file, smtp_server.port), log)
    try:
        smtp_server.wait_for(3, timeout=60)
        time.sleep(1.0)  # anything sent twice would arrive meanwhile
    finally:
        assert _stop(consumer) == 0, log.read_text()[-3000:]
    assert sorted(m["Subject"] for m in smtp_server.messages) == ["Event 0", "Event 1", "Event 2"]
    with smtp_app.app_context():
        assert {row.status for row in session().scalars(select(OutgoingMail))} == {MailStatus.SENT}


def test_two_consumers_on_two_nodes_run_each_periodic_job_once_per_slot(smtp_app, smtp_server, tmp_path):
    if datetime.now(timezone.utc).second > 50:  # both must schedule within the same minute
        time.sleep(61 - datetime.now(timezone.utc).second)
    logs = [tmp_path / "node-a.log", tmp_path / "node-b.log"]
    consumers = [_consumer(_env(smtp_app, tmp_path / f"jobs-{n}.sqlite3", smtp_server.port), log)
                 for n, log in enumerate(logs)]
    pattern = re.compile(r"periodic job mail\.sweep for slot (\S+): (claimed by|already claimed)")
    try:
        def both_decided():
            found = [pattern.findall(log.read_text()) for log in logs]
            return found if all(found) else None

        decisions = _wait(both_decided, timeout=60, what="both consumers to schedule mail.sweep")
    finally:
        codes = [_stop(consumer) for consumer in consumers]
    assert codes == [0, 0], [log.read_text()[-2000:] for log in logs]
    (slot_a, verdict_a), (slot_b, verdict_b) = decisions[0][0], decisions[1][0]
    assert slot_a == slot_b
    assert sorted([verdict_a, verdict_b]) == ["already claimed", "claimed by"]
    with smtp_app.app_context():
        runs = list(session().scalars(select(JobRun).where(JobRun.name == "mail.sweep", JobRun.slot == slot_a)))
    assert len(runs) == 1 and runs[0].status == "done"


def test_the_consumer_refuses_the_immediate_backend(app):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "TEST_DATABASE_URL"}}
    env.update(FLASK_APP="wsgi", DATABASE_URL=app.config["DATABASE_URL"], REAIM_INSTANCE_PATH=app.instance_path,
               JOBS_BACKEND="immediate")
    result = subprocess.run([sys.executable, "-m", "flask", "jobs", "run"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "nothing to consume" in result.stderr


@pytest.mark.parametrize("name, expected", [("mail.sweep", "mail.sweep:"), ("no.such", "No periodic job 'no.such'")])
def test_run_periodic_command(app, name, expected):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "TEST_DATABASE_URL"}}
    env.update(FLASK_APP="wsgi", DATABASE_URL=app.config["DATABASE_URL"], REAIM_INSTANCE_PATH=app.instance_path,
               MAIL_OUTBOX_FILE=app.config["MAIL_OUTBOX_FILE"])
    result = subprocess.run([sys.executable, "-m", "flask", "jobs", "run-periodic", name], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert expected in result.stdout + result.stderr


@pytest.fixture
def redis_url(tmp_path):
    """A throw-away redis-server on a free port (skipped where redis-server is not installed)."""
    import shutil

    from tests.smtp_server import free_port

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                               "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    _wait(lambda: _pings(redis, url), timeout=20, what="redis-server")
    yield url
    server.terminate()
    server.wait(timeout=10)


def _pings(redis, url) -> bool:
    try:
        return redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        return False


def test_a_real_consumer_on_redis_delivers_what_another_node_queues(smtp_app, smtp_server, tmp_path, redis_url):
    smtp_app.config.update(JOBS_BACKEND="redis", REDIS_URL=redis_url)
    jobs.init_app(smtp_app)
    with smtp_app.test_request_context(), unit_of_work() as db:
        mail.queue(db, mail.Mail(to="anna@example.org", subject="Over Redis", body="x"))
    env = {**_env(smtp_app, tmp_path / "unused.sqlite3", smtp_server.port), "JOBS_BACKEND": "redis",
           "REDIS_URL": redis_url}
    log = tmp_path / "consumer.log"
    consumer = _consumer(env, log)
    try:
        smtp_server.wait_for(1, timeout=60)
        time.sleep(0.5)
    finally:
        assert _stop(consumer) == 0, log.read_text()[-3000:]
    assert [m["Subject"] for m in smtp_server.messages] == ["Over Redis"]
