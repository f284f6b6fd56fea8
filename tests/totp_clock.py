"""The TOTP clock of the in-process tests: real time plus whole 30-second steps skipped on demand.

The server refuses a code for a step it has already accepted, as it must. A test that signs one person in several
times would otherwise sleep until that person's phone shows a fresh code: up to 30 s for each sign-in. The servers
these tests run (the app in-process, the browser tests' threaded server) read `second_factor.clock`, so moving this
clock on makes the next step's code current at once. The replay rule itself is unchanged and still tested.
"""
from __future__ import annotations

import time

import pyotp

from webapp.services import second_factor


class TotpClock:
    """time.time() plus an offset that only grows, by whole steps, within one test."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def reset(self) -> None:
        """Back to real time (each test starts there, so pyotp's own .now() agrees with the server)."""
        self.offset = 0.0

    def step(self) -> int:
        """The current 30-second step as the server sees it."""
        return int(self() // 30)

    def skip_step(self) -> None:
        """Move on by one 30-second step."""
        self.offset += 30


CLOCK = TotpClock()
second_factor.clock = CLOCK


def fresh_code(secret: str, after_step: int | None) -> tuple[int, str]:
    """(step, code) for the first step the server accepts now that is later than `after_step`, moving the clock on
    a step when the whole window is spent."""
    while True:
        now = CLOCK.step()
        # never an earlier step: it could fall out of the window if a 30-second boundary passes meanwhile
        for step in range(now, now + second_factor.DRIFT_STEPS + 1):
            if after_step is None or step > after_step:
                return step, pyotp.TOTP(secret).generate_otp(step)
        CLOCK.skip_step()


# By secret, not by user id: ids start again at 1 in every test (the tables are emptied), secrets do not.
_last_step_by_secret: dict[str, int] = {}


def phone_code(secret: str) -> str:
    """The code a person's phone shows for the first step this process has not used yet for `secret` (for tests
    that only hold the secret, such as the browser tests, which cannot read the server's last accepted step)."""
    step, code = fresh_code(secret, _last_step_by_secret.get(secret))
    _last_step_by_secret[secret] = step
    return code
