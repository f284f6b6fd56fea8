"""gunicorn -w 4 with concurrent writers and readers: no 500, no lock error, and once the writes stop (and the
outbox is applied) the index matches the database exactly.

Writers are separate processes that change content through the app's services (each commit applies the outbox
after commit, contending for the index lock with each other and with the gunicorn workers' catch-up); readers
hit the four gunicorn workers over HTTP.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
RUN_SECONDS = 8.0

SETUP = textwrap.dedent("""
    from alembic import command
    from webapp import create_app
    from webapp.cli import alembic_config
    from webapp.db import unit_of_work
    from webapp.models import Organisation, Tier, User
    from webapp.models.user import AccountStatus
    from webapp.services import seeding
    app = create_app()
    with app.app_context():
        command.upgrade(alembic_config(), "head")
        seeding.load_reference_data()
    with app.test_request_context(), unit_of_work() as db:
        org = Organisation(name="Writers", stakeholder_type_code="state", country="NL", verified=True)
        db.add(org)
        db.flush()
        for n in range(3):
            db.add(User(name=f"Writer {n}", email=f"writer{n}@example.org", password_hash="x", organisation_id=org.id,
                        status=AccountStatus.ACTIVE, clearance=Tier.RESTRICTED, is_facilitator=(n == 2)))
""")

WRITER = textwrap.dedent("""
    import random, sys, time
    from tests.archive_helpers import lesson_data
    from webapp import create_app, policy
    from webapp.db import session
    from webapp.models import User
    from webapp.services import ServiceError
    from webapp.services.submission_workflow import publish_submission, submit_submission, withdraw_submission
    from webapp.services.submissions import change_submission_tier, create_submission, update_submission
    number, seconds = int(sys.argv[1]), float(sys.argv[2])
    app = create_app()
    rng = random.Random(number)
    def viewer(email):
        with app.test_request_context():
            return policy.viewer_for(session().query(User).filter_by(email=email).one(), session())
    author, reviewer = viewer(f"writer{number}@example.org"), viewer("writer2@example.org")
    made, done, deadline = [], 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        with app.test_request_context():
            try:
                action = rng.random()
                if action < 0.5 or not made:
                    item = create_submission(author, "lesson_learnt", lesson_data(
                        title=f"Concurrent lesson w{number}n{done}", summary=f"wombatconcurrency writer{number} item{done}"))
                    submit_submission(author, item.id)
                    publish_submission(reviewer, item.id)
                    made.append(item.id)
                elif action < 0.7:
                    item_id = rng.choice(made)
                    update_submission(author, item_id, lesson_data(title=f"Edited lesson w{number}n{done}",
                                      summary=f"wombatconcurrency edited{done}"))
                elif action < 0.9:
                    change_submission_tier(author, rng.choice(made), tier=rng.choice(["public", "community", "restricted"]),
                                           sharing_group_id=None, confirm=True)
                else:
                    withdraw_submission(author, made.pop(rng.randrange(len(made))))
            except ServiceError:
                pass  # e.g. an unchanged tier; what matters here is the index
        done += 1
    print(done, flush=True)
""")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_gunicorn_four_workers_concurrent_writers_and_readers(tmp_path):
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", SEARCH_INDEX_DIR=str(tmp_path / "index"),
               REAIM_INSTANCE_PATH=str(tmp_path / "instance"), SECRET_KEY="concurrency-test", RATELIMIT_ENABLED="0",
               SESSION_COOKIE_SECURE="0", PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", SETUP], env=env, cwd=ROOT, check=True, timeout=120)
    port = _free_port()
    log = open(tmp_path / "gunicorn.log", "w")
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", "4", "-b", f"127.0.0.1:{port}",
                               "--timeout", "60", "wsgi:app"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if _get(base + "/api/health/search")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(n), str(RUN_SECONDS)], env=env, cwd=ROOT,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(2)]
        statuses: list[int] = []
        stop = time.monotonic() + RUN_SECONDS

        def reader(n: int) -> None:
            queries = ["wombatconcurrency", "concurrent lesson", "edited", '"wombatconcurrency writer0"', "lesson*"]
            i = 0
            while time.monotonic() < stop:
                q = urllib.parse.urlencode({"q": queries[(i + n) % len(queries)], "page": 1 + i % 2})
                statuses.append(_get(f"{base}/api/search?{q}")[0])
                i += 1

        threads = [threading.Thread(target=reader, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        outputs = [writer.communicate(timeout=120) for writer in writers]
        for writer, (out, err) in zip(writers, outputs):
            assert writer.returncode == 0, err[-3000:]
            assert "Traceback" not in err, err[-3000:]
            assert int(out.strip()) > 5
        assert statuses and set(statuses) == {200}, sorted(set(statuses))

        # Writes stopped: apply whatever is still queued, then the index must equal the database.
        apply = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "search", "apply"],
                               env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert apply.returncode == 0, apply.stdout + apply.stderr
        check = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "search", "reconcile",
                                "--dry-run"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert check.returncode == 0 and "No drift." in check.stdout, check.stdout + check.stderr
        status, health = _get(base + "/api/health/search")
        assert status == 200 and health["outbox_backlog"] == 0 and health["documents"] > 10
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    text = (tmp_path / "gunicorn.log").read_text()
    assert "Traceback" not in text and "LockError" not in text and "locked" not in text.lower(), text[-4000:]
