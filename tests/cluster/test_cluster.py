"""Two app nodes on one PostgreSQL database and one Redis, behind nginx: what the README promises, proven.

Each node is gunicorn with 2 workers (webapp/gunicorn_conf.py) plus its own `flask jobs run`; nginx serves the site
rendered from deploy/nginx-site.conf.template with both nodes in its upstream. The tests run in file order on one
cluster; the last one kills node A.
"""
from __future__ import annotations

import re
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, text

from tests.cluster.harness import Browser, Nginx, Node, node_env

pytestmark = pytest.mark.cluster

LIMITS = {"LOGIN_RATE_LIMIT": "12 per minute", "LOGIN_ACCOUNT_RATE_LIMIT": "5 per minute"}


@pytest.fixture(scope="module")
def cluster(seeded_database, redis_url, tmp_path_factory):
    """(node A, node B, nginx, world, database URL), torn down after the module."""
    database_url, world = seeded_database
    root = tmp_path_factory.mktemp("cluster")
    nginx_port_holder = Nginx(root / "nginx", [])
    public = f"http://127.0.0.1:{nginx_port_holder.port}"

    def make(name: str) -> Node:
        env = node_env(root / name / "instance", database_url, redis_url, PUBLIC_URL=public, **LIMITS)
        return Node(name, env, root / name)

    a, b = make("a"), make("b")
    nginx = Nginx(root / "nginx", [a.address, b.address], port=nginx_port_holder.port)
    started = []
    try:
        for part in (a, b, nginx):
            part.start()
            started.append(part)
        yield a, b, nginx, world, database_url
    finally:
        for part in reversed(started):
            part.stop()


def _post(browser: Browser, base: str, thread_id: int, body: str, token_base: str | None = None):
    token = browser.token(f"{token_base or base}/dialogue/threads/{thread_id}/reply")
    return browser.post(f"{base}/dialogue/threads/{thread_id}/posts", {"body": body, "csrf_token": token})


def test_nginx_serves_both_nodes_and_static_files_from_disk(cluster):
    a, b, nginx, _world, _url = cluster
    assert Browser().get(nginx.url + "/static/site.css").status == 200
    for node in (a, b):
        health = Browser().get(node.url + "/api/health")
        assert health.status == 200, health.body
        assert '"status":"ok"' in health.body.replace(" ", "")
    for _ in range(6):
        assert Browser().get(nginx.url + "/").status == 200


def test_sessions_and_csrf_work_across_nodes(cluster):
    a, b, nginx, world, _url = cluster
    person = Browser()
    assert person.sign_in(a.url, world.members[1]).status == 302
    # the session made by A is known to B, and a form token issued by A is accepted by B
    account = person.get(b.url + "/account")
    assert account.status == 200 and world.members[1] in account.body
    marker = f"across-nodes-{uuid.uuid4().hex[:10]}"
    reply = _post(person, b.url, world.thread_id, f"Written through B with A's token {marker}", token_base=a.url)
    assert reply.status == 302, reply.body[:500]
    thread = person.get(a.url + f"/dialogue/threads/{world.thread_id}")
    assert marker in thread.body
    # the second factor: the password step on A, the code step on B
    cleared = Browser()
    assert cleared.sign_in(a.url, world.cleared, code_base=b.url).status == 302
    assert world.cleared in cleared.get(a.url + "/account").body
    # signing out on B ends the session on A too
    token = cleared.token(b.url + "/account")
    assert cleared.post(b.url + "/sign-out", {"csrf_token": token}).status == 302
    assert cleared.get(a.url + "/account").status == 302


def test_a_write_through_one_node_is_found_by_search_through_the_other_at_once(cluster):
    a, b, _nginx, world, _url = cluster
    writer, reader = Browser(), Browser()
    assert writer.sign_in(a.url, world.members[2]).status == 302
    assert reader.sign_in(b.url, world.members[3]).status == 302
    for _ in range(3):
        word = "quorum" + uuid.uuid4().hex[:8]
        form = writer.token(a.url + "/dialogue/threads/new")
        created = writer.post(a.url + "/dialogue/threads/new", {
            "title": f"Field trials {word}", "body": f"What we learnt about {word} in field trials.",
            "tier": "community", "paragraphs": "14", "csrf_token": form})
        assert created.status == 302, created.body[:500]
        found = reader.get(b.url + f"/search?q={word}")  # the very next request, on the other node
        assert found.status == 200 and f"Field trials {word}" in found.body, found.body[:2000]


def test_sign_in_limits_are_shared_by_the_nodes(cluster):
    a, b, _nginx, _world, _url = cluster
    # per account (5 refusals per minute), attempts alternating between the nodes and their workers
    email = f"guess-{uuid.uuid4().hex[:8]}@cluster.example"
    statuses = []
    for attempt in range(8):
        node = (a, b)[attempt % 2]
        guesser = Browser(forwarded_for=f"10.1.{attempt}.1")  # a new address each time: only the account counts
        statuses.append(guesser.post(node.url + "/sign-in", {"email": email, "password": "wrong guess",
                                                            "csrf_token": guesser.token(node.url + "/sign-in")}).status)
    assert statuses == [401] * 5 + [429] * 3
    # per client address (12 per minute), with a different account each time
    address = Browser(forwarded_for="10.2.0.7")
    statuses = []
    for attempt in range(14):
        node = (a, b)[attempt % 2]
        statuses.append(address.post(node.url + "/sign-in", {
            "email": f"n{attempt}-{uuid.uuid4().hex[:6]}@cluster.example", "password": "wrong guess",
            "csrf_token": address.token(node.url + "/sign-in")}).status)
    assert statuses == [401] * 12 + [429] * 2


