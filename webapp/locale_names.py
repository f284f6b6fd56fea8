"""Names shown in the reader's language: languages (by their own name), countries (CLDR via Babel), Call titles."""
from __future__ import annotations

from functools import lru_cache

import pycountry
from babel import Locale
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l

# Each language is named in itself, so a reader who cannot read the current page still finds their own.
LANGUAGE_NAMES = {"ar": "العربية", "zh": "中文", "en": "English", "fr": "Français", "ru": "Русский", "es": "Español"}
RTL_LANGUAGES = {"ar", "fa", "he", "ur"}

# The titles of the Call's 25 paragraphs (seeds/call_paragraphs.json), marked here so pybabel extracts them; the
# database keeps the English title, and `call_title` looks the reader's translation up at render time.
CALL_TITLES = (
    _l("Impact on international security and stability"),
    _l("Potential of military AI at the service of humanity"),
    _l("Implications not yet fully understood"),
    _l("Comprehension, myth busting and AI literacy"),
    _l("Work already done by many actors"),
    _l("Human responsibility and accountability for decisions"),
    _l("Assessing risks across applications and contexts"),
    _l("Timely adoption, testing and assurance; exchanging lessons on risk mitigation"),
    _l("A holistic, inclusive approach with all stakeholders"),
    _l("Data governance across the lifecycle"),
    _l("Attention to all stages; public-private collaboration"),
    _l("Safeguards and human oversight"),
    _l("Understanding, education and training of personnel"),
    _l("Exchange of good practices and lessons learnt"),
    _l("Implementation differs per state; inclusion of developing countries"),
    _l("A continuing, balanced multi-stakeholder discussion"),
    _l("Global, inclusive dialogue on responsible military AI"),
    _l("Knowledge-building and capacity-building by states"),
    _l("National frameworks, strategies and principles"),
    _l("Initiatives by all stakeholders"),
    _l("Research by academia, knowledge institutes and think tanks"),
    _l("Methods and practical solutions from academia"),
    _l("Private sector good practices and policies"),
    _l("Multi-stakeholder dialogue on best practices"),
    _l("Join the Call to Action"),
)

# The labels of seeds/stakeholder_types.json, marked so pybabel extracts them (StakeholderType.display_label).
STAKEHOLDER_LABELS = (
    _l("State"),
    _l("International organisation"),
    _l("Private sector"),
    _l("Academia"),
    _l("Civil society"),
)


def reader_language() -> str:
    """The current locale's language code ('en' outside a request)."""
    locale = get_locale()
    return locale.language if locale is not None else "en"


def is_right_to_left(language: str) -> bool:
    """True for a script written right to left."""
    return language.split("_")[0] in RTL_LANGUAGES


def call_title(title: str) -> str:
    """A paragraph title of the Call in the reader's language (the English title when it has no translation)."""
    return gettext(title) if title else ""


@lru_cache(maxsize=16)
def _territories(language: str) -> dict[str, str]:
    return dict(Locale.parse(language).territories)


def country_name(code: str | None, language: str | None = None) -> str:
    """An ISO 3166-1 alpha-2 country's short name in the reader's language (CLDR), else English, else the code."""
    if not code:
        return ""
    code = code.upper()
    found = pycountry.countries.get(alpha_2=code)
    if found is None:  # CLDR also names codes that are no country (ZZ "Unknown Region"): show the code
        return code
    return _territories(language or reader_language()).get(code) or found.name


@lru_cache(maxsize=16)
def _country_choices(language: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(((c.alpha_2, country_name(c.alpha_2, language)) for c in pycountry.countries),
                        key=lambda pair: pair[1]))


def country_choices(language: str | None = None) -> list[tuple[str, str]]:
    """(alpha-2, name) for every ISO 3166-1 country, named and sorted in the reader's language."""
    return list(_country_choices(language or reader_language()))
