"""ISO 3166-1 country choices."""
from __future__ import annotations

from functools import lru_cache

import pycountry


@lru_cache(maxsize=1)
def country_choices() -> list[tuple[str, str]]:
    """(alpha-2, name) for every ISO 3166-1 country, by name."""
    return sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda pair: pair[1])


def is_country(code: str) -> bool:
    """True for an ISO 3166-1 alpha-2 code."""
    return bool(code) and pycountry.countries.get(alpha_2=code.upper()) is not None
