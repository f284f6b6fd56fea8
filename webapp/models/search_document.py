"""The PostgreSQL search backend's index, kept in the database itself (DESIGN.md §4, webapp/search/postgres/).

One row per index document, keyed like the Whoosh index ("<kind>:<id>"); the DocInfo fields are columns, so a
reading-level variant of an item is just another row. The tables exist on every dialect (one schema, one
migration chain); only PostgreSQL fills them, and only there is `vector` a tsvector with a GIN index.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, SmallInteger, String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base
from webapp.models.types import UTCDateTime, utcnow

VECTOR_TYPE = Text().with_variant(TSVECTOR(), "postgresql")


class SearchDocument(Base):
    """One indexed document: identity, facets, coarse access fields, the weighted tsvector and a fingerprint."""

    __tablename__ = "search_documents"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    source: Mapped[str] = mapped_column(String(40))  # the search source (outbox kind)
    object_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))  # the display kind
    date: Mapped[int] = mapped_column(BigInteger)  # seconds since the epoch (UTC)
    tier: Mapped[int] = mapped_column(SmallInteger)
    group_id: Mapped[int | None] = mapped_column(Integer)
    organisation_id: Mapped[int | None] = mapped_column(Integer)
    paragraphs: Mapped[list] = mapped_column(JSON)
    stakeholder: Mapped[str] = mapped_column(String(40))
    stage: Mapped[str] = mapped_column(String(40))
    country: Mapped[str] = mapped_column(String(8))
    round_id: Mapped[int | None] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(32))
    vector: Mapped[str | None] = mapped_column(VECTOR_TYPE)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_search_documents_source_object", "source", "object_id"),
        Index("ix_search_documents_vector", "vector", postgresql_using="gin"),
    )


class SearchTerm(Base):
    """Every lexeme of the indexed documents ("did you mean" candidates); looked up by first letter and length.
    Stale terms are harmless: a candidate counts only through the readable documents that contain it."""

    __tablename__ = "search_terms"

    term: Mapped[str] = mapped_column(Text, primary_key=True)
    initial: Mapped[str] = mapped_column(String(4))
    length: Mapped[int] = mapped_column(SmallInteger)

    __table_args__ = (Index("ix_search_terms_initial_length", "initial", "length"),)
