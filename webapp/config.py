"""Settings from the environment and the instance folder; nothing secret lives in the code."""
from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _list(name: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, "").split(",") if part.strip()]


DEVELOPMENT_PUBLIC_URL = "http://127.0.0.1:8000"
# Names a probe on the host itself uses (curl http://127.0.0.1:8000/api/health); links never use the Host header.
LOOPBACK_HOSTS = ["localhost", "127.0.0.1"]
# The six official languages of the United Nations; each but English has a complete catalogue in
# webapp/translations/<code>/ (tests/test_i18n_catalogues.py), compiled by `make install`.
DEFAULT_LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")


def public_url() -> str:
    """The canonical base URL of every absolute link (PUBLIC_URL), without a trailing slash."""
    return (os.environ.get("PUBLIC_URL", "").strip() or DEVELOPMENT_PUBLIC_URL).rstrip("/")


def trusted_hosts(base_url: str) -> list[str]:
    """TRUSTED_HOSTS from the environment (comma-separated), else PUBLIC_URL's host and the loopback names."""
    from urllib.parse import urlsplit

    configured = _list("TRUSTED_HOSTS")
    if configured:
        return configured
    return list(dict.fromkeys([urlsplit(base_url).hostname or "localhost", *LOOPBACK_HOSTS]))


def instance_path() -> Path:
    """The instance folder: REAIM_INSTANCE_PATH, else ./instance beside the project."""
    return Path(os.environ.get("REAIM_INSTANCE_PATH", PROJECT_ROOT / "instance")).resolve()


