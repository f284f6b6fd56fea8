"""The PostgreSQL backend's own mechanics: the index is written in the change's transaction (so another node
finds it on its next request, with no applier), a failure while indexing keeps the change and queues it, a
rebuild is checked and atomic; and the query language becomes a tsquery without user text reaching its syntax.
The user-visible behaviour is tested on every backend by the rest of the search suite."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.search_helpers import indexer_on  # noqa: F401  (autouse)
from tests.search_helpers import publish, search_json, titles
from webapp import create_app
from webapp import db as dbmod
from webapp.db import session
from webapp.models import SearchOutboxEntry
from webapp.search import engine, maintenance, outbox_worker
from webapp.search.backend import RebuildIncomplete
from webapp.search.postgres import store, terms, tsquery

on_postgres = pytest.mark.search_backends("postgres")


@pytest.fixture
def people(make_user):
    return {"author": make_user(clearance="restricted"),
            "reviewer": make_user(clearance="restricted", roles=("facilitator",))}


def _queued(app) -> list[tuple[str, int, int]]:
    with app.app_context():
        return [tuple(row) for row in session().execute(
            select(SearchOutboxEntry.kind, SearchOutboxEntry.object_id, SearchOutboxEntry.attempts))]


@on_postgres
def test_a_committed_write_is_found_through_another_node_with_no_applier(app, people, monkeypatch, tmp_path):
    monkeypatch.setattr(dbmod, "_after_commit_hooks", [])  # no after-commit applier: only the transaction indexes
    other_node = create_app({**app.config, "INSTANCE_PATH": str(tmp_path / "node-b"),
                             "SEARCH_INDEX_DIR": str(tmp_path / "node-b-index")})
    item = publish(app, people["author"], people["reviewer"], title="Quokka survey", summary="quokka census")
    assert _queued(app) == []
    assert titles(search_json(other_node.test_client(), "quokka")[1]) == ["Quokka survey"]
    assert f"submission:{item.id}" in engine.backend(other_node).keys()
    other_node.extensions["db_engine"].dispose()


@on_postgres
def test_a_failure_while_indexing_keeps_the_change_and_queues_it(app, people, client, monkeypatch):
    def broken(*_args, **_kwargs):
        raise OSError("index write failed")

    with monkeypatch.context() as patch:
        patch.setattr(store, "write", broken)
        item = publish(app, people["author"], people["reviewer"], title="Numbat trial", summary="numbat")
    assert item.id and ("submission", item.id) in {(kind, object_id) for kind, object_id, _ in _queued(app)}
    report = outbox_worker.apply_pending(app, timeout=1.0)
    assert not report.failed and _queued(app) == []
    assert titles(search_json(client, "numbat")[1]) == ["Numbat trial"]


@on_postgres
def test_a_short_rebuild_is_refused_and_leaves_the_index_as_it_was(app, people, monkeypatch):
    publish(app, people["author"], people["reviewer"], title="Wombat one", summary="wombat")
    publish(app, people["author"], people["reviewer"], title="Wombat two", summary="wombat")
    before = engine.backend(app).fingerprints()
    real_write = store.write
    monkeypatch.setattr(store, "write", lambda connection, documents, removed=(): real_write(
        connection, list(documents)[:-1], removed) + 1)  # drops one document, reports all
    with pytest.raises(RebuildIncomplete):
        maintenance.rebuild(app)
    monkeypatch.undo()
    assert engine.backend(app).fingerprints() == before
    assert maintenance.rebuild(app) == 2 and maintenance.find_drift(app).total == 0


@on_postgres
def test_status_reports_the_database_index(app, people):
    publish(app, people["author"], people["reviewer"], title="Bandicoot", summary="bandicoot")
    state = engine.backend(app).status()
    assert state["backend"] == "postgres" and state["documents"] == 1 and state["last_modified"] > 0


@pytest.mark.parametrize("text, expected", [
    ("kiwi", "word:kiwi"),
    ("x1 y1 OR z1", "and(word:x1, or(word:y1, word:z1))"),
    ("x1 AND y1 OR z1", "or(and(word:x1, word:y1), word:z1)"),
    ("x1 OR y1 AND z1", "or(word:x1, and(word:y1, word:z1))"),
    ("NOT x1 y1", "and(not(word:x1), word:y1)"),
    ("x1 ANDNOT y1 z1", "and(and(word:x1, not(word:y1)), word:z1)"),
    ("x1 ANDMAYBE y1", "word:x1"),
    ('"human oversight" aut*', "and(phrase:human oversight, prefix:aut)"),
    ("x1 AND", "word:x1"),
    ("OR y1", "word:y1"),
    ("(x1 OR) y1", "and(word:x1, word:y1)"),
    ("AND OR NOT", "None"),
])
def test_the_query_language_parses_as_the_whoosh_parser_groups_it(text, expected):
    def show(node):
        if node is None:
            return "None"
        if node.children:
            return f"{node.op}({', '.join(show(child) for child in node.children)})"
        return f"{node.op}:{node.text}"

    assert show(tsquery.parse(text)) == expected


def test_prefixes_reach_to_tsquery_as_letters_and_digits_only():
    leaves = tsquery.leaves(tsquery.parse("o'brien's\\x:* & !|<->* plain"))
    prefixes = [str(value) for column in tsquery.leaf_columns(leaves) for value in column.compile().params.values()
                if str(value).endswith(":*")]
    assert prefixes and all(re.fullmatch(r"'[^\W_]+':\*", value) for value in prefixes), prefixes
    assert tsquery.lexeme_query("it's\\") == "'it''s\\\\'"


def test_edit_distance_equals_the_whoosh_backends():
    from whoosh.support.levenshtein import damerau_levenshtein

    pairs = [("cormorant", "comorant"), ("oversight", "oversihgt"), ("kiwi", "kiwis"), ("abc", "cab"),
             ("", "abc"), ("navig", "navog"), ("judgement", "judgment"), ("ca", "abc")]
    assert [terms.edit_distance(a, b) for a, b in pairs] == [damerau_levenshtein(a, b) for a, b in pairs]


def test_each_word_is_looked_up_once_per_distinct_form_and_a_stop_word_is_dropped_everywhere():
    """A query word becomes the OR of its forms in the languages' configurations (issue 13), each distinct form
    once; an English stop word (one in every configuration) leaves the query, NOT of it too."""
    tree = tsquery.parse("the drills NOT les")
    assert [leaf.text for leaf in tsquery.leaves(tree)] == ["the", "drills", "les"]
    per_config = len(tsquery.QUERY_CONFIGS)
    texts = ([""] * per_config + ["'drill'"] * (per_config - 1) + ["'drills'"]
             + ["'les'", "'le'"] + ["'les'"] * (per_config - 2))
    assert tsquery.to_text(tree, texts) == "( ( 'drill' ) | ( 'drills' ) ) & ( !( ( 'les' ) | ( 'le' ) ) )"
    assert tsquery.to_text(tsquery.parse("NOT the"), [""] * per_config) == ""
    assert tsquery.to_text(tsquery.parse("oversight"), ["'oversight'"] * per_config) == "'oversight'"
