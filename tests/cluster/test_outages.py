"""One node under gunicorn when a shared service is missing or goes away: no Redis at all (limits in the database,
shared by the workers), Redis down (sign-in and registration keep working, health says so), PostgreSQL down (the
app's own 503 page, and back by itself when the database returns)."""
from __future__ import annotations

import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text

from tests.cluster import world as world_module
from tests.cluster.harness import Browser, Node, TcpProxy, node_env

pytestmark = pytest.mark.cluster


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _guess(node: Node, email: str, forwarded_for: str) -> int:
    guesser = Browser(forwarded_for=forwarded_for)
    return guesser.post(node.url + "/sign-in", {"email": email, "password": "wrong guess",
                                                "csrf_token": guesser.token(node.url + "/sign-in")}).status


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_without_redis_the_sign_in_limit_holds_across_the_workers_of_a_node(engine, seeded_database, tmp_path):
    if engine == "sqlite":
        instance = tmp_path / "instance"
        instance.mkdir()
        database_url = f"sqlite:///{instance / 'reaim.sqlite3'}"
        world_module.prepare(database_url, tmp_path / "operator")
    else:
        database_url, _world = seeded_database
    env = node_env(tmp_path / "instance", database_url, None, LOGIN_RATE_LIMIT="4 per minute",
                   LOGIN_ACCOUNT_RATE_LIMIT="3 per minute")
    node = Node("solo", env, tmp_path / "node", consume_jobs=False,
                extra_args=("--access-logfile", str(tmp_path / "access.log"), "--access-logformat", "%(p)s %(r)s %(s)s"))
    node.start()
    try:
        # Per address (4 a minute): two at a time, so that both workers are busy with attempts, each for another
        # account. Counting is one atomic upsert per attempt, so even concurrent attempts get exactly 4 through.
        with ThreadPoolExecutor(max_workers=2) as pool:
            statuses = list(pool.map(lambda n: _guess(node, f"n{n}-{uuid.uuid4().hex[:6]}@cluster.example",
                                                      "10.3.0.1"), range(12)))
        # Per account (3 refusals a minute, counted after each refusal): one after the other, new address each time.
        email = f"guess-{uuid.uuid4().hex[:8]}@cluster.example"
        account = [_guess(node, email, f"10.4.{n}.1") for n in range(6)]
    finally:
        node.stop()
    assert sorted(statuses) == [401] * 4 + [429] * 8, statuses
    assert account == [401] * 3 + [429] * 3
    pids = [line.split()[0] for line in (tmp_path / "access.log").read_text().splitlines() if "POST /sign-in" in line]
    assert len(pids) == 18 and len(set(pids)) == 2, "both workers must have answered attempts"


def test_redis_down_sign_in_and_registration_keep_working_and_health_says_so(seeded_database, tmp_path):
    database_url, world = seeded_database
    env = node_env(tmp_path / "instance", database_url, f"redis://127.0.0.1:{_closed_port()}/0")
    node = Node("no-redis", env, tmp_path / "node", consume_jobs=False).start()
    try:
        person = Browser()
        assert person.sign_in(node.url, world.members[0]).status == 302
        assert world.members[0] in person.get(node.url + "/account").body
        assert Browser().sign_in(node.url, world.members[1], password="not the password").status == 401
        # registration queues its confirmation mail in the database; handing it to the (Redis) queue fails, logged
        newcomer = f"newcomer-{uuid.uuid4().hex[:8]}@example.org"
        visitor = Browser()
        registered = visitor.post(node.url + "/register", {
            "name": "New Comer", "email": newcomer, "organisation": str(world.organisation_id),
            "password": "violet harbour seventeen lanterns", "confirm": "violet harbour seventeen lanterns",
            "csrf_token": visitor.token(node.url + "/register")})
        assert registered.status == 302 and "check-your-mailbox" in registered.location, registered.body[:1000]
        health = Browser().get(node.url + "/api/health")
    finally:
        node.stop()
    assert health.status == 200
    assert '"status":"degraded"' in health.body.replace(" ", "")
    import json

    body = json.loads(health.body)
    assert body["rate_limits"] == {"status": "degraded", "storage": "redis",
                                   "detail": "storage unreachable: limits are counted per worker until it answers again"}
    assert body["jobs"]["status"] == "degraded" and body["jobs"]["backend"] == "redis"
    engine = create_engine(database_url)
    with engine.connect() as connection:
        queued = connection.scalar(text("SELECT count(*) FROM outgoing_mail WHERE to_address = :a"), {"a": newcomer})
    engine.dispose()
    assert queued == 1
    log = node.log("web")
    assert "Rate limit storage unreachable" in log or "storage unreachable" in log
    assert "could not hand 1 queued mail(s) to the job engine" in log
    assert " 500 " not in log and "Internal Server Error" not in log


def test_postgresql_down_answers_the_apps_503_and_recovers_by_itself(seeded_database, tmp_path):
    database_url, world = seeded_database
    server = urlsplit(database_url.replace("postgresql+psycopg", "postgresql"))
    relay = TcpProxy((server.hostname, server.port or 5432)).start()
    through_relay = database_url.replace(f"{server.hostname}:{server.port or 5432}", f"127.0.0.1:{relay.port}")
    env = node_env(tmp_path / "instance", through_relay, None)
    node = Node("pg-outage", env, tmp_path / "node", consume_jobs=False).start()
    try:
        person = Browser()
        assert person.sign_in(node.url, world.members[5]).status == 302
        assert person.get(node.url + "/dialogue/").status == 200

        relay.stop()  # the database goes away: open connections cut, new ones refused
        for path in ("/dialogue/", "/archive/", "/", f"/dialogue/threads/{world.thread_id}"):
            down = person.get(node.url + path)
            assert down.status == 503, (path, down.status, down.body[:500])
            assert down.headers.get("Retry-After") == "15"
            assert "The service is unavailable for a moment" in down.body and "Internal Server Error" not in down.body
        token_free = Browser().post(node.url + "/sign-in", {"email": world.members[6], "password": "x"})
        assert token_free.status in (400, 503)  # no form token: the CSRF check answers before the database
        health = Browser().get(node.url + "/api/health")
        assert health.status == 503 and '"database":{"status":"down"}' in health.body.replace(" ", "")

        relay.start()  # the database is back: no restart, the pool reconnects
        deadline = time.monotonic() + 20
        while True:
            back = person.get(node.url + "/dialogue/")
            if back.status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert back.status == 200, back.body[:500]
        assert person.get(node.url + "/account").status == 200  # still signed in
        assert Browser().get(node.url + "/api/health").status == 200
    finally:
        node.stop()
        relay.stop()
    log = node.log("web")
    assert "database unavailable on GET /dialogue/" in log
    assert "Internal Server Error" not in log
