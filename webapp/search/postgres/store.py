"""Writing the index rows: documents (weighted tsvector) and their lexemes, on the caller's connection.

Every statement runs in the caller's transaction, so a document changes exactly when the change it describes
commits. Rows are written in key order and lexemes in term order: two transactions indexing overlapping items
take their row locks in the same order and cannot deadlock each other.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from webapp.search.backend import Document, fingerprint
from webapp.search.postgres.languages import QUERY_CONFIGS, config_for, texts_by_config

# One advisory lock id for the index: in-transaction writers share it, rebuild and the outbox applier hold it alone.
INDEX_LOCK = 0x5EA2C4

# Title weighs most (A), then keywords (B), then the body (D): ts_rank_cd reads only this document's weights. The
# title, keywords and body are analysed in the item's language (:config); each readable translation (issue 13) is
# analysed in its own language's configuration and weighs like the body.
_TRANSLATED = "".join(f" || setweight(to_tsvector('{config}', :tr_{config}), 'D')" for config in QUERY_CONFIGS)
_UPSERT = text(f"""
INSERT INTO search_documents
    (key, source, object_id, kind, date, tier, group_id, organisation_id, paragraphs, stakeholder, stage, country,
     round_id, fingerprint, vector, updated_at)
VALUES
    (:key, :source, :object_id, :kind, :date, :tier, :group_id, :organisation_id, CAST(:paragraphs AS json),
     :stakeholder, :stage, :country, :round_id, :fingerprint,
     setweight(to_tsvector(CAST(:config AS regconfig), :title), 'A')
       || setweight(to_tsvector(CAST(:config AS regconfig), :keywords), 'B')
       || setweight(to_tsvector(CAST(:config AS regconfig), :body), 'D'){_TRANSLATED},
     timezone('utc', now()))
ON CONFLICT (key) DO UPDATE SET
    source = excluded.source, object_id = excluded.object_id, kind = excluded.kind, date = excluded.date,
    tier = excluded.tier, group_id = excluded.group_id, organisation_id = excluded.organisation_id,
    paragraphs = excluded.paragraphs, stakeholder = excluded.stakeholder, stage = excluded.stage,
    country = excluded.country, round_id = excluded.round_id, fingerprint = excluded.fingerprint,
    vector = excluded.vector, updated_at = excluded.updated_at
""")

_TERMS = text("""
INSERT INTO search_terms (term, initial, length)
SELECT term, left(term, 1), least(length(term), 32767)
FROM (SELECT DISTINCT unnest(tsvector_to_array(vector)) AS term FROM search_documents WHERE key IN :keys) AS found
ORDER BY term
ON CONFLICT (term) DO NOTHING
""").bindparams(bindparam("keys", expanding=True))

_DELETE = text(
    "DELETE FROM search_documents WHERE key IN :keys RETURNING tsvector_to_array(vector)"
).bindparams(bindparam("keys", expanding=True))
# A removed document's words leave the suggestion dictionary unless another document still holds them (deleted
# content is found nowhere, issue 14). A separate statement: a CTE would still see the deleted rows.
_PRUNE_TERMS = text("""
DELETE FROM search_terms t WHERE t.term IN :terms
AND NOT EXISTS (SELECT 1 FROM search_documents d WHERE d.vector @@ quote_literal(t.term)::tsquery)
""").bindparams(bindparam("terms", expanding=True))

CHUNK = 500


def _row(document: Document) -> dict:
    info = document.info
    return {
        "key": info.key, "source": info.source, "object_id": info.object_id, "kind": info.kind, "date": info.date,
        "tier": info.tier, "group_id": info.group_id, "organisation_id": info.organisation_id,
        "paragraphs": json.dumps(list(info.paragraphs)), "stakeholder": info.stakeholder, "stage": info.stage,
        "country": info.country, "round_id": info.round_id, "fingerprint": fingerprint(document),
        "title": document.title or "", "keywords": document.keywords or "", "body": document.body or "",
        "config": config_for(document.language),
        **{f"tr_{config}": text for config, text in texts_by_config(document.translations).items()},
    }


def write(connection: Connection, documents: Iterable[Document], removed: Sequence[str] = ()) -> int:
    """Upsert `documents` and delete the `removed` keys; returns the number of documents written."""
    rows = sorted((_row(document) for document in documents), key=lambda row: row["key"])
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        connection.execute(_UPSERT, chunk)
        connection.execute(_TERMS, {"keys": [row["key"] for row in chunk]})
    keys = sorted(set(removed))
    gone_terms: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        for (terms,) in connection.execute(_DELETE, {"keys": keys[start : start + CHUNK]}):
            gone_terms.update(terms or ())
    candidates = sorted(gone_terms)
    for start in range(0, len(candidates), CHUNK):
        connection.execute(_PRUNE_TERMS, {"terms": candidates[start : start + CHUNK]})
    return len(rows)


def try_share_lock(connection: Connection) -> bool:
    """Take the index lock shared for this transaction, without waiting (False while a rebuild or the applier
    holds it: the caller then leaves its outbox entries queued for them)."""
    return bool(connection.scalar(text("SELECT pg_try_advisory_xact_lock_shared(:id)"), {"id": INDEX_LOCK}))


def lock_exclusively(connection: Connection, timeout: float) -> bool:
    """Take the index lock alone for this transaction, waiting at most `timeout` seconds."""
    if timeout <= 0:
        return bool(connection.scalar(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": INDEX_LOCK}))
    connection.execute(text("SELECT set_config('lock_timeout', :ms, true)"), {"ms": f"{int(timeout * 1000)}ms"})
    try:
        with connection.begin_nested():
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": INDEX_LOCK})
    except Exception as error:  # lock_timeout: SQLSTATE 55P03
        if getattr(getattr(error, "orig", None), "sqlstate", None) == "55P03":
            return False
        raise
    finally:
        connection.execute(text("SELECT set_config('lock_timeout', '0', true)"))
    return True
