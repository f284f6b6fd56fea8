"""The database's identity and search position, checked against the stamp an index keeps (DESIGN.md §4).

An index kept apart from the database (Whoosh) records with each commit the database's random id and a position:
the number of index commits so far. The database's row is bumped BEFORE each commit (under the index write lock),
so at any time the database's position is the index's, or one more when a commit failed or a process died between
the two. Anything else means the two are out of step:
- another database id: the index was built from another database (a copied directory, a different deployment);
- index ahead: the database was restored from a backup taken before the index's last commits;
- index behind: the index directory was restored from an older copy (changes applied since are lost to it).
Each is answered by a rebuild; until then searches say the index is being repaired and writes stay queued.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from webapp.models import DatabaseIdentity
from webapp.search.backend import IndexStamp, IndexUnavailable, IndexWriter, SearchBackend


class IndexOutOfStep(IndexUnavailable):
    """The index was not built from this database's current state (see the module docstring)."""


@dataclass(frozen=True)
class Identity:
    database_id: str
    position: int


def _sessionmaker(app: Flask):
    return app.extensions["db_sessionmaker"]


def load(app: Flask) -> Identity:
    """This database's identity row, created on first use if missing (migration 0022 creates it)."""
    with _sessionmaker(app)() as db:
        row = db.execute(select(DatabaseIdentity.database_id, DatabaseIdentity.search_position)
                         .where(DatabaseIdentity.id == 1)).first()
    if row is not None:
        return Identity(row[0], int(row[1]))
    try:
        with _sessionmaker(app).begin() as db:
            db.add(DatabaseIdentity(id=1, database_id=secrets.token_hex(16), search_position=0))
    except IntegrityError:  # another worker created it first
        pass
    return load(app)


# How often problems() reads again when another process committed to the index while it was reading.
_READ_ATTEMPTS = 5


def problems(app: Flask, backend: SearchBackend, identity: Identity | None = None) -> list[dict]:
    """What is out of step between the index's stamp and this database ([] when in step or not applicable).
    `identity` is given by a caller that holds the index write lock, so nothing moves while it compares."""
    if not backend.keeps_separate_index:
        return []
    if identity is not None:
        return _compare(backend.index_stamp(), identity)
    # Without the lock another worker may commit between the two reads: read the database first and the index
    # after a commit, and the index looks "ahead" of a database that is merely read a moment too early (a reader
    # got a 503 "restored from a backup?" under a write storm). The database is bumped before the index, so a
    # database row read between two equal reads of the stamp was read while the index stood at that stamp.
    stamp = backend.index_stamp()
    for _attempt in range(_READ_ATTEMPTS):
        identity = load(app)
        again = backend.index_stamp()
        if again == stamp:
            break
        stamp = again
    return _compare(stamp, identity)


def _compare(stamp: IndexStamp | None, identity: Identity) -> list[dict]:
    if stamp is None:  # new, or written before stamps existed: in step while nothing (but a failed commit) was
        if identity.position <= 1:
            return []
        return [{"code": "unstamped", "detail": "out of step: the index does not record which database it was "
                 "built from, but this database has been indexed before"}]
    if stamp.database_id != identity.database_id:
        return [{"code": "foreign", "detail": "out of step: the index was built from another database "
                 f"({stamp.database_id[:8]}…, this one is {identity.database_id[:8]}…)"}]
    if stamp.position > identity.position:
        return [{"code": "ahead", "detail": f"out of step: the index is at change {stamp.position}, the database "
                 f"only at {identity.position} (was the database restored from a backup?)"}]
    if stamp.position < identity.position - 1:
        return [{"code": "behind", "detail": f"out of step: the index is at change {stamp.position}, the database "
                 f"at {identity.position} (was the index directory restored from an older copy?)"}]
    return []


def _bump(app: Flask, position: int) -> None:
    with _sessionmaker(app).begin() as db:
        db.execute(update(DatabaseIdentity).where(DatabaseIdentity.id == 1,
                                                  DatabaseIdentity.search_position < position)
                   .values(search_position=position))


def advance(app: Flask, backend: SearchBackend, writer: IndexWriter) -> None:
    """Under the write lock, before a commit: refuse an out-of-step index, else bump the database and stamp."""
    if not backend.keeps_separate_index:
        return
    identity = load(app)
    found = problems(app, backend, identity)
    if found:
        raise IndexOutOfStep(found[0]["detail"])
    stamp = backend.index_stamp()
    position = (stamp.position if stamp is not None else identity.position) + 1
    _bump(app, position)
    writer.stamp(IndexStamp(identity.database_id, position))


def stamp_for_rebuild(app: Flask) -> IndexStamp:
    """The stamp of a full rebuild from the database as it is now (the database's position is bumped first)."""
    identity = load(app)
    position = identity.position + 1
    _bump(app, position)
    return IndexStamp(identity.database_id, position)


def never_indexed(app: Flask) -> bool:
    """Has no index commit ever been recorded for this database? (then a missing index is simply not built yet)"""
    return load(app).position == 0