def load_secret_key(folder: Path) -> str:
    """SECRET_KEY from the environment, else from instance/secret_key (generated once, mode 0600)."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = folder / "secret_key"
    if key_file.exists():
        key = key_file.read_text().strip()
        if key:
            return key
        key_file.unlink()  # an empty file (a crash mid-write) would mean no key at all
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Write a private temporary file, then link it into place: the key file appears complete or not at all,
    # and when two gunicorn workers start at once the second one to link reads the first one's key.
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".secret_key-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        try:
            os.link(temporary, key_file)
        except FileExistsError:
            return key_file.read_text().strip()
    finally:
        os.unlink(temporary)
    return key


def build_config(folder: Path) -> dict:
    """All settings, read once at start-up."""
    base_url = public_url()
    return {
        "SECRET_KEY": load_secret_key(folder),
        "PUBLIC_URL": base_url,
        # A request for any other Host answers 400 (Flask checks it when the request is routed).
        "TRUSTED_HOSTS": trusted_hosts(base_url),
        # Reverse-proxy hops trusted for X-Forwarded-For / -Proto / -Host. 0 = reached directly: the headers are
        # ignored, so a client cannot choose the address the rate limits count or the host links point at.
        "PROXY_FIX_X_FOR": _int("PROXY_FIX_X_FOR", 0),
        "PROXY_FIX_X_PROTO": _int("PROXY_FIX_X_PROTO", 0),
        "PROXY_FIX_X_HOST": _int("PROXY_FIX_X_HOST", 0),
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{folder / 'reaim.sqlite3'}"),
        # The Retry-After of the 503 page shown while the database cannot be reached (webapp/errors.py).
        "DATABASE_RETRY_AFTER_SECONDS": _int("DATABASE_RETRY_AFTER_SECONDS", 15),
        "SEARCH_INDEX_DIR": os.environ.get("SEARCH_INDEX_DIR", str(folder / "search-index")),
        # whoosh (an index directory per node) or postgres (the index in the database, for several nodes); empty:
        # postgres when DATABASE_URL is PostgreSQL, else whoosh (webapp/search/engine.py decides).
        "SEARCH_BACKEND": os.environ.get("SEARCH_BACKEND", "").strip().lower(),
        # Apply the search outbox right after each commit that queued something (else: `flask search apply`).
        "SEARCH_APPLY_AFTER_COMMIT": _bool("SEARCH_APPLY_AFTER_COMMIT", True),
        "SEARCH_LOCK_TIMEOUT": float(os.environ.get("SEARCH_LOCK_TIMEOUT", 1.0)),
        # A search applies at most this many queued index updates itself; the job engine drains the rest.
        "SEARCH_INLINE_APPLY_LIMIT": int(os.environ.get("SEARCH_INLINE_APPLY_LIMIT", 50)),
        # How long a form's idempotency key leads a repeated POST to what the first one created.
        "FORM_KEY_RETENTION_HOURS": float(os.environ.get("FORM_KEY_RETENTION_HOURS", 24)),
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        # Counts and facets cached per audience class and data generation (webapp/counts/): memory (per worker),
        # redis (shared; the default with REDIS_URL) or off; entries of an old generation expire after SECONDS.
        "COUNT_CACHE": os.environ.get("COUNT_CACHE", "").strip().lower(),
        "COUNT_CACHE_SIZE": _int("COUNT_CACHE_SIZE", 2000),
        "COUNT_CACHE_SECONDS": _int("COUNT_CACHE_SECONDS", 300),
        # The limiter's storage (Redis with REDIS_URL, else the application database) and its failure
        # behaviour are set by webapp.rate_limits.configure() from the final settings.
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        # Failed sign-ins per account (normalised e-mail), from any address: rotating addresses gains nothing.
        "LOGIN_ACCOUNT_RATE_LIMIT": os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "10 per minute;30 per hour"),
        "PASSWORD_CHANGE_RATE_LIMIT": os.environ.get("PASSWORD_CHANGE_RATE_LIMIT", "5 per minute;20 per hour"),
        "REGISTER_RATE_LIMIT": os.environ.get("REGISTER_RATE_LIMIT", "5 per minute;30 per hour"),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 512 * 1024)),
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", True),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "reaim_session",
        "REMEMBER_COOKIE_SECURE": True,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PERMANENT_SESSION_LIFETIME": int(os.environ.get("SESSION_LIFETIME_SECONDS", 8 * 3600)),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session; expiry is the session's
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", 587)),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", True),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "REAIM Exchange <no-reply@localhost>"),
        "CONTACT_EMAIL": os.environ.get("CONTACT_EMAIL", ""),  # shown on /contact; empty: the page says so
        "MAIL_OUTBOX_FILE": os.environ.get("MAIL_OUTBOX_FILE", str(folder / "mail.log")),
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT", 10)),
        # Delivery (webapp/services/mail_delivery.py): retries with back-off base·2^(n-1), capped; then failed.
        "MAIL_MAX_ATTEMPTS": int(os.environ.get("MAIL_MAX_ATTEMPTS", 8)),
        "MAIL_RETRY_BASE_SECONDS": float(os.environ.get("MAIL_RETRY_BASE_SECONDS", 60)),
        "MAIL_RETRY_MAX_SECONDS": float(os.environ.get("MAIL_RETRY_MAX_SECONDS", 6 * 3600)),
        "MAIL_SEND_LEASE_SECONDS": float(os.environ.get("MAIL_SEND_LEASE_SECONDS", 300)),
        # After its own mails, a delivery job sends other due mail over the same connection for up to this long.
        "MAIL_DRAIN_SECONDS": float(os.environ.get("MAIL_DRAIN_SECONDS", 5)),
        # The job engine (webapp/jobs/): sqlite (embedded, one node), redis (shared by several nodes), immediate.
        "JOBS_BACKEND": os.environ.get("JOBS_BACKEND") or ("redis" if os.environ.get("REDIS_URL") else "sqlite"),
        "JOBS_SQLITE_FILE": os.environ.get("JOBS_SQLITE_FILE", str(folder / "jobs.sqlite3")),
        "JOBS_WORKERS": int(os.environ.get("JOBS_WORKERS", 2)),
        "JOBS_POLL_MAX_DELAY": float(os.environ.get("JOBS_POLL_MAX_DELAY", 1.0)),
        # The job engine drains search-outbox entries older than this (younger ones are the request's to apply).
        "SEARCH_IDLE_SECONDS": float(os.environ.get("SEARCH_IDLE_SECONDS", 5)),
        # Figures by stakeholder type in Chatham House and hidden-roster rounds: a cell under this is shown as
        # "fewer than N" (DESIGN.md rule 11, webapp/policy/small_cells.py). Never below 2.
        "SMALL_CELL_THRESHOLD": max(2, _int("SMALL_CELL_THRESHOLD", 3)),
        # Posts a thread page shows (queries_dialogue/threads.py): Discourse loads 20 at a time, FlaskBB pages 10-20.
        "THREAD_PAGE_SIZE": max(1, _int("THREAD_PAGE_SIZE", 20)),
        # Data governance (issue 14; DESIGN.md "Retention", the privacy notice reads these): days kept.
        "DATA_EXPORT_DAYS": _int("DATA_EXPORT_DAYS", 7),  # a ready personal data export, then deleted
        "RETENTION_AUDIT_ADDRESS_DAYS": _int("RETENTION_AUDIT_ADDRESS_DAYS", 90),  # audit rows keep no IP after
        "RETENTION_ENDED_SESSION_DAYS": _int("RETENTION_ENDED_SESSION_DAYS", 30),  # after sign-out or expiry
        "RETENTION_SENT_MAIL_DAYS": _int("RETENTION_SENT_MAIL_DAYS", 30),  # sent/failed outgoing mail, mail log
        "RETENTION_SEARCH_OUTBOX_DAYS": _int("RETENTION_SEARCH_OUTBOX_DAYS", 7),  # stuck search-outbox entries
        "RETENTION_DELETED_POST_DAYS": _int("RETENTION_DELETED_POST_DAYS", 30),  # deleted/hidden posts keep text
        # Review dates (issue 14): an item's default review date is this many days after publication, by kind;
        # its originator is reminded REVIEW_REMINDER_DAYS before it lapses.
        "REVIEW_DEFAULT_DAYS": {"lesson_learnt": _int("REVIEW_DAYS_LESSON_LEARNT", 730),
                                "good_practice": _int("REVIEW_DAYS_GOOD_PRACTICE", 730),
                                "responsible_ai_policy": _int("REVIEW_DAYS_RESPONSIBLE_AI_POLICY", 365),
                                "outcome_synthesis": _int("REVIEW_DAYS_OUTCOME_SYNTHESIS", 1095)},
        "REVIEW_REMINDER_DAYS": _int("REVIEW_REMINDER_DAYS", 30),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "LANGUAGES": list(DEFAULT_LANGUAGES),
    }
