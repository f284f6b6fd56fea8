"""Pages against a minimal page: server CPU per request of each page, served as users get it (gunicorn, 2 sync
workers), side by side with a minimal Flask + SQLAlchemy + Jinja app showing the same rows (issue 15).

Builds (or reuses: cached on disk by its parameters) an archive of --items submissions of realistic length
(bench/archive.py's organisations, stakeholder types, countries, tiers, groups and Call paragraphs, with
bench/search.py's Zipf-distributed prose), two dialogue threads (20 and 500 posts, written through the services),
and the real search index (Whoosh on SQLite, PostgreSQL full-text search on PostgreSQL). Then serves the app
(gunicorn -c python:webapp.gunicorn_conf --workers 2, as `make run` does, without the access log) and beside it
bench/reference/minimal_app.py (gunicorn, 2 sync workers), and loads each page with wrk, the app's then the
reference's, page after page, for --rounds rounds; anonymous and as a signed-in member (restricted clearance,
second factor, signed in through the real forms).

CPU per request = the utime + stime the server's workers spent during one wrk run (/proc/<pid>/stat) ÷ the
requests served, so the load the shared machine carries besides does not count. On PostgreSQL that is
the workers' CPU only: what the database server's processes spend is not in the figures. Per page and audience:
  <page>_<audience>_cpu_ms_per_request   median over rounds
  <page>_<audience>_ratio_to_minimal     median over rounds of app ÷ reference measured right after it:
                                         the 20-row minimal list for the list and item pages, the first
                                         --thread-page-size posts of the same thread for threads, and for search
                                         the 20-row list too (the "every page within 3×" target)
  search_<audience>_ratio_to_reference   search ÷ the search reference doing the same work: on SQLite, SQLite FTS5
                                         over the same items (same words, bm25, the reader's tier, top 20 with
                                         snippets, facet counts by kind, stakeholder type, country, stage and
                                         paragraph over every readable hit); on PostgreSQL, one bare full-text
                                         statement of the same shape over the app's search_documents table.
                                         Left out of the reference: sessions, the policy layer (groups,
                                         organisation, drafts: the FTS5 reference reads the published and
                                         archived items outside any group, the PostgreSQL one every submission
                                         document outside any group, drafts included), the spelling suggestion,
                                         dialogue posts, the layout. The query ("human oversight") matches about
                                         half of the items: facets count thousands of hits
  <page>_<audience>_req_per_s            wrk's requests per second (the machine's other load counts here)
and worker_rss_mib (largest app worker after the runs) against minimal_worker_rss_mib.

Usage: .venv/bin/python bench/pages.py [--items 20000] [--engine sqlite|postgres] [--rounds 3] [--duration 5]
       [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/reaim_bench_pages] [--quick]
Needs Debian's wrk (make bench-deps).
"""
from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUILD_VERSION = 1  # bump when the built data changes: cached builds of another version are rebuilt
SEARCH_QUERY = "human oversight"
MEMBER_CLEARANCE = 2  # bench/archive.py's reader: restricted clearance, second factor enrolled, in no group
CLOCK_TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def say(message: str) -> None:
    """Progress on stderr (the figures go to stdout)."""
    print(f"[{datetime.now(timezone.utc):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def parse_options(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/reaim_bench_pages"),
        help="the database to build in (created if missing; its schema is replaced when the cache does not match)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=2, help="wrk connections (one per worker)")
    parser.add_argument("--thread-posts", default="20,500", help="the two threads' post counts")
    parser.add_argument("--thread-page-size", type=int, default=20,
                        help="posts the reference shows for a thread page (the app's thread page size)")
    parser.add_argument("--cache-dir", type=Path,
                        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "reaim-bench-pages")
    parser.add_argument("--rebuild", action="store_true", help="build even if a cached build matches")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke test: 300 items, threads of 20 and 40 posts, 1 round of 1 s runs")
    options = parser.parse_args(argv)
    if options.quick:
        options.items, options.rounds, options.duration, options.thread_posts = 300, 1, 1.0, "20,40"
    options.posts = tuple(int(part) for part in options.thread_posts.split(","))
    if len(options.posts) != 2 or min(options.posts) < 2:
        parser.error("--thread-posts: two post counts, each at least 2")
    if options.engine == "postgres" and not options.postgres_url.startswith("postgresql"):
        parser.error("--postgres-url must be a PostgreSQL URL")
    return options