def _slot_runs(database_url: str, slot: str) -> list[tuple[str, str, str]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(
                text("SELECT name, node, status FROM job_runs WHERE slot = :slot"), {"slot": slot})]
    finally:
        engine.dispose()


def test_a_periodic_job_runs_once_per_slot_not_once_per_node(cluster):
    a, b, _nginx, _world, database_url = cluster
    # A minute that began after both consumers were up. Each consumer's scheduler looks at the clock once every
    # 60 seconds (counted from its start), so within that minute each of them enqueues the every-minute jobs once.
    now = datetime.now(timezone.utc)
    slot_start = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
    slot = slot_start.strftime("%Y-%m-%dT%H:%M")
    every_minute = ("mail.sweep", "search.drain_outbox", "archive.scheduled_releases")

    def outcomes(logs: str, name: str) -> tuple[int, int]:
        prefix = rf"periodic job {re.escape(name)} for slot {slot}: "
        return len(re.findall(prefix + "claimed by", logs)), len(re.findall(prefix + "already claimed elsewhere", logs))

    time.sleep(max(0.0, (slot_start - now).total_seconds()) + 60)
    deadline = time.monotonic() + 40
    while True:
        logs = a.log("jobs") + b.log("jobs")
        if all(sum(outcomes(logs, name)) >= 2 for name in every_minute) or time.monotonic() > deadline:
            break
        time.sleep(1)
    # Both consumers took each job for that slot from their scheduler: one ran it, the other found it claimed.
    assert {name: outcomes(logs, name) for name in every_minute} == {name: (1, 1) for name in every_minute}
    runs = _slot_runs(database_url, slot)
    counts = Counter(name for name, _node, _status in runs)
    assert {name: counts[name] for name in every_minute} == {name: 1 for name in every_minute}, runs
    assert all(status == "done" for name, _node, status in runs if name in every_minute), runs


def test_killing_a_node_mid_storm_loses_no_acknowledged_write_and_nginx_keeps_serving(cluster):
    a, b, nginx, world, database_url = cluster
    writers = []
    for email in world.members[4:8]:
        browser = Browser()
        assert browser.sign_in(nginx.url, email).status == 302
        writers.append(browser)
    acknowledged: list[str] = []
    refused: Counter = Counter()
    reads: Counter = Counter()
    lock = threading.Lock()
    stop = threading.Event()

    def write(browser: Browser, number: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            marker = f"storm-{number}-{n}-{uuid.uuid4().hex[:8]}"
            try:
                reply = _post(browser, nginx.url, world.thread_id, f"Storm post {marker}")
                status = reply.status
            except OSError as error:  # a connection nginx dropped: not acknowledged
                status = type(error).__name__
            with lock:
                if status in (302, 303):
                    acknowledged.append(marker)
                else:
                    refused[status] += 1

    def read() -> None:
        reader = Browser()
        while not stop.is_set():
            status = reader.get(nginx.url + "/dialogue/").status
            with lock:
                reads[status] += 1

    threads = [threading.Thread(target=write, args=(browser, i)) for i, browser in enumerate(writers)]
    threads.append(threading.Thread(target=read))
    for thread in threads:
        thread.start()
    time.sleep(4)
    before_kill = len(acknowledged)
    a.kill()
    killed_at = len(acknowledged)
    time.sleep(6)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)

    assert before_kill > 5, "the storm did not get going"
    assert len(acknowledged) > killed_at + 5, f"writes stopped after the kill: {refused}"
    # every acknowledged write is in the database
    engine = create_engine(database_url)
    with engine.connect() as connection:
        stored = Counter(connection.scalars(text(
            "SELECT substring(body_source from 'storm-[0-9]+-[0-9]+-[0-9a-f]{8}') FROM dialogue_posts "
            "WHERE thread_id = :thread AND body_source LIKE 'Storm post storm-%'"), {"thread": world.thread_id}))
    engine.dispose()
    assert set(acknowledged) <= set(stored), f"lost: {sorted(set(acknowledged) - set(stored))[:10]}"
    # and none twice: nginx never sent a POST again to the other node
    assert max(stored.values()) == 1, [marker for marker, count in stored.items() if count > 1][:10]
    # a write in flight on A when it died may fail (502: never retried by nginx), but no more than those in flight
    assert sum(refused.values()) <= len(writers), refused
    # reads never failed: nginx sent the ones A dropped to B
    assert set(reads) == {200}, reads
    for _ in range(10):
        assert Browser().get(nginx.url + "/").status == 200
