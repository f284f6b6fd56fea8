"""Rate limits that hold (issue 8, defect 7; issue 12): shared by a node's workers through the database, counted
per real client address and per account, on every credential check, and open — never a 500 — when Redis is down."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import DEFAULT_PASSWORD, csrf_token, sign_in
from webapp import create_app

ROOT = Path(__file__).resolve().parent.parent
WRONG = "wrong guess number x"
GENEROUS = "1000 per minute"


@pytest.fixture
def limited(app, database_url, tmp_path):
    """create_app(**settings) with rate limits on (the default fixture has them off); limits not under test are
    generous. Built after `app`, which empties the database (counters included)."""
    built = []

    def factory(**settings):
        config = {
            "TESTING": True, "DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / f"limited{len(built)}"),
            "RATELIMIT_ENABLED": True, "SESSION_COOKIE_SECURE": False, "LOGIN_RATE_LIMIT": GENEROUS,
            "LOGIN_ACCOUNT_RATE_LIMIT": GENEROUS, "PASSWORD_CHANGE_RATE_LIMIT": GENEROUS,
        }
        config.update(settings)
        built.append(create_app(config))
        return built[-1]

    yield factory
    for one in built:
        one.extensions["db_engine"].dispose()


def _attempt(client, email: str, password: str = WRONG, **request) -> int:
    token = csrf_token(client, "/sign-in")
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token},
                       **request).status_code


WORKER = """
import json, sys
from webapp import create_app
app = create_app({"TESTING": True, "DATABASE_URL": sys.argv[1], "INSTANCE_PATH": sys.argv[2],
                  "RATELIMIT_ENABLED": True, "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False,
                  "LOGIN_RATE_LIMIT": "4 per minute", "LOGIN_ACCOUNT_RATE_LIMIT": "1000 per minute"})
client = app.test_client()
statuses = [client.post("/sign-in", data={"email": sys.argv[3], "password": "wrong guess number x"}).status_code
            for _ in range(int(sys.argv[4]))]