# ---------------------------------------------------------------------------------------------------- building


def _alembic_head() -> str:
    from alembic.script import ScriptDirectory

    return "+".join(sorted(ScriptDirectory(str(ROOT / "migrations")).get_heads()))


def build_folder(options) -> Path:
    """The cache folder of these parameters (and of this schema and build version)."""
    key = json.dumps([BUILD_VERSION, options.engine, options.items, options.posts, _alembic_head(),
                      options.postgres_url if options.engine == "postgres" else ""])
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return options.cache_dir / f"{options.engine}-{options.items}-{digest}"


def database_url(options, folder: Path) -> str:
    return options.postgres_url if options.engine == "postgres" else f"sqlite:///{folder / 'bench.sqlite3'}"


def _app_config(url: str, folder: Path) -> dict:
    return {"DATABASE_URL": url, "INSTANCE_PATH": str(folder / "instance"), "SEARCH_INDEX_DIR": str(folder / "index"),
            "MAIL_OUTBOX_FILE": str(folder / "instance" / "mail.log"), "RATELIMIT_ENABLED": False,
            "SESSION_COOKIE_SECURE": False, "SEARCH_APPLY_AFTER_COMMIT": False}


def cached_facts(options, folder: Path) -> dict | None:
    """The facts of a finished build of these parameters whose database still holds it, else None."""
    marker = folder / "facts.json"
    if options.rebuild or not marker.exists():
        return None
    facts = json.loads(marker.read_text())
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url(options, folder))
    try:
        with engine.connect() as conn:
            items = conn.execute(text("SELECT count(*) FROM submissions")).scalar()
            stamp = conn.execute(text("SELECT value FROM bench_pages_build")).scalar()
    except Exception:  # noqa: BLE001 - a missing or changed database: build again
        return None
    finally:
        engine.dispose()
    return facts if items == options.items and stamp == facts["stamp"] else None


