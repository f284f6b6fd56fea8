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
    return {
        "SECRET_KEY": load_secret_key(folder),
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{folder / 'reaim.sqlite3'}"),
        "SEARCH_INDEX_DIR": os.environ.get("SEARCH_INDEX_DIR", str(folder / "search-index")),
        "SEARCH_BACKEND": os.environ.get("SEARCH_BACKEND", "whoosh"),
        # Apply the search outbox right after each commit that queued something (else: `flask search apply`).
        "SEARCH_APPLY_AFTER_COMMIT": _bool("SEARCH_APPLY_AFTER_COMMIT", True),
        "SEARCH_LOCK_TIMEOUT": float(os.environ.get("SEARCH_LOCK_TIMEOUT", 1.0)),
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
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
        "MAIL_OUTBOX_FILE": os.environ.get("MAIL_OUTBOX_FILE", str(folder / "mail.log")),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "LANGUAGES": ["en"],
    }