print(json.dumps(statuses))
"""


def _worker(database_url: str, folder: Path, email: str, attempts: int) -> list[int]:
    """One worker: its own process and its own create_app on the shared database, as under gunicorn."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("REDIS_URL", None)
    done = subprocess.run([sys.executable, "-c", WORKER, database_url, str(folder), email, str(attempts)], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_workers_share_one_sign_in_limit(app, database_url, tmp_path, make_user):
    user = make_user()
    first = _worker(database_url, tmp_path / "worker-a", user.email, 3)
    second = _worker(database_url, tmp_path / "worker-b", user.email, 3)
    assert first == [401, 401, 401]
    assert second == [401, 429, 429]  # 4 per minute for the node, not per worker


def test_rotating_x_forwarded_for_without_a_proxy_still_gets_429(limited, make_user):
    client = limited(LOGIN_RATE_LIMIT="3 per minute").test_client()
    people = [make_user() for _ in range(5)]  # other accounts each time: only the address limit can refuse
    statuses = [_attempt(client, person.email, headers={"X-Forwarded-For": f"203.0.113.{n}"})
                for n, person in enumerate(people)]
    assert statuses == [401, 401, 401, 429, 429]


def test_behind_a_configured_proxy_each_client_has_its_own_budget(limited, make_user):
    client = limited(LOGIN_RATE_LIMIT="2 per minute", PROXY_FIX_X_FOR=1).test_client()
    person = make_user()
    first = [_attempt(client, person.email, headers={"X-Forwarded-For": "203.0.113.1"}) for _ in range(3)]
    other = _attempt(client, person.email, headers={"X-Forwarded-For": "203.0.113.2"})
    assert first == [401, 401, 429] and other == 401


def test_per_account_limit_holds_across_addresses(limited, make_user):
    client = limited(LOGIN_ACCOUNT_RATE_LIMIT="3 per minute").test_client()
    target, bystander = make_user(), make_user()
    statuses = [_attempt(client, f"  {target.email.upper()} ", environ_base={"REMOTE_ADDR": f"198.51.100.{n}"})
                for n in range(3)]
    assert statuses == [401, 401, 401]
    # The right password from a fresh address no longer helps the guesser (nor, for now, the owner).
    assert _attempt(client, target.email, DEFAULT_PASSWORD, environ_base={"REMOTE_ADDR": "198.51.100.99"}) == 429
    assert _attempt(client, bystander.email, DEFAULT_PASSWORD, environ_base={"REMOTE_ADDR": "198.51.100.1"}) == 302


def test_per_account_limit_is_the_same_for_an_unknown_address_and_counts_refusals_only(limited, make_user):
    client = limited(LOGIN_ACCOUNT_RATE_LIMIT="2 per minute").test_client()
    assert [_attempt(client, "nobody@example.org") for _ in range(3)] == [401, 401, 429]
    person = make_user()
    for _ in range(3):  # successful sign-ins are not refusals
        sign_in(client, person)
        client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
    assert _attempt(client, person.email) == 401


def _change(client, current: str, **request) -> int:
    token = csrf_token(client, "/account")
    return client.post("/account/password", data={"csrf_token": token, "current_password": current,
                                                  "new_password": "a completely new passphrase",
                                                  "confirm": "a completely new passphrase"}, **request).status_code


def test_password_change_is_limited_per_account_and_per_address(limited, make_user):
    client = limited(PASSWORD_CHANGE_RATE_LIMIT="2 per minute").test_client()
    person = make_user()
    sign_in(client, person)
    assert [_change(client, WRONG) for _ in range(2)] == [400, 400]
    assert _change(client, WRONG) == 429
    assert _change(client, WRONG, environ_base={"REMOTE_ADDR": "198.51.100.7"}) == 429  # per account
    assert _change(client, DEFAULT_PASSWORD) == 429  # each attempt is a hash: the limit holds for the right one too
    neighbour = make_user()
    second = client.application.test_client()
    sign_in(second, neighbour)
    assert _change(second, WRONG) == 429  # the same address has spent its budget too


# --------------------------------------------------------------------- the database storage itself


def test_database_storage_counts_atomically_and_windows_expire(app):
    from webapp.rate_limits import DatabaseStorage

    storage = DatabaseStorage()
    with app.app_context():
        results: list[int] = []
        lock = threading.Lock()

        def hammer() -> None:
            with app.app_context():
                for _ in range(20):
                    value = storage.incr("LIMITER/k/sign_in", 60)
                    with lock:
                        results.append(value)

        threads = [threading.Thread(target=hammer) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == list(range(1, 101))  # no lost update, no duplicate count
        assert storage.get("LIMITER/k/sign_in") == 100
        assert time.time() + 55 < storage.get_expiry("LIMITER/k/sign_in") <= time.time() + 60

        assert storage.incr("short", 1) == 1 and storage.incr("short", 1) == 2
        time.sleep(1.1)
        assert storage.get("short") == 0  # the window ran out
        assert storage.incr("short", 1) == 1  # a new window starts at 1, with a new expiry
        assert storage.get_expiry("short") > time.time()

        storage.incr("gone", 1)
        time.sleep(1.1)
        assert storage.purge_expired() >= 1
        from sqlalchemy import select

        from webapp.db import session
        from webapp.models import RateLimitCounter

        keys = set(session().scalars(select(RateLimitCounter.key)))
        assert "gone" not in keys and "LIMITER/k/sign_in" in keys
        storage.clear("LIMITER/k/sign_in")
        assert storage.get("LIMITER/k/sign_in") == 0
        assert storage.check() is True


def test_without_redis_the_limiter_uses_the_database_and_health_says_so(limited, make_user):
    node = limited(LOGIN_RATE_LIMIT="2 per minute")
    assert node.config["RATELIMIT_STORAGE_URI"] == "app-database://"
    body = node.test_client().get("/api/health").get_json()
    assert body["status"] == "ok" and body["rate_limits"] == {"status": "ok", "storage": "database"}
    assert body["search"] == {"status": "ok", "problems": []}


# --------------------------------------------------------------------- Redis down


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def revive_limiter():
    """The limiter object is shared by every app of the process: forget a dead storage after the test."""
    yield
    from webapp.extensions import limiter

    limiter._storage_dead = False


def test_redis_down_sign_in_keeps_working_logged_and_in_health(limited, make_user, monkeypatch, caplog,
                                                               revive_limiter):
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{_closed_port()}/0")
    node = limited(LOGIN_RATE_LIMIT="3 per minute")
    client = node.test_client()
    person = make_user()
    with caplog.at_level("WARNING"):
        assert _attempt(client, person.email) == 401  # not a 500
        assert _attempt(client, person.email, DEFAULT_PASSWORD) == 302
    assert "Rate limit storage unreachable" in caplog.text
    health = client.get("/api/health")
    assert health.status_code == 200
    body = health.get_json()
    assert body["status"] == "degraded"
    assert body["rate_limits"]["status"] == "degraded" and body["rate_limits"]["storage"] == "redis"
    # Meanwhile the worker counts in its own memory: still a limit, not none.
    fresh = node.test_client()
    assert [_attempt(fresh, person.email) for _ in range(2)] == [401, 429]


def test_expired_windows_are_purged_by_the_job_engine_once_across_nodes(app):
    """The purge is a periodic job (once per slot across every node), not work done inside requests."""
    from datetime import timedelta

    from sqlalchemy import select

    from webapp.db import session
    from webapp.jobs import claims, schedule
    from webapp.models import RateLimitCounter, utcnow
    from webapp.rate_limits import DatabaseStorage

    storage = DatabaseStorage()
    with app.app_context():
        storage.incr("expired", 1)
        storage.incr("live", 60)
        time.sleep(1.1)
        assert storage.incr("another", 60) == 1  # a hit no longer purges anything on the request path
        assert "expired" in set(session().scalars(select(RateLimitCounter.key)))
        session().rollback()
    job = schedule.periodic_job("rate_limits.purge")
    moment = utcnow()
    assert claims.run_once(app, job, moment) == 1
    assert claims.run_once(app, job, moment) is None  # the same slot on another node runs nothing
    with app.app_context():
        assert set(session().scalars(select(RateLimitCounter.key))) == {"live", "another"}
    assert claims.run_once(app, job, moment + timedelta(minutes=10)) == 0