def _fresh_postgres(url: str) -> None:
    """Create the database if missing, and give it an empty public schema."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}).scalar():
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    server.dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def build(options, folder: Path) -> dict:
    """Items, threads and the search index in a fresh database; returns what the measurements need."""
    from alembic import command
    from argon2 import PasswordHasher
    from sqlalchemy import select, text

    from bench import archive, search
    from webapp import create_app
    from webapp.cli import alembic_config
    from webapp.search import maintenance
    from webapp.services import passwords

    if folder.exists():
        shutil.rmtree(folder)
    (folder / "instance").mkdir(parents=True)
    url = database_url(options, folder)
    if options.engine == "postgres":
        _fresh_postgres(url)
    # The bench accounts' hashes are cheap to verify; the app verifies with the parameters stored in the hash.
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    app = create_app(_app_config(url, folder))
    with app.app_context():
        command.upgrade(alembic_config(), "head")
    started = time.perf_counter()
    say(f"building {options.items} items in {url}")
    facts = archive.build(app, options.items, paragraph=search.paragraph,
                          bodies_pool=30 if options.items < 5000 else 600)
    engine = app.extensions["db_engine"]
    with engine.begin() as conn:
        if options.engine == "postgres":  # archive.build inserts explicit ids
            conn.execute(text("SELECT setval(pg_get_serial_sequence('submissions', 'id'), (SELECT max(id) FROM submissions))"))
        public_item = conn.execute(text(
            "SELECT id FROM submissions WHERE status = 'published' AND tier = 0 AND sharing_group_id IS NULL "
            "ORDER BY id LIMIT 1")).scalar()
    say(f"writing threads of {options.posts} posts through the services")
    threads = build_threads(app, options.posts)
    say("indexing every item for search (the app's engine)")
    documents = maintenance.rebuild(app)
    if options.engine == "sqlite":
        build_fts5(engine, folder / "fts5.sqlite3")
    with app.app_context():
        from webapp.db import session
        from webapp.models import User

        member_email = session().scalar(select(User.email).where(User.email == facts["reader_email"]))
    stamp = f"{BUILD_VERSION}-{time.time():.0f}"
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_pages_build (value VARCHAR(40))"))
        conn.execute(text("INSERT INTO bench_pages_build VALUES (:v)"), {"v": stamp})
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    facts = {"stamp": stamp, "member_email": member_email, "member_password": archive.PASSWORD,
             "member_totp": archive.TOTP_SECRET, "public_item": public_item, "threads": threads,
             "documents": documents, "build_seconds": round(time.perf_counter() - started, 1)}
    (folder / "facts.json").write_text(json.dumps(facts))
    return facts


def build_threads(app, post_counts) -> dict[str, int]:
    """A public dialogue round with one thread per post count, written through the services (replies nest, some
    quote an earlier post, one in fifty is hidden by the facilitator)."""
    from sqlalchemy import select

    from bench import search
    from webapp import policy
    from webapp.db import session
    from webapp.models import Tier, User
    from webapp.services import dialogue_posts, dialogue_rounds, moderation
    import random

    rng = random.Random(15)
    threads = {}
    with app.test_request_context():
        users = list(session().scalars(select(User).order_by(User.id).limit(13)))
        viewers = [policy.viewer_for(user, session()) for user in users]
        facilitator, writers = viewers[0], viewers[1:]
        now = datetime.now(timezone.utc)
        round_ = dialogue_rounds.create_round(
            facilitator, title="Benchmark round", questions_source="How do operators keep judgement?",
            paragraphs=[16, 24], tier=Tier.PUBLIC, opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=30))
        for count in post_counts:
            thread = dialogue_posts.create_thread(writers[0], title=f"A thread of {count} posts",
                                                  body_source=search.paragraph(rng, 3), round_id=round_.id)
            recent = []
            for n in range(count - 1):
                parent = recent[-1] if recent and n % 3 and recent[-1][1] < 6 else None
                quote = recent[-5][0] if n % 10 == 0 and len(recent) > 5 else None
                body = f"{search.paragraph(rng, rng.randint(1, 4))}\n\n- *{n}* a [link](https://example.org/{n})"
                post = dialogue_posts.create_post(writers[n % len(writers)], thread.id, body_source=body,
                                                  parent_id=parent[0] if parent else None, quoted_post_id=quote)
                recent.append((post.id, post.depth))
                if n % 50 == 7:
                    moderation.hide_post(facilitator, post.id, reason="benchmark")
            threads[str(count)] = thread.id
        session().close()
    return threads


def build_fts5(engine, path: Path) -> None:
    """The search reference's SQLite FTS5 file: the readable (published, archived) items' words and facets."""
    import sqlite3

    from sqlalchemy import text

    text_columns = ("summary", "observation_source", "discussion_source", "conclusion_source",
                    "recommendation_source", "challenge_source", "practice_source", "evidence_of_effect_source",
                    "transfer_conditions_source", "scope_source", "principles_source", "body_source")
    fts = sqlite3.connect(path)
    fts.executescript("""
        CREATE TABLE meta (id INTEGER PRIMARY KEY, tier INT, group_id INT, kind TEXT, stakeholder TEXT, country TEXT,
                           stage TEXT, published TEXT);
        CREATE TABLE meta_paragraphs (id INT, number INT);
        CREATE INDEX meta_paragraphs_id ON meta_paragraphs (id);
        CREATE VIRTUAL TABLE docs USING fts5(title, body, keywords, tokenize='porter unicode61');
    """)
    with engine.connect() as conn, fts:
        rows = conn.execute(text(
            "SELECT s.id, s.title, s.keywords, s.tier, s.sharing_group_id, s.kind, o.stakeholder_type_code, o.country, "
            "s.lifecycle_stage, s.published_at, " + ", ".join(f"s.{c}" for c in text_columns) +
            " FROM submissions s JOIN organisations o ON o.id = s.author_organisation_id "
            "WHERE s.status IN ('published', 'archived')"))
        for row in rows:
            keywords = row.keywords if isinstance(row.keywords, list) else json.loads(row.keywords or "[]")
            body = "\n\n".join(getattr(row, c) or "" for c in text_columns)
            fts.execute("INSERT INTO docs (rowid, title, body, keywords) VALUES (?, ?, ?, ?)",
                        (row.id, row.title, body, " ".join(keywords)))
            fts.execute("INSERT INTO meta VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (row.id, int(row.tier), row.sharing_group_id, str(row.kind), row.stakeholder_type_code,
                         row.country, row.lifecycle_stage or "", str(row.published_at)))
        fts.executemany("INSERT INTO meta_paragraphs VALUES (?, ?)",
                        conn.execute(text("SELECT submission_id, paragraph_number FROM submission_paragraphs")).all())
    fts.close()


# ----------------------------------------------------------------------------------------------------- serving


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A gunicorn master on a free port; its workers are the master's children."""

    def __init__(self, name: str, command: list[str], env: dict, ready_path: str):
        self.name, self.port = name, _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(command + ["--bind", f"127.0.0.1:{self.port}"], cwd=ROOT, env=env,
                                        stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(self.base + ready_path, timeout=5)
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    self.log.seek(0)
                    raise RuntimeError(f"{name} did not start: {self.log.read().decode()[-3000:]}") from None
                time.sleep(0.3)

    def workers(self) -> list[int]:
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == self.process.pid:
                    pids.append(int(entry))
        return sorted(pids)

    def cpu_ticks(self) -> tuple[tuple[int, ...], int]:
        """(worker pids, their utime + stime in clock ticks)."""
        pids, ticks = self.workers(), 0
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        return tuple(pids), ticks

    def _open_files(self) -> int:
        count = 0
        for pid in self.workers():
            try:
                count += len(os.listdir(f"/proc/{pid}/fd"))
            except OSError:
                pass
        return count

    def wait_idle(self, timeout: float = 120) -> None:
        """Until no worker holds a client connection (its open files are back to the idle count) and their CPU
        time has stopped moving for half a second (or for two seconds: then the count of open files is the new
        idle count)."""
        if not hasattr(self, "idle_files"):
            time.sleep(1)
            self.idle_files = self._open_files()
        deadline, last, still = time.monotonic() + timeout, None, 0
        while time.monotonic() < deadline:
            ticks = self.cpu_ticks()
            files = self._open_files()
            still = still + 1 if ticks == last else 0
            if still >= 5 and files <= self.idle_files:
                return
            if still >= 20:  # two seconds without CPU: idle, with a file more kept open (a pooled connection)
                self.idle_files = files
                return
            last = ticks
            time.sleep(0.1)

    def worker_rss_mib(self) -> float:
        sizes = []
        for pid in self.workers():
            match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
            sizes.append(int(match.group(1)) / 1024)
        return max(sizes)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _server_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "TEST_DATABASE_URL"}}
    env.update(extra)
    return env


