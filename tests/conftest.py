"""Fixtures: an app on a migrated database (SQLite, or PostgreSQL via TEST_DATABASE_URL), factories, signed-in clients."""
from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterator

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text

from webapp import create_app
from webapp.db import Base, unit_of_work
from webapp.models import AccountStatus, Organisation, SharingGroup, Tier, User, organisation_focal_points, utcnow
from webapp.services import passwords, seeding
from tests.totp_clock import CLOCK as TOTP_CLOCK
from tests.totp_clock import fresh_code

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
        # A test database need not wait for each commit's WAL flush; a crash of the server would lose it anyway.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def search_backends() -> list[str]:
    """The search backends the suite runs against: Whoosh always, PostgreSQL too on a PostgreSQL database."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    return ["whoosh", "postgres"] if url.startswith("postgresql") else ["whoosh"]


def pytest_generate_tests(metafunc):
    """Every test that uses `search_backend` (the search suite, through search_helpers.indexer_on) runs once per
    backend; `@pytest.mark.search_backends("whoosh")` keeps an engine-mechanics test to its engine."""
    if "search_backend" not in metafunc.fixturenames:
        return
    names = search_backends()
    marker = metafunc.definition.get_closest_marker("search_backends")
    if marker is not None:
        names = [name for name in names if name in marker.args]
    # A test only for a backend this database cannot serve (PostgreSQL on SQLite) is deselected, not skipped.
    metafunc.parametrize("search_backend", names or [_NO_BACKEND], indirect=True, ids=names or ["unavailable"])


_NO_BACKEND = "unavailable"


def _database_engine() -> str:
    """The database engine of this test run: "postgresql" or "sqlite"."""
    return "postgresql" if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql") else "sqlite"


def pytest_collection_modifyitems(config, items):
    """Drop the tests pytest_generate_tests found no backend for, and those `@pytest.mark.databases(...)` keeps to
    another database engine (deselected, not skipped: they were not run, so they must not count as passed)."""
    kept, dropped = [], []
    engine = _database_engine()
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        databases = item.get_closest_marker("databases")
        elsewhere = databases is not None and engine not in databases.args
        (dropped if params.get("search_backend") == _NO_BACKEND or elsewhere else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(autouse=True)
def _totp_clock_at_real_time():
    """Every test starts with the TOTP clock at real time (a previous test may have moved it on)."""
    TOTP_CLOCK.reset()


@pytest.fixture
def search_backend(request) -> str:
    """The search backend of this test run (parametrized by pytest_generate_tests)."""
    return request.param


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


def _empty_all_tables(engine) -> None:
    """Delete every row, children first, and start every id sequence again at 1.

    DELETE, not TRUNCATE, on PostgreSQL too: TRUNCATE makes new files for each of the 46 tables and their indexes,
    150 ms per test on a quiet machine and seconds under load, where DELETE of a test's few rows takes 10 ms. On
    SQLite foreign keys stay on (a PRAGMA inside the transaction would be a no-op, and one outside it would leave
    the pooled connection without foreign keys)."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.connect() as conn:
        for name in tables:
            conn.execute(text(f'DELETE FROM "{name}"'))
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'"))
        else:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        conn.commit()


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
            # Jobs run in-process at once (the real job code; tests/test_jobs_consumer.py runs real consumers).
            "JOBS_BACKEND": "immediate",
            "RATELIMIT_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
        }
    )
    _empty_all_tables(application.extensions["db_engine"])
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
    """Create a user (roles: facilitator, admin, focal_point): make_user(clearance='community', roles=(), org=None, status='active', password=DEFAULT_PASSWORD,
    second_factor=True, email_verified=True). With a second factor (the default) the user carries `totp_secret`, and
    `sign_in` below answers the code step with pyotp, as a person would with their phone."""

    def factory(
        clearance: str | Tier = "community",
        roles: tuple[str, ...] = (),
        org: Organisation | None = None,
        status: str = "active",
        password: str = DEFAULT_PASSWORD,
        name: str | None = None,
        email: str | None = None,
        groups: tuple[SharingGroup, ...] = (),
        second_factor: bool = True,
        email_verified: bool = True,
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
                email_verified_at=utcnow() if email_verified else None,
                totp_secret=pyotp.random_base32() if second_factor else None,
                second_factor_enrolled_at=utcnow() if second_factor else None,
            )
            db.add(user)
            db.flush()
            if "focal_point" in roles:
                db.execute(organisation_focal_points.insert().values(organisation_id=organisation.id, user_id=user.id))
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


def totp_code(app, user: User) -> str:
    """The code `user`'s phone would show that the server still accepts: codes are single-use, so a user signed in
    twice within one 30-second step gets the next step's code (accepted as clock drift), and after that the test's
    TOTP clock moves on a step (tests/totp_clock.py) instead of the test sleeping."""
    from webapp.db import session as db_session

    with app.app_context():
        stored = db_session().get(User, user.id)
        secret, last = stored.totp_secret, stored.totp_last_counter
    return fresh_code(secret, last)[1]


def sign_in(client, user: User, password: str = DEFAULT_PASSWORD):
    """Sign `client` in as `user` through the real forms (password, then the TOTP code when enrolled)."""
    response = client.post(
        "/sign-in", data={"email": user.email, "password": password, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    if response.headers["Location"].startswith("/sign-in/second-factor"):
        location = response.headers["Location"]
        response = client.post(location, data={"code": totp_code(client.application, user),
                                               "csrf_token": csrf_token(client, location)})
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
    """Row counts of every table: compare before and after to prove that nothing changed. The database's identity
    row (search/identity.py) is left out: the first request to consult the search index creates it, as it would
    create the index itself; it records no one's act."""

    def snapshot() -> dict[str, int]:
        with app.extensions["db_engine"].connect() as conn:
            return {
                table.name: conn.scalar(text(f'SELECT COUNT(*) FROM "{table.name}"'))
                for table in Base.metadata.sorted_tables if table.name != "database_identity"
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


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free loopback port for the duration of one test (see tests/smtp_server.py)."""
    from tests.smtp_server import SMTPServer

    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_app(app, smtp_server):
    """The test app sending its mail to the real SMTP server of `smtp_server`."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_USE_TLS=False)
    return app


def pytest_configure(config):
    """Compile the translation catalogues once (in the controller, before xdist workers start): a clean clone has
    only the .po files, and `make install` is not always run before pytest."""
    if hasattr(config, "workerinput"):
        return
    from babel.messages.frontend import CommandLineInterface

    from webapp.config import PROJECT_ROOT

    translations = PROJECT_ROOT / "webapp" / "translations"
    if any(translations.glob("*/LC_MESSAGES/messages.po")):
        CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(translations)])
