"""ISO 3166-1 country choices (named in the reader's language: webapp/locale_names.py)."""
from __future__ import annotations

import pycountry

from webapp.locale_names import country_choices

__all__ = ["country_choices", "is_country"]


def is_country(code: str) -> bool:
    """True for an ISO 3166-1 alpha-2 code."""
    return bool(code) and pycountry.countries.get(alpha_2=code.upper()) is not None