def start_app(url: str, folder: Path) -> Server:
    env = _server_env(REAIM_INSTANCE_PATH=str(folder / "instance"), DATABASE_URL=url,
                      SEARCH_INDEX_DIR=str(folder / "index"), SESSION_COOKIE_SECURE="0", FLASK_APP="wsgi",
                      GUNICORN_PROC_NAME="reaim-bench-pages")
    command = [sys.executable, "-m", "gunicorn", "-c", "python:webapp.gunicorn_conf", "--workers", "2", "wsgi:app"]
    return Server("the app", command, env, "/")


def start_minimal(url: str, folder: Path, engine: str) -> Server:
    env = _server_env(MINIMAL_DATABASE_URL=url, MINIMAL_SEARCH="fts5" if engine == "sqlite" else "postgres",
                      MINIMAL_FTS5_FILE=str(folder / "fts5.sqlite3"))
    command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-tmp-dir", "/dev/shm",
               "--name", "reaim-bench-minimal", "bench.reference.minimal_app:app"]
    return Server("the minimal app", command, env, "/hello")


# ------------------------------------------------------------------------------------------------ signing in


def _hidden_fields(page: str) -> dict[str, str]:
    fields = {}
    for tag in re.findall(r"<input[^>]*>", page):
        if 'type="hidden"' in tag:
            name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
            if name:
                fields[name.group(1)] = html.unescape(value.group(1)) if value else ""
    return fields


