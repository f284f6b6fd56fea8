"""Block-wise scoring (search/whoosh/rank.py) gives every hit exactly the score Whoosh's own matchers give it.

The index has several segments and deleted documents, so global document numbers, offsets and deletions are all
exercised; the queries are the boolean shapes the parser produces.
"""
from __future__ import annotations

import random

import pytest
from whoosh import query as wq

from webapp.search.backend import DocInfo, Document
from webapp.search.whoosh.backend import WhooshBackend
from webapp.search.whoosh.rank import local_scores

WORDS = "human oversight operator trust sensor fusion drone swarm legal review doctrine cyber".split()


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    rng = random.Random(7)
    index = WhooshBackend(tmp_path_factory.mktemp("rank-index"))
    for batch in range(4):  # four commits: several segments
        with index.writer(timeout=5) as writer:
            for n in range(batch * 60, batch * 60 + 60):
                body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 400)))
                title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6)))
                writer.update(Document(DocInfo(f"submission:{n}", "lesson_learnt", n, 0, None, None), title, body))
    with index.writer(timeout=5) as writer:  # deletions, and updates that move documents to a new segment
        for n in range(0, 240, 9):
            writer.remove(f"submission:{n}")
        for n in range(1, 240, 13):
            writer.update(Document(DocInfo(f"submission:{n}", "lesson_learnt", n, 0, None, None), "drone", "human"))
    yield index
    index.close()


QUERIES = [
    "human", "human oversight", "human OR drone", "doctrine NOT cyber", "operator trust sensor",
    "(human OR operator) AND (trust OR sensor)", "drone OR drone", "legal AND NOT (cyber OR sensor)",
    "human OR (drone AND NOT swarm)",
]


@pytest.mark.parametrize("text", QUERIES)
def test_each_hit_scores_as_whoosh_scores_it(backend, text):
    parsed = backend.parse(text)
    with backend.snapshot() as snap:
        handles = set(snap._docsets.evaluate(parsed))
        assert handles, text
        expected = {hit.docnum: hit.score for hit in snap.searcher.search(parsed, filter=handles, limit=None)}
        computed = local_scores(parsed, handles, snap._scores, snap._docsets.evaluate)
    assert computed is not None
    assert computed.keys() == expected.keys()
    for docnum, score in expected.items():
        assert computed[docnum] == pytest.approx(score, rel=1e-12, abs=1e-12), (text, docnum)


def test_only_the_given_documents_are_scored(backend):
    parsed = backend.parse("human")
    with backend.snapshot() as snap:
        some = set(sorted(snap._docsets.evaluate(parsed))[:5])
        assert set(local_scores(parsed, some, snap._scores, snap._docsets.evaluate)) == some


@pytest.mark.parametrize("text", ['"human oversight"', "hum*"])
def test_phrases_and_prefixes_are_left_to_whoosh(backend, text):
    parsed = backend.parse(text)
    with backend.snapshot() as snap:
        handles = set(snap._docsets.evaluate(parsed))
        assert handles
        assert local_scores(parsed, handles, snap._scores, snap._docsets.evaluate) is None
        ranked = snap.rank(parsed, handles, 10)  # and ranking still answers, through Whoosh
    assert len(ranked) == 10 and ranked == sorted(ranked, key=lambda pair: -pair[1])


def test_a_boosted_term_is_left_to_whoosh(backend):
    with backend.snapshot() as snap:
        handles = set(snap._docsets.evaluate(wq.Term("text", "human")))
        assert local_scores(wq.Term("text", "human", boost=2.0), handles, snap._scores,
                            snap._docsets.evaluate) is None


@pytest.mark.parametrize("text", QUERIES + ['"human oversight"', "hum*", "human OR NOT drone"])
def test_set_algebra_matches_exactly_what_whoosh_matches(backend, text):
    """search/whoosh/sets.py (counts and facets) finds the same documents as Whoosh's own matcher, deletions included."""
    parsed = backend.parse(text)
    with backend.snapshot() as snap:
        assert set(snap._docsets.evaluate(parsed)) == set(snap.searcher.docs_for_query(parsed)), text
