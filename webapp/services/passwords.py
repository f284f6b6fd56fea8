"""Password hashing (Argon2id, memory-hard) and strength rules."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 256  # long passphrases welcome; beyond this it is abuse, not a password
ZXCVBN_MAX_LENGTH = 72

_hasher = PasswordHasher()  # argon2id, 64 MiB, t=3: the library's RFC 9106 "low memory" profile
# Compared against when the e-mail is unknown, so both paths cost one Argon2 verification.
_DUMMY_HASH = _hasher.hash("not-a-real-password-for-timing-only")


def hash_password(password: str) -> str:
    """Hash a password for storage."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password; costs the same whether or not there is a stored hash."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, *, user_inputs: list[str] = ()) -> str | None:
    """Why a new password is not acceptable, or None when it is."""
    if len(password) < MIN_LENGTH:
        return str(_l("Use at least %(n)d characters; a passphrase of several words is best.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        return str(_l("Use at most %(n)d characters.", n=MAX_LENGTH))
    # zxcvbn knows the common-password lists, keyboard walks, dates and repeats. It refuses input longer than
    # 72 characters (ValueError), so a long passphrase is judged by its first 72: plenty to spot a weak one.
    result = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=[value[:ZXCVBN_MAX_LENGTH] for value in user_inputs if value])
    if result["score"] < 3:
        return str(_l("This password is too common or too easy to guess. Try a longer passphrase."))
    return None
