"""text search configurations per language for the PostgreSQL search backend (issue 13)

Each stems its language (Snowball) and drops the English stop words only, like the `english` configuration the
index already uses: a query word is then dropped by every configuration or kept by every one
(webapp/search/postgres/languages.py). Chinese has no stemmer or segmenter in PostgreSQL: `reaim_simple` only
lower-cases. Nothing on SQLite.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-02 01:00:00
"""
from alembic import op


revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

_TOKENS = "asciiword, asciihword, hword_asciipart, word, hword, hword_part"  # as `english` stems them
_STEMMED = {"reaim_french": "french", "reaim_spanish": "spanish", "reaim_russian": "russian",
            "reaim_arabic": "arabic"}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for config, language in _STEMMED.items():
        op.execute(f"CREATE TEXT SEARCH DICTIONARY {config}_stem (TEMPLATE = snowball, LANGUAGE = {language}, "
                   f"STOPWORDS = english)")
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION {config} (COPY = {language})")
        op.execute(f"ALTER TEXT SEARCH CONFIGURATION {config} ALTER MAPPING FOR {_TOKENS} WITH {config}_stem")
    op.execute("CREATE TEXT SEARCH DICTIONARY reaim_simple_dict (TEMPLATE = simple, STOPWORDS = english)")
    op.execute("CREATE TEXT SEARCH CONFIGURATION reaim_simple (COPY = simple)")
    op.execute(f"ALTER TEXT SEARCH CONFIGURATION reaim_simple ALTER MAPPING FOR {_TOKENS} WITH reaim_simple_dict")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for config in (*_STEMMED, "reaim_simple"):
        op.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {config}")
    for dictionary in (*(f"{config}_stem" for config in _STEMMED), "reaim_simple_dict"):
        op.execute(f"DROP TEXT SEARCH DICTIONARY IF EXISTS {dictionary}")
