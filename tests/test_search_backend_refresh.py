"""A worker's searcher follows the index that another worker writes, even when a merge races with it.

Found by the gunicorn -w 4 test: Whoosh's `Searcher.refresh()` reuses the old segment readers; when opening the new
segment fails because another worker's merge deleted a file mid-open, Whoosh closes the readers it did not reuse,
retries with the same (now closed) readers and fails the request with ReaderClosed. The race is made certain here by
failing the first segment open, exactly as a vanished file does.
"""
from __future__ import annotations

import pytest
from whoosh import query as wq
from whoosh import reading

from webapp.search.backend import DocInfo, Document, IndexUnavailable
from webapp.search.whoosh.backend import WhooshBackend


def _document(n: int, word: str = "kiwi") -> Document:
    return Document(DocInfo(f"submission:{n}", "lesson_learnt", n, 0, None, None), f"Lesson {n}", f"{word} body")


@pytest.fixture
def segment_open_fails_once(monkeypatch):
    """The next SegmentReader open raises OSError (a segment file deleted by a merge), later ones work."""
    real_init = reading.SegmentReader.__init__
    pending = {"failures": 0}

    def flaky_init(self, *args, **kwargs):
        if pending["failures"] > 0:
            pending["failures"] -= 1
            raise OSError("segment file removed by a concurrent merge")
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(reading.SegmentReader, "__init__", flaky_init)

    def arm() -> None:
        pending["failures"] = 1

    return arm


def test_a_search_after_another_worker_merged_segments_survives_a_vanished_file(tmp_path, segment_open_fails_once):
    writer_worker, reader_worker = WhooshBackend(tmp_path), WhooshBackend(tmp_path)
    with writer_worker.writer(timeout=5) as writer:
        writer.update(_document(1))
    with reader_worker.snapshot() as snap:
        assert len(snap.matching(wq.Term("text", "kiwi"), None)) == 1

    with writer_worker.writer(timeout=5) as writer:  # a second small segment: merged with the first on commit
        writer.update(_document(2))
    segment_open_fails_once()
    with reader_worker.snapshot() as snap:
        assert sorted(info.key for _n, info in snap.matching(wq.Term("text", "kiwi"), None)) == [
            "submission:1", "submission:2"]

    with writer_worker.writer(timeout=5) as writer:  # and the worker keeps following later generations
        writer.update(_document(3, word="kiwi"))
    with reader_worker.snapshot() as snap:
        assert len(snap.matching(wq.Term("text", "kiwi"), None)) == 3
    reader_worker.close()


def test_a_failed_reopen_fails_that_search_only_and_the_next_one_opens_again(tmp_path, monkeypatch):
    writer_worker, reader_worker = WhooshBackend(tmp_path), WhooshBackend(tmp_path)
    with writer_worker.writer(timeout=5) as writer:
        writer.update(_document(1))
    with reader_worker.snapshot():
        pass
    with writer_worker.writer(timeout=5) as writer:
        writer.update(_document(2))
    real_index = reader_worker._index

    class Unreadable:
        def searcher(self, **_kwargs):
            raise OSError("index directory unreadable for a moment")

    monkeypatch.setattr(reader_worker, "_index", lambda: Unreadable())
    with pytest.raises(IndexUnavailable, match="damaged"):  # the page says "being repaired", never a 500
        with reader_worker.snapshot():
            pass
    monkeypatch.setattr(reader_worker, "_index", real_index)
    with reader_worker.snapshot() as snap:
        assert len(snap.matching(wq.Term("text", "kiwi"), None)) == 2
    reader_worker.close()
