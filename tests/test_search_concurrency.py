"""gunicorn -w 4 with concurrent writers and readers, all over HTTP: no 500, no lock error, every tier change,
hiding, withdrawal, deletion or move takes effect in search on the very next request — in whichever worker serves
it — and once the writes stop (and the outbox is applied) the index matches the database exactly.

Writers are signed-in clients posting the real forms (create, submit, publish, edit and re-tier submissions; post
and edit posts in a thread); every commit applies the outbox in the worker that served it, so the four workers
contend for the index lock with each other and with their searches. The access log records which worker (pid)
served each request, so the freshness checks prove a change made through one worker is seen by another.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.archive_helpers import lesson_data

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RUN_SECONDS = 10.0
ITERATIONS = 6  # per writer: bounded by count and by time
PASSWORD = "a long enough test password 42"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_last_step: dict[str, int] = {}
# Two writer threads sign the same reviewer in at once: without the lock both could take the same step, and the
# server rightly refuses the second as a replay (a 401 that failed a CI rehearsal).
_last_step_lock = threading.Lock()


def _fresh_code(email: str) -> str:
    """A TOTP code of a step not yet used by this account (the server refuses a replayed step). The servers here
    are gunicorn processes on real time, so this waits for a fresh step rather than moving a test clock."""
    import pyotp

    while True:
        now = int(time.time() // 30)
        with _last_step_lock:
            for step in (now, now + 1):
                if step > _last_step.get(email, -1):
                    _last_step[email] = step
                    return pyotp.TOTP(TOTP_SECRET).generate_otp(step)
        time.sleep(1)

SETUP = textwrap.dedent("""
    import json, sys
    from datetime import timedelta
    from alembic import command
    from tests.archive_helpers import lesson_data
    from webapp import create_app, policy
    from webapp.cli import alembic_config
    from webapp.db import session, unit_of_work
    from webapp.models import Organisation, Tier, User, utcnow
    from webapp.models.user import AccountStatus
    from webapp.services import dialogue_posts, dialogue_rounds, passwords, seeding
    from webapp.services.submission_workflow import publish_submission, submit_submission
    from webapp.services.submissions import create_submission
    app = create_app()
    with app.app_context():
        command.upgrade(alembic_config(), "head")
        seeding.load_reference_data()
    people = {"author0": "restricted", "author1": "restricted", "facilitator": "restricted", "reader": "community",
              "monitor": "community"}
    with app.test_request_context(), unit_of_work() as db:
        org = Organisation(name="Writers", stakeholder_type_code="state", country="NL", verified=True)
        db.add(org)
        db.flush()
        for name, clearance in people.items():
            # Enrolled second factors: cleared accounts, facilitators and admins read and act as such only then.
            db.add(User(name=name, email=f"{name}@example.org", password_hash=passwords.hash_password(sys.argv[1]),
                        organisation_id=org.id, status=AccountStatus.ACTIVE, clearance=Tier.from_code(clearance),
                        is_facilitator=(name == "facilitator"), is_admin=(name == "monitor"),
                        totp_secret=sys.argv[2], second_factor_enrolled_at=utcnow()))
    def viewer(name):
        with app.test_request_context():
            return policy.viewer_for(session().query(User).filter_by(email=f"{name}@example.org").one(), session())
    ids = {"users": {}}
    with app.test_request_context():
        ids["users"] = {name: viewer(name).user_id for name in people}
        now = utcnow()
        rounds = {}
        for key, tier in (("open_round", Tier.COMMUNITY), ("vault_round", Tier.RESTRICTED)):
            rounds[key] = dialogue_rounds.create_round(
                viewer("facilitator"), title=f"{key} heron", questions_source="What worked?", paragraphs=[14],
                tier=tier, opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=7)).id
        ids.update(rounds)
        def thread(author, title, body):
            return dialogue_posts.create_thread(viewer(author), title=title, body_source=body,
                                                round_id=rounds["open_round"]).id
        ids["busy_thread"] = thread("author0", "Busy thread", "opening post")
        ids["moved_thread"] = thread("author0", "Ploverfresh thread", "ploverfresh opening")
        hide_thread = thread("author1", "Other thread", "another opening")
        ids["hidden_post"] = dialogue_posts.create_post(viewer("author1"), hide_thread, body_source="grebefresh remark").id
        ids["deleted_post"] = dialogue_posts.create_post(viewer("author0"), hide_thread, body_source="avocetfresh remark").id
        for key, word, tier in (("raised_item", "kestrelfresh", "public"), ("withdrawn_item", "ptarmiganfresh", "public"),
                                ("lowered_item", "merlinfresh", "restricted")):
            item = create_submission(viewer("author0"), "lesson_learnt",
                                     lesson_data(title=f"{word} lesson", summary=word, tier=tier))
            submit_submission(viewer("author0"), item.id)
            ids[key] = publish_submission(viewer("facilitator"), item.id).id
    print(json.dumps(ids))
