"""Rate limits that hold: counters in Redis (several nodes) or in the application database (one node, every
worker), client and account keys, fail-open behaviour when the storage is down, and its health (DESIGN.md §7)."""
from __future__ import annotations

import hashlib
import logging
import time

from flask import Flask, current_app, request
from flask_login import current_user
from limits.storage import Storage
from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from webapp.models import RateLimitCounter

log = logging.getLogger(__name__)

DATABASE_SCHEME = "app-database"


class DatabaseStorage(Storage):
    """A `limits` storage on the current app's database: one atomic upsert per hit, on SQLite and PostgreSQL."""

    STORAGE_SCHEME = [DATABASE_SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **_options) -> None:
        # Options meant for other storages (Redis timeouts) may reach here through the shared limiter: ignored.
        super().__init__(uri, wrap_exceptions=wrap_exceptions)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    @staticmethod
    def _engine():
        # The engine of the app serving this request: the limiter object is shared by every app of a process.
        return current_app.extensions["db_engine"]

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add `amount` to the window of `key`, starting a new window of `expiry` seconds if it has run out."""
        now = time.time()
        engine = self._engine()
        table = RateLimitCounter.__table__
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        ran_out = table.c.expires_at <= now
        statement = (
            dialect.insert(table)
            .values(key=key, hits=amount, expires_at=now + expiry)
            .on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "hits": case((ran_out, amount), else_=table.c.hits + amount),
                    "expires_at": case((ran_out, now + expiry), else_=table.c.expires_at),
                },
            )
            .returning(table.c.hits)
        )
        with engine.begin() as connection:
            hits = connection.execute(statement).scalar_one()
        return hits

    def _live(self, column, key: str):
        with self._engine().connect() as connection:
            return connection.scalar(
                select(column).where(RateLimitCounter.key == key, RateLimitCounter.expires_at > time.time())
            )

    def get(self, key: str) -> int:
        """Hits in the running window of `key` (0 when none runs)."""
        return self._live(RateLimitCounter.hits, key) or 0

    def get_expiry(self, key: str) -> float:
        """When the running window of `key` ends (now when none runs)."""
        return self._live(RateLimitCounter.expires_at, key) or time.time()

    def check(self) -> bool:
        """Whether the database answers."""
        try:
            with self._engine().connect() as connection:
                connection.scalar(select(1))
            return True
        except Exception:  # a health check reports, it does not raise
            log.warning("rate-limit storage (database) unreachable", exc_info=True)
            return False

    def reset(self) -> int | None:
        """Forget every counter."""
        with self._engine().begin() as connection:
            return connection.execute(delete(RateLimitCounter)).rowcount

    def clear(self, key: str) -> None:
        """Forget the counter of `key`."""
        with self._engine().begin() as connection:
            connection.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))

    def purge_expired(self) -> int:
        """Delete the windows that have run out; returns how many."""
        with self._engine().begin() as connection:
            return connection.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at <= time.time())).rowcount


def configure(app: Flask) -> None:
    """Choose the limiter's storage from the final settings: Redis with REDIS_URL, else the app's database."""
    redis_url = app.config.get("REDIS_URL")
    app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url or f"{DATABASE_SCHEME}://")
    if redis_url:  # an unreachable Redis must cost a request half a second at most, not a hang
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 0.5, "socket_timeout": 0.5})
    # Storage down: log it, count in this worker's memory meanwhile and re-check the storage with back-off;
    # sign-in keeps working (issue 12), and /api/health says so.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)

    @app.cli.command("purge-rate-limits")
    def purge_rate_limits() -> None:
        """Delete expired rate-limit windows from the database (the job engine also does it every ten minutes)."""
        print(f"Purged {DatabaseStorage().purge_expired()} expired rate-limit windows.")


def purge_expired_windows(app: Flask) -> int:
    """The periodic job: expired windows are harmless (the next hit restarts them) but would pile up."""
    if storage_kind(app) != "database":
        return 0  # Redis expires its own keys
    with app.app_context():
        return DatabaseStorage().purge_expired()


def storage_kind(app: Flask) -> str:
    """'redis', 'database' or 'memory': where the counters live."""
    scheme = str(app.config.get("RATELIMIT_STORAGE_URI", "")).partition("://")[0]
    if scheme == DATABASE_SCHEME:
        return "database"
    return "redis" if "redis" in scheme else scheme or "memory"


def health(app: Flask) -> dict:
    """The limiter's state for /api/health: {status: ok|degraded|disabled, storage, detail?}."""
    from webapp.extensions import limiter

    kind = storage_kind(app)
    if not app.config.get("RATELIMIT_ENABLED", True):
        return {"status": "disabled", "storage": kind}
    try:
        reachable = bool(limiter.storage.check())
    except Exception:
        log.warning("rate-limit storage check failed", exc_info=True)
        reachable = False
    if reachable:
        return {"status": "ok", "storage": kind}
    return {"status": "degraded", "storage": kind,
            "detail": "storage unreachable: limits are counted per worker until it answers again"}


def account_key_for_sign_in() -> str:
    """The per-account key of a sign-in attempt: a hash of the normalised e-mail (known or not, the same way)."""
    from webapp.services.accounts import normalise_email

    email = normalise_email(request.form.get("email", ""))[:254]
    return "account:" + hashlib.sha256(email.encode()).hexdigest()


def signed_in_account_key() -> str:
    """The per-account key of a signed-in user's credential check (the address when nobody is signed in)."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return request.remote_addr or "unknown"
