"""Fixtures of the cluster tests: a fresh PostgreSQL database per module (dropped afterwards), the Redis database
the coordinator gave this suite (CLUSTER_REDIS_URL, emptied first), and a migrated, seeded world."""
from __future__ import annotations

import os
import uuid

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.cluster import world

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def server_url() -> str:
    """The PostgreSQL server of TEST_DATABASE_URL (make test-cluster sets it)."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("the cluster tests need PostgreSQL: make test-cluster (TEST_DATABASE_URL=postgresql+psycopg://…)")
    return url


class Databases:
    """Creates databases beside the server's and drops them all at the end."""

    def __init__(self, server_url: str) -> None:
        self.base = make_url(server_url)
        self.admin = create_engine(self.base, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def create(self, label: str) -> str:
        name = f"cluster_{label}_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.base.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as connection:
            for name in self.created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="module")
def databases(server_url):
    pool = Databases(server_url)
    yield pool
    pool.drop_all()


@pytest.fixture(scope="module")
def redis_url() -> str:
    """CLUSTER_REDIS_URL (default db 5), emptied: the job queue and rate-limit counters of this suite only."""
    url = os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/5")
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.RedisError as error:
        pytest.fail(f"the cluster tests need Redis at {url}: {error}")
    finally:
        client.close()
    return url


@pytest.fixture(scope="module")
def seeded_database(databases, tmp_path_factory) -> tuple[str, world.World]:
    """A fresh database migrated and seeded through the CLI, with the test's people and a thread."""
    url = databases.create("main")
    return url, world.prepare(url, tmp_path_factory.mktemp("operator"))
