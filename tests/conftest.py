"""Fixtures: an app on a migrated database (SQLite, or PostgreSQL via TEST_DATABASE_URL), factories, signed-in clients."""
from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text

from webapp import create_app
from webapp.db import Base, unit_of_work
from webapp.models import AccountStatus, Organisation, SharingGroup, Tier, User
from webapp.services import passwords, seeding

DEFAULT_PASSWORD = "orbit lantern quietly harvest"

# Argon2 at production cost makes every sign-in take ~100 ms; the algorithm is the same, only cheaper.
passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
passwords._DUMMY_HASH = passwords._hasher.hash("timing-dummy")


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    # Each xdist worker gets its own PostgreSQL database beside the given one.
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """One database per test session, migrated to head through Alembic (so migrations are exercised)."""
    url = _database_url(tmp_path_factory)
    engine = create_engine(url)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    from alembic import command

    from webapp.cli import alembic_config

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance-migrate"))})
    with app.app_context():
        command.upgrade(alembic_config(), "head")
    return url


def _truncate_all(engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{name}"' for name in tables) + " RESTART IDENTITY CASCADE"))
            conn.commit()
        else:
            # Tables are emptied children first, so foreign keys stay on (a PRAGMA inside the transaction would be
            # a no-op, and one outside it would leave the pooled connection without foreign keys).
            for name in tables:
                conn.execute(text(f'DELETE FROM "{name}"'))
            conn.commit()
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.fixture
def app(database_url, tmp_path):
    """A fresh app per test on an emptied database with the reference data loaded."""
    application = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SEARCH_INDEX_DIR": str(tmp_path / "search-index"),
            # Domain tests assert the outbox rows their services queue; search tests switch the indexer on.
            "SEARCH_APPLY_AFTER_COMMIT": False,
            "MAIL_OUTBOX_FILE": str(tmp_path / "mail.log"),
            "RATELIMIT_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
        }
    )
    _truncate_all(application.extensions["db_engine"])
    with application.app_context():
        seeding.load_reference_data()
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture
def ctx(app):
    """An application context, for calling services and queries directly."""
    with app.test_request_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


_counter = itertools.count(1)


@pytest.fixture
def make_org(app) -> Callable[..., Organisation]:
    """Create an organisation: make_org(stakeholder_type='state', country='NL', verified=True, name=None)."""

    def factory(stakeholder_type: str = "state", country: str = "NL", verified: bool = True, name: str | None = None):
        with app.test_request_context(), unit_of_work() as db:
            org = Organisation(
                name=name or f"Organisation {next(_counter)}",
                stakeholder_type_code=stakeholder_type,
                country=country,
                verified=verified,
            )
            db.add(org)
        return org

    return factory


@pytest.fixture
def make_user(app, make_org) -> Callable[..., User]:
    """Create a user: make_user(clearance='community', roles=(), org=None, status='active', password=DEFAULT_PASSWORD)."""

    def factory(
        clearance: str | Tier = "community",
        roles: tuple[str, ...] = (),
        org: Organisation | None = None,
        status: str = "active",
        password: str = DEFAULT_PASSWORD,
        name: str | None = None,
        email: str | None = None,
        groups: tuple[SharingGroup, ...] = (),
    ) -> User:
        organisation = org or make_org()
        n = next(_counter)
        with app.test_request_context(), unit_of_work() as db:
            user = User(
                name=name or f"Person {n}",
                email=email or f"person{n}@example.org",
                password_hash=passwords.hash_password(password),
                organisation_id=organisation.id,
                status=AccountStatus(status),
                is_facilitator="facilitator" in roles,
                is_admin="admin" in roles,
                clearance=clearance if isinstance(clearance, Tier) else Tier.from_code(clearance),
            )
            db.add(user)
            db.flush()
            # keep the loaded groups referenced until the commit: the session holds them only weakly
            stored_groups = [db.get(SharingGroup, group.id) for group in groups]
            for stored in stored_groups:
                stored.users.append(user)
        return user

    return factory


@pytest.fixture
def make_group(app) -> Callable[..., SharingGroup]:
    """Create a sharing group with the given organisations and users."""

    def factory(name: str | None = None, organisations=(), users=()) -> SharingGroup:
        with app.test_request_context(), unit_of_work() as db:
            group = SharingGroup(name=name or f"Group {next(_counter)}", description="")
            db.add(group)
            db.flush()
            for org in organisations:
                group.organisations.append(db.get(Organisation, org.id))
            for user in users:
                group.users.append(db.get(User, user.id))
        return group

    return factory


def csrf_token(client, path: str = "/sign-in") -> str:
    """Fetch a page and return the CSRF token in its first form."""
    page = client.get(path)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)) or re.search(
        r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)
    )
    assert match, f"no CSRF token on {path} ({page.status_code})"
    return match.group(1)


def sign_in(client, user: User, password: str = DEFAULT_PASSWORD):
    """Sign `client` in as `user` through the real form."""
    response = client.post(
        "/sign-in", data={"email": user.email, "password": password, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def client_for(app) -> Callable[[User | None], object]:
    """A new test client signed in as `user` (anonymous for None)."""

    def factory(user: User | None):
        new_client = app.test_client()
        if user is not None:
            sign_in(new_client, user)
        return new_client

    return factory


@pytest.fixture
def form_token() -> Callable[..., str]:
    """csrf_token(client, path) as a fixture."""
    return csrf_token


@pytest.fixture
def query_counter(app) -> Iterator[Callable[[], int]]:
    """Counts SQL statements executed on the app's engine (for N+1 tests)."""
    from sqlalchemy import event

    count = {"n": 0}

    def _count(*_args, **_kwargs):
        count["n"] += 1

    engine = app.extensions["db_engine"]
    event.listen(engine, "before_cursor_execute", _count)

    class Counter:
        def reset(self) -> None:
            count["n"] = 0

        @property
        def value(self) -> int:
            return count["n"]

    yield Counter()
    event.remove(engine, "before_cursor_execute", _count)


@pytest.fixture
def row_counts(app) -> Callable[[], dict[str, int]]:
    """Row counts of every table: compare before and after to prove that nothing changed."""

    def snapshot() -> dict[str, int]:
        with app.extensions["db_engine"].connect() as conn:
            return {
                table.name: conn.scalar(text(f'SELECT COUNT(*) FROM "{table.name}"'))
                for table in Base.metadata.sorted_tables
            }

    return snapshot


@pytest.fixture
def audit_rows(app) -> Callable[..., list]:
    """The audit events (optionally only those whose action starts with a prefix), oldest first."""
    from sqlalchemy import select

    from webapp.models import AuditEvent

    def fetch(prefix: str = "") -> list:
        with app.app_context():
            from webapp.db import session

            stmt = select(AuditEvent).order_by(AuditEvent.id)
            if prefix:
                stmt = stmt.where(AuditEvent.action.startswith(prefix))
            rows = list(session().scalars(stmt))
            session().expunge_all()
            return rows

    return fetch


def without_csrf(body: str | bytes) -> str:
    """A page without its CSRF token: signed-in pages carry one (in the sign-out form) whose signature includes a
    timestamp, so two otherwise identical pages differ when a second passes between them."""
    text = body.decode() if isinstance(body, bytes) else body
    return re.sub(r'name="csrf_token" (type="hidden" )?value="[^"]+"', 'name="csrf_token" value=""', text)
