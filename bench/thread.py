"""Benchmark: render pages of a dialogue thread with 500 posts through the Flask test client (temp SQLite database).

Threads paginate (THREAD_PAGE_SIZE, 20 a page): page 1 and a middle page (page 13 of 25) are measured, each signed
in. Prints `name: value unit` lines: build time, render p50/p95/max (wall clock), the same as CPU time of this
process (a shared machine's other load does not count there), SQL statements per render, page size — for each
page, prefixed `thread_first_` and `thread_middle_`; `thread_render_*` lines repeat the middle page's figures.
Target (issue 4): p95 under 200 ms, and a statement count that does not depend on the number of posts or the page.
"""
from __future__ import annotations

import gc
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

POSTS = int(os.environ.get("BENCH_POSTS", 500))  # smaller only to check the script itself (tests)
RENDERS = int(os.environ.get("BENCH_RENDERS", 40))
PASSWORD = "orbit lantern quietly harvest"


def main() -> None:
    from alembic import command
    from argon2 import PasswordHasher
    from sqlalchemy import event

    from webapp import create_app, policy
    from webapp.cli import alembic_config
    from webapp.db import session, unit_of_work
    from webapp.models import AccountStatus, Organisation, Tier, User, utcnow
    from webapp.services import dialogue_posts, dialogue_rounds, moderation, passwords, seeding

    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    folder = Path(tempfile.mkdtemp(prefix="bench-thread-"))
    app = create_app({
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "INSTANCE_PATH": str(folder),
        "MAIL_OUTBOX_FILE": str(folder / "mail.log"),
        "RATELIMIT_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
    })
    started = time.perf_counter()
    with app.app_context():
        command.upgrade(alembic_config(), "head")
    with app.test_request_context():
        seeding.load_reference_data()
        people = []
        with unit_of_work() as db:
            for i, kind in enumerate(("state", "private_sector", "academia", "civil_society", "international_organisation")):
                org = Organisation(name=f"Org {i}", stakeholder_type_code=kind, country="NL", verified=True)
                db.add(org)
                db.flush()
                for j in range(3):
                    user = User(name=f"Person {i}-{j}", email=f"p{i}{j}@example.org", organisation_id=org.id,
                                password_hash=passwords.hash_password(PASSWORD), status=AccountStatus.ACTIVE,
                                clearance=Tier.RESTRICTED, is_facilitator=(i == 0 and j == 0))
                    if user.is_facilitator:  # a facilitator acts as one only with a second factor
                        user.totp_secret, user.second_factor_enrolled_at = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", utcnow()
                    db.add(user)
                    people.append(user)
        viewers = [policy.viewer_for(session().get(User, u.id), session()) for u in people]
        facilitator = viewers[0]
        now = utcnow()
        round_ = dialogue_rounds.create_round(facilitator, title="Benchmark round", questions_source="Why?",
                                              paragraphs=[16, 24], tier=Tier.COMMUNITY, opens_at=now - timedelta(hours=1),
                                              closes_at=now + timedelta(days=7))
        thread = dialogue_posts.create_thread(viewers[1], title="A long thread", body_source="Start", round_id=round_.id)
        recent = []
        for i in range(POSTS - 1):
            author = viewers[i % len(viewers)]
            parent = recent[-1] if recent and i % 3 and recent[-1].depth < 6 else None
            quote = recent[-5] if i % 10 == 0 and len(recent) > 5 else None
            post = dialogue_posts.create_post(author, thread.id, body_source=f"Post {i}: *some* text with a [link](https://example.org/{i}).\n\n- a\n- b",
                                              parent_id=parent.id if parent else None,
                                              quoted_post_id=quote.id if quote else None)
            recent.append(post)
            if i % 50 == 7:
                moderation.hide_post(facilitator, post.id, reason="benchmark")
        thread_id = thread.id
        session().close()
    # Drop what building left in memory, as a web worker would not hold it: only rendering is measured.
    del recent, people, viewers, thread, round_, post
    gc.collect()
    gc.freeze()  # as a gunicorn worker does after start-up (webapp/gunicorn_conf.py post_worker_init)
    build = time.perf_counter() - started

    client = app.test_client()
    token_page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', token_page).group(1)
    client.post("/sign-in", data={"email": "p10@example.org", "password": PASSWORD, "csrf_token": token})

    statements = {"n": 0}
    event.listen(app.extensions["db_engine"], "before_cursor_execute", lambda *a, **k: statements.__setitem__("n", statements["n"] + 1))
    size = app.config["THREAD_PAGE_SIZE"]
    pages = -(-POSTS // size)
    middle = max(1, (pages + 1) // 2)
    print(f"thread_posts: {POSTS} posts")
    print(f"thread_build: {build:.1f} s")
    print(f"thread_page_posts: {size} posts")
    print(f"thread_pages: {pages} pages")
    for name, number in (("first", 1), ("middle", middle)):
        path = f"/dialogue/threads/{thread_id}" + (f"?page={number}" if number > 1 else "")
        figures = _measure(client, path, statements, min(size, POSTS))
        for key, value, unit in figures:
            print(f"thread_{name}_{key}: {value} {unit}")
        if name == "middle":  # the names earlier runs printed (test_dialogue_bench, README) are the middle page's
            for key, value, unit in figures:
                print(f"thread_{key}: {value} {unit}")


def _measure(client, path: str, statements: dict, posts_shown: int) -> list[tuple[str, str, str]]:
    """Render `path` RENDERS times (after a warm-up): wall and CPU percentiles, statements, page size."""
    response = client.get(path)  # warm-up
    assert response.status_code == 200, response.status_code
    assert response.get_data(as_text=True).count('<article class="post') == posts_shown
    timings, cpu, counts = [], [], []
    for _ in range(RENDERS):
        statements["n"] = 0
        t0, c0 = time.perf_counter(), time.process_time()
        response = client.get(path)
        timings.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)  # unaffected by other processes on a shared machine
        counts.append(statements["n"])
    timings.sort()
    cpu.sort()
    p95 = timings[int(round(0.95 * (len(timings) - 1)))]
    cpu_p95 = cpu[int(round(0.95 * (len(cpu) - 1)))]
    return [
        ("render_p50", f"{statistics.median(timings):.1f}", "ms"),
        ("render_p95", f"{p95:.1f}", "ms"),
        ("render_max", f"{timings[-1]:.1f}", "ms"),
        ("render_cpu_p50", f"{statistics.median(cpu):.1f}", "ms"),
        ("render_cpu_p95", f"{cpu_p95:.1f}", "ms"),
        ("render_queries", str(max(counts)), "statements"),
        ("page_size", f"{len(response.data) / 1024:.0f}", "KiB"),
    ]

if __name__ == "__main__":
    main()
