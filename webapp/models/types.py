"""Column types shared by the models: access tiers and timezone-aware UTC timestamps."""
from __future__ import annotations

import enum
from datetime import datetime, timezone

from sqlalchemy import DateTime, SmallInteger
from sqlalchemy.types import TypeDecorator


class Tier(enum.IntEnum):
    """Access tiers, ordered; each maps to a Traffic Light Protocol label (DESIGN.md §2)."""

    PUBLIC = 0
    COMMUNITY = 1
    RESTRICTED = 2
    CONFIDENTIAL = 3

    @property
    def code(self) -> str:
        return self.name.lower()

    @property
    def tlp(self) -> str:
        return {0: "TLP:CLEAR", 1: "TLP:GREEN", 2: "TLP:AMBER", 3: "TLP:RED"}[self.value]

    @classmethod
    def from_code(cls, code: str) -> "Tier":
        """Parse 'public' … 'confidential'; raises ValueError on anything else."""
        try:
            return cls[str(code).strip().upper()]
        except KeyError:
            raise ValueError(f"unknown tier {code!r}") from None


class TierType(TypeDecorator):
    """Stores a Tier as a small integer so that 'tier <= clearance' is a plain SQL comparison."""

    impl = SmallInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else int(Tier(value))

    def process_result_value(self, value, dialect):
        return None if value is None else Tier(value)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC on every engine and hands back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)