""")

_TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
LOCK_ERRORS = (b"LockError", b"IndexBusy", b"database is locked", b"Traceback")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _form(data: dict) -> dict:
    posted = {k: ("" if v is None else v) for k, v in data.items() if k != "paragraphs"}
    posted["paragraphs"] = [str(n) for n in data.get("paragraphs", [])]
    return posted


class Browser:
    """A signed-in HTTP client with its own cookies; a new connection per request (so workers take turns)."""

    def __init__(self, port: int):
        self.port, self.cookies, self.token = port, {}, ""
        self.lock = threading.Lock()

    def request(self, method: str, path: str, data: dict | None = None, probe: str = "-") -> tuple[int, bytes]:
        headers = {"X-Probe": probe}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrf_token": self.token}, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            self.location = response.headers.get("Location", "")
            return response.status, payload
        finally:
            connection.close()

    def sign_in(self, email: str) -> "Browser":
        _status, page = self.request("GET", "/sign-in")
        self.token = _TOKEN.search(page.decode()).group(1)
        status, _ = self.request("POST", "/sign-in", {"email": email, "password": PASSWORD})
        assert status == 302, status
        if "/sign-in/second-factor" in self.location:  # the code step, answered as the person's phone would
            _status, page = self.request("GET", urllib.parse.urlsplit(self.location).path)
            self.token = _TOKEN.search(page.decode()).group(1)
            status, _ = self.request("POST", "/sign-in/second-factor", {"code": _fresh_code(email)})
            assert status == 302, status
        _status, page = self.request("GET", "/account")
        self.token = _TOKEN.search(page.decode()).group(1)
        return self

    def search(self, q: str, probe: str = "-") -> tuple[int, dict | bytes]:
        status, payload = self.request("GET", "/api/search?" + urllib.parse.urlencode({"q": q}), probe=probe)
        return status, (json.loads(payload) if status in (200, 400) else payload)


def _served_by(access_log: Path) -> dict[str, set[str]]:
    """probe → pids of the workers that served requests carrying it."""
    served: dict[str, set[str]] = {}
    for line in access_log.read_text().splitlines():
        pid, _, probe = line.partition(" ")
        served.setdefault(probe.strip(), set()).add(pid)
    return served


@pytest.fixture
def server(tmp_path):
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", SEARCH_INDEX_DIR=str(tmp_path / "index"),
               REAIM_INSTANCE_PATH=str(tmp_path / "instance"), SECRET_KEY="concurrency-test", RATELIMIT_ENABLED="0",
               SESSION_COOKIE_SECURE="0", PYTHONPATH=str(ROOT))
    setup = subprocess.run([sys.executable, "-c", SETUP, PASSWORD, TOTP_SECRET], env=env, cwd=ROOT, capture_output=True, text=True,
                           timeout=120)
    assert setup.returncode == 0, setup.stderr[-3000:]
    ids = json.loads(setup.stdout.strip().splitlines()[-1])
    port = _free_port()
    error_log, access_log = tmp_path / "gunicorn.log", tmp_path / "access.log"
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "4", "-b", f"127.0.0.1:{port}", "--timeout", "60",
         "--error-logfile", str(error_log), "--access-logfile", str(access_log),
         "--access-logformat", "%(p)s %({x-probe}i)s", "wsgi:app"],
        env=env, cwd=ROOT,
    )
    try:
        for _ in range(150):
            try:
                if Browser(port).request("GET", "/api/health/search")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        yield {"port": port, "env": env, "ids": ids, "error_log": error_log, "access_log": access_log}
    finally:
        process.terminate()
        process.wait(timeout=30)


def _write(results: list, browser: Browser, method: str, path: str, data: dict | None = None) -> str:
    status, payload = browser.request(method, path, data)
    results.append((status, path, payload[:300]))
    return browser.location


def _archive_writer(port: int, n: int, deadline: float, results: list) -> None:
    author = Browser(port).sign_in(f"author{n}@example.org")
    reviewer = Browser(port).sign_in("facilitator@example.org")
    made: list[int] = []
    for i in range(ITERATIONS):
        if time.monotonic() > deadline:
            break
        if i % 3 != 2 or not made:
            data = _form(lesson_data(title=f"Concurrent lesson w{n} i{i}", summary=f"wombatconcurrency w{n} i{i}"))
            location = _write(results, author, "POST", "/archive/new/lesson_learnt", data)
            item_id = int(location.rstrip("/").rsplit("/", 1)[-1])
            _write(results, author, "POST", f"/archive/{item_id}/submit", {})
            _write(results, reviewer, "POST", f"/archive/{item_id}/publish", {})
            made.append(item_id)
        else:
            item_id = made[i % len(made)]
            data = _form(lesson_data(title=f"Edited lesson w{n} i{i}", summary=f"wombatconcurrency edited w{n} i{i}"))
            _write(results, author, "POST", f"/archive/{item_id}/edit", data)
            _write(results, author, "POST", f"/archive/{item_id}/tier",
                   {"tier": "community" if i % 2 else "restricted", "sharing_group_id": "", "confirm": "y"})


def _dialogue_writer(port: int, thread_id: int, deadline: float, results: list) -> None:
    author = Browser(port).sign_in("author1@example.org")
    for i in range(ITERATIONS * 2):
        if time.monotonic() > deadline:
            break
        location = _write(results, author, "POST", f"/dialogue/threads/{thread_id}/posts",
                          {"body": f"wombatconcurrency reply {i}", "parent_id": "", "quote_id": ""})
        post_id = int(location.rsplit("post-", 1)[-1])
        if i % 2:
            _write(results, author, "POST", f"/dialogue/posts/{post_id}/edit", {"body": f"wombatconcurrency edit {i}"})


def _reader(port: int, deadline: float, results: list, n: int) -> None:
    reader = Browser(port).sign_in("reader@example.org")
    queries = ["wombatconcurrency", "concurrent lesson", "edited", '"wombatconcurrency reply"', "lesson*"]
    i = 0
    while time.monotonic() < deadline:
        q = urllib.parse.urlencode({"q": queries[(i + n) % len(queries)], "page": 1 + i % 2})
        path = f"/api/search?{q}" if i % 3 else f"/search?{q}"
        status, payload = reader.request("GET", path)
        results.append((status, path, payload))
        i += 1


def _concurrent_writes_and_reads(server) -> None:
    port, ids = server["port"], server["ids"]
    writes: list = []
    reads: list = []
    deadline = time.monotonic() + RUN_SECONDS
    workers = [threading.Thread(target=_archive_writer, args=(port, n, deadline, writes)) for n in range(2)]
    workers.append(threading.Thread(target=_dialogue_writer, args=(port, ids["busy_thread"], deadline, writes)))
    workers += [threading.Thread(target=_reader, args=(port, deadline, reads, n)) for n in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert len(writes) > 10 and len(reads) > 10, (len(writes), len(reads))
    refused = [(status, path, body) for status, path, body in writes if status != 302]
    assert not refused, refused[:5]  # every form was accepted: no 500, no 4xx, no lock error
    assert {status for status, _path, _body in reads} == {200}, [r[:2] for r in reads if r[0] != 200][:5]
    for _status, path, body in reads:
        assert not any(marker in body for marker in LOCK_ERRORS), (path, body[:500])


# Each change but the last narrows who may read one thing: a community reader must stop finding it on the very next
# request. The last widens it (a declassification): the reader must find it on the very next request.
CHANGES = [
    ("tier_raised", "kestrelfresh", "author0", "POST", "/archive/{raised_item}/tier",
     {"tier": "restricted", "sharing_group_id": "", "confirm": ""}),
    ("post_hidden", "grebefresh", "facilitator", "POST", "/moderation/posts/{hidden_post}/hide", {"reason": "off topic"}),
    ("withdrawn", "ptarmiganfresh", "author0", "POST", "/archive/{withdrawn_item}/withdraw", {}),
    ("post_deleted", "avocetfresh", "author0", "POST", "/dialogue/posts/{deleted_post}/delete", {}),
    ("thread_moved", "ploverfresh", "facilitator", "POST", "/moderation/threads/{moved_thread}/move",
     {"target": "{vault_round}", "reason": "belongs in the vault"}),
    ("tier_lowered", "merlinfresh", "author0", "POST", "/archive/{lowered_item}/tier",
     {"tier": "community", "sharing_group_id": "", "confirm": "y"}),
]
WIDENING = {"tier_lowered"}


def _batch(port: int, reader: Browser, q: str, probe: str, size: int = 8) -> list[tuple[int, dict]]:
    """`size` concurrent searches (new connections), so several workers serve them."""
    with ThreadPoolExecutor(size) as pool:
        return list(pool.map(lambda _n: reader.search(q, probe), range(size)))


def _changes_take_effect_in_every_worker(server) -> None:
    port, ids, access_log = server["port"], server["ids"], server["access_log"]
    reader = Browser(port).sign_in("reader@example.org")
    actors = {name: Browser(port).sign_in(f"{name}@example.org") for name in ("author0", "facilitator")}
    for name, word, actor, method, path, data in CHANGES:
        widening = name in WIDENING
        before = _batch(port, reader, word, f"before-{name}")  # every worker has searched for it already
        assert all(status == 200 and (body["total"] == 0) == widening for status, body in before), (name, before[:2])
        form = {key: value.format(**ids) for key, value in data.items()}
        status, payload = actors[actor].request(method, path.format(**ids), form, probe=f"write-{name}")
        assert status == 302, (name, status, payload[:500])
        for attempt in range(10):
            probe = f"after-{name}-{attempt}"
            after = _batch(port, reader, word, probe)
            assert all(status == 200 and body["total"] == len(body["results"]) == int(widening)
                       for status, body in after), (name, after[:2])
            time.sleep(0.3)  # a worker writes its access-log line just after sending the response
            served = _served_by(access_log)
            if served.get(probe, set()) - served[f"write-{name}"]:
                break  # a worker other than the one that made the change answered as it should
        else:
            pytest.fail(f"{name}: no other worker served the searches after the change")
    author = actors["author0"]
    assert author.search("kestrelfresh")[1]["total"] == 1  # not vacuous: the raised item is still there for its author


def test_gunicorn_four_workers_http_writers_readers_freshness_and_no_drift(server):
    _concurrent_writes_and_reads(server)
    _changes_take_effect_in_every_worker(server)

    # Writes stopped: apply whatever is still queued, then the index must equal the database.
    env = server["env"]
    apply = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "search", "apply"], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert apply.returncode == 0, apply.stdout + apply.stderr
    check = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "search", "reconcile", "--dry-run"], env=env,
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0 and "No drift." in check.stdout, check.stdout + check.stderr
    # Whole-index figures are for admins only (issue 8, defect 9), whatever the client address.
    status, payload = Browser(server["port"]).sign_in("monitor@example.org").request("GET", "/api/health/search")
    health = json.loads(payload)
    assert status == 200 and health["outbox_backlog"] == 0 and health["documents"] > 10
    text = server["error_log"].read_text()
    assert "Traceback" not in text and "LockError" not in text and "locked" not in text.lower(), text[-4000:]