def sign_in(base: str, email: str, password: str, totp_secret: str) -> str:
    """Sign in through the real forms (the code step when asked); returns the Cookie header of the session."""
    import pyotp

    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def post(path: str, fields: dict) -> tuple[str, str]:
        page = opener.open(base + path, timeout=30).read().decode()
        data = urllib.parse.urlencode({**_hidden_fields(page), **fields}).encode()
        response = opener.open(base + path, data=data, timeout=30)
        return response.geturl(), response.read().decode()

    where, _ = post("/sign-in", {"email": email, "password": password})
    if "/sign-in/second-factor" in where:
        step = int(time.time() // 30)
        where, _ = post(urllib.parse.urlsplit(where).path, {"code": pyotp.TOTP(totp_secret).now()})
        if "/sign-in" in where:  # a code used moments ago is refused once: take the next one
            while int(time.time() // 30) == step:
                time.sleep(1)
            where, _ = post("/sign-in", {"email": email, "password": password})
            where, _ = post(urllib.parse.urlsplit(where).path, {"code": pyotp.TOTP(totp_secret).now()})
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    check = urllib.request.Request(base + "/", headers={"Cookie": cookie})
    if 'action="/sign-out"' not in urllib.request.urlopen(check, timeout=30).read().decode():
        raise RuntimeError(f"signing in as {email} did not give a session (ended at {where})")
    return cookie


# ------------------------------------------------------------------------------------------------- measuring


def wrk(url: str, cookie: str, duration: float, connections: int) -> dict:
    """One wrk run; its completed requests, requests per second and failed responses."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "30s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True, timeout=duration + 60).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    failed = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return {"requests": requests, "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "failed": failed + errors}


def measure(server: Server, path: str, cookie: str, options) -> dict:
    """Server CPU ms per request of one wrk run (None when a worker was replaced meanwhile).

    wrk stops with a request in flight on each connection; the sync workers still serve those to the end. So the
    CPU is read once the workers are idle again, and divided by wrk's completed requests plus one per connection:
    exact for slow pages on a loaded machine (a few requests a run), negligible for fast ones."""
    duration = options.duration
    for _ in range(3):  # a run that completed no request (a loaded machine, a slow page) is run again, longer
        server.wait_idle()
        pids, before = server.cpu_ticks()
        run = wrk(server.base + path, cookie, duration, options.connections)
        server.wait_idle()
        pids_after, after = server.cpu_ticks()
        if run["requests"]:
            break
        duration *= 2
    if run["failed"]:
        raise RuntimeError(f"{server.name} answered {path} with {run['failed']} failures (not 2xx/3xx or errors)")
    served = run["requests"] + options.connections
    valid = pids == pids_after
    return {"cpu_ms": (after - before) * CLOCK_TICK_MS / served if valid else None, "rate": run["rate"]}


def pages(facts: dict, options) -> list[tuple[str, str, callable]]:
    """(name, app path, reference path for a tier)."""
    short, long = (facts["threads"][str(n)] for n in options.posts)
    size = options.thread_page_size
    listing = lambda tier: f"/list?tier={tier}"  # noqa: E731
    search = urllib.parse.quote_plus(SEARCH_QUERY)
    return [
        ("home", "/", listing),
        ("browse_unfiltered", "/archive/", listing),
        ("browse_two_filters", "/archive/?stakeholder=academia&year=2025", listing),
        ("submission_page", f"/archive/{facts['public_item']}", listing),
        ("paragraph_page", "/paragraphs/16", listing),
        ("search", f"/search?q={search}", listing),
        (f"thread_{options.posts[0]}", f"/dialogue/threads/{short}", lambda tier: f"/thread/{short}?limit={min(size, options.posts[0])}"),
        (f"thread_{options.posts[1]}", f"/dialogue/threads/{long}", lambda tier: f"/thread/{long}?limit={size}"),
    ]


def _page_kib(base: str, path: str, cookie: str) -> float:
    request = urllib.request.Request(base + path, headers={"Cookie": cookie} if cookie else {})
    return len(urllib.request.urlopen(request, timeout=60).read()) / 1024


def run(options) -> list[str]:
    """Build or reuse, serve both apps, measure; returns the output lines."""
    if not shutil.which("wrk"):
        raise SystemExit("bench/pages.py needs wrk: make bench-deps (Debian's wrk)")
    folder = build_folder(options)
    began = time.perf_counter()
    facts = cached_facts(options, folder)
    reused = facts is not None
    if facts is None:
        facts = build(options, folder)
    lines = [f"# bench/pages.py {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC engine={options.engine} "
             f"items={options.items} rounds={options.rounds} duration={options.duration:g}s "
             f"build={'reused ' + str(folder) if reused else 'new'}",
             f"items: {options.items} count",
             f"index_documents: {facts['documents']} count",
             f"prepare_seconds: {time.perf_counter() - began:.1f} s"]
    url = database_url(options, folder)
    app = start_app(url, folder)
    try:
        minimal = start_minimal(url, folder, options.engine)
        try:
            lines += measure_all(app, minimal, facts, options)
        finally:
            minimal.stop()
    finally:
        app.stop()
    return lines


def measure_all(app: Server, minimal: Server, facts: dict, options) -> list[str]:
    member = sign_in(app.base, facts["member_email"], facts["member_password"], facts["member_totp"])
    audiences = [("anonymous", "", 0), ("member", member, MEMBER_CLEARANCE)]
    search_reference = lambda tier: f"/search?q={urllib.parse.quote_plus(SEARCH_QUERY)}&tier={tier}"  # noqa: E731
    plan = pages(facts, options)
    warm = argparse.Namespace(duration=1, connections=options.connections)
    lines = []
    say("warming up both apps")
    for name, path, _ in plan:  # warm up both workers: templates, searchers, caches
        lines.append(f"{name}_page_kib: {_page_kib(app.base, path, member):.0f} KiB")
        for _, cookie, tier in audiences:
            _page_kib(app.base, path, cookie)
            _page_kib(app.base, path, cookie)
    for tier in (0, MEMBER_CLEARANCE):
        measure(minimal, f"/list?tier={tier}", "", warm)
        measure(minimal, search_reference(tier), "", warm)
    measure(minimal, "/hello", "", warm)

    figures: dict[str, list] = {}
    for number in range(options.rounds):
        say(f"round {number + 1} of {options.rounds}")
        figures.setdefault("minimal_hello", []).append(measure(minimal, "/hello", "", options))
        for name, path, reference in plan:
            for audience, cookie, tier in audiences:
                key = f"{name}_{audience}"
                figures.setdefault(key, []).append(measure(app, path, cookie, options))
                figures.setdefault(f"{key}@minimal", []).append(measure(minimal, reference(tier), "", options))
                if name == "search":
                    figures.setdefault(f"{key}@reference", []).append(
                        measure(minimal, search_reference(tier), "", options))

    def median_cpu(runs):
        values = [r["cpu_ms"] for r in runs if r["cpu_ms"] is not None]
        return statistics.median(values) if values else float("nan")

    def median_ratio(runs, references):
        values = [a["cpu_ms"] / b["cpu_ms"] for a, b in zip(runs, references)
                  if a["cpu_ms"] is not None and b["cpu_ms"]]
        return statistics.median(values) if values else float("nan")

    hello = figures.pop("minimal_hello")
    lines.append(f"minimal_hello_cpu_ms_per_request: {median_cpu(hello):.2f} ms")
    lines.append(f"minimal_hello_req_per_s: {statistics.median(r['rate'] for r in hello):.0f} req/s")
    for tier_name in ("anonymous", "member"):
        lists = [r for key, runs in figures.items() if key.endswith(f"_{tier_name}@minimal")
                 and not key.startswith("thread_") for r in runs]
        lines.append(f"minimal_list_{tier_name}_cpu_ms_per_request: {median_cpu(lists):.2f} ms")
    for key, runs in figures.items():
        if "@" in key:
            continue
        lines.append(f"{key}_cpu_ms_per_request: {median_cpu(runs):.2f} ms")
        lines.append(f"{key}_ratio_to_minimal: {median_ratio(runs, figures[key + '@minimal']):.1f} x")
        if key + "@reference" in figures:
            reference = figures[key + "@reference"]
            lines.append(f"{key}_reference_cpu_ms_per_request: {median_cpu(reference):.2f} ms")
            lines.append(f"{key}_ratio_to_reference: {median_ratio(runs, reference):.1f} x")
        lines.append(f"{key}_req_per_s: {statistics.median(r['rate'] for r in runs):.0f} req/s")
        if key.startswith("thread_"):
            lines.append(f"{key}_minimal_cpu_ms_per_request: {median_cpu(figures[key + '@minimal']):.2f} ms")
    app_rss, minimal_rss = app.worker_rss_mib(), minimal.worker_rss_mib()
    lines.append(f"worker_rss_mib: {app_rss:.0f} MiB")
    lines.append(f"minimal_worker_rss_mib: {minimal_rss:.0f} MiB")
    lines.append(f"worker_rss_ratio_to_minimal: {app_rss / minimal_rss:.1f} x")
    return lines


def main(argv=None) -> None:
    import signal

    # A stopped benchmark (SIGTERM) stops its two servers too: the finally blocks of run() run on SystemExit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    options = parse_options(argv)
    for line in run(options):
        print(line, flush=True)


if __name__ == "__main__":
    main()
