"""The index-stamp check against the database (search/identity.py) under writes from other processes: an index that
moves on while the check reads is not taken for an index ahead of a restored database (a reader got a 503 "was the
database restored from a backup?" in the four-worker write storm of tests/test_search_concurrency.py)."""
from __future__ import annotations

from webapp.search import identity
from webapp.search.backend import IndexStamp

DB = "0123456789abcdef0123456789abcdef"


class _Index:
    """A separate index whose stamp reads come from a script: what another worker's commits make it show."""

    keeps_separate_index = True

    def __init__(self, positions: list[int]) -> None:
        self.positions = positions
        self.reads = 0

    def index_stamp(self) -> IndexStamp:
        position = self.positions[min(self.reads, len(self.positions) - 1)]
        self.reads += 1
        return IndexStamp(DB, position)


def _database(monkeypatch, positions: list[int]) -> None:
    reads = iter(positions)
    monkeypatch.setattr(identity, "load", lambda app: identity.Identity(DB, next(reads)))


def test_a_commit_between_the_two_reads_is_not_a_restored_database(monkeypatch):
    # Another worker bumps the database to 36 and commits the index at 36 just after this check read the database
    # at 35: the stamp moved while reading, so the check reads again and finds both at 36.
    index = _Index([35, 36, 36])
    _database(monkeypatch, [35, 36])
    assert identity.problems(None, index) == []
    assert index.reads == 3


def test_a_burst_of_commits_is_followed_until_the_stamp_holds_still(monkeypatch):
    index = _Index([35, 36, 37, 38, 38])
    _database(monkeypatch, [36, 37, 38, 38])
    assert identity.problems(None, index) == []


def test_a_database_really_behind_the_index_is_still_found(monkeypatch):
    # Restored from a backup taken at change 30: the index holds still at 36, the database stays at 30.
    index = _Index([36])
    _database(monkeypatch, [30, 30])
    found = identity.problems(None, index)
    assert [problem["code"] for problem in found] == ["ahead"]
    assert "index is at change 36, the database only at 30" in found[0]["detail"]


def test_an_index_really_behind_the_database_is_still_found(monkeypatch):
    index = _Index([20])
    _database(monkeypatch, [36])
    assert [problem["code"] for problem in identity.problems(None, index)] == ["behind"]


def test_a_caller_under_the_write_lock_compares_once(monkeypatch):
    # advance() holds the write lock: nothing moves, so its identity is compared with one read of the stamp.
    index = _Index([36])
    monkeypatch.setattr(identity, "load", lambda app: (_ for _ in ()).throw(AssertionError("read the database")))
    assert identity.problems(None, index, identity.Identity(DB, 36)) == []
    assert index.reads == 1
