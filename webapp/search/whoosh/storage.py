"""Where the Whoosh index lives on disk: versioned directories under SEARCH_INDEX_DIR and a pointer to the current one.

    SEARCH_INDEX_DIR/
        CURRENT        the name of the version directory readers open (replaced atomically: os.replace)
        write.lock     held (fcntl) by every writer, including a rebuild, so nothing is applied to an old version
        v<ns>-<hex>/   one complete Whoosh index, plus stamp.json (database id and outbox position of its last commit)

Why: a rebuild writes a NEW version directory while readers keep searching the current one, then swaps the pointer
(DESIGN.md §4, "rebuild and swap"). A damaged or deleted version is never repaired in place; it is replaced.
An index written before versioning (Whoosh files directly in SEARCH_INDEX_DIR) is read as the current version.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from webapp.search.backend import IndexBusy, IndexReadOnly, IndexStamp

POINTER = "CURRENT"
STAMP = "stamp.json"
WRITE_LOCK = "write.lock"
VERSION_PREFIX = "v"
_READ_ONLY_ERRORS = (errno.EACCES, errno.EPERM, errno.EROFS)


class IndexRoot:
    """The directory holding every version of the index."""

    def __init__(self, root: Path):
        self.root = root

    # ------------------------------------------------------------ which version is current

    def current(self) -> Path | None:
        """The current version's directory; None when there is none (never built, or deleted)."""
        try:
            name = (self.root / POINTER).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return self.root if has_index(self.root) else None
        except NotADirectoryError:
            return None
        if not name or "/" in name or name.startswith("."):
            return None
        return self.root / name

    def pointer_token(self) -> tuple:
        """Changes whenever the pointer is swapped (os.replace gives a new inode), read with one stat."""
        try:
            info = os.stat(self.root / POINTER)
        except OSError:
            return ("legacy-or-missing", self.root.exists())
        return (info.st_ino, info.st_mtime_ns)

    def new_version(self) -> Path:
        """A fresh, empty version directory (not yet current)."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"{VERSION_PREFIX}{time.time_ns()}-{secrets.token_hex(3)}"
        path.mkdir()
        return path

    def swap_to(self, version: Path) -> None:
        """Make `version` current in one atomic step; readers open it on their next search."""
        temporary = self.root / f".{POINTER}.{secrets.token_hex(4)}"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(version.name)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.root / POINTER)
        _fsync_dir(self.root)

    def remove_old_versions(self, keep: set[Path]) -> None:
        """Delete versions other than `keep` (the current and the previous one: a search begun just before the
        swap may still open files of the previous one)."""
        keep_names = {path.name for path in keep}
        for path in self.root.glob(f"{VERSION_PREFIX}*-*"):
            if path.is_dir() and path.name not in keep_names:
                shutil.rmtree(path, ignore_errors=True)

    def remove_legacy_files(self) -> None:
        """Delete an index written before versioning directly in the directory (once a version replaced it)."""
        for pattern in ("_MAIN_*.toc", "MAIN_*.seg", "MAIN_*.pst", "MAIN_WRITELOCK", ".create.lock", STAMP):
            for path in self.root.glob(pattern):
                if path.is_file():
                    path.unlink(missing_ok=True)

    # ------------------------------------------------------------ writing

    def writable(self) -> bool:
        """Can this process create files here? (a real attempt: permission bits say nothing to root)"""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / f".probe-{os.getpid()}-{secrets.token_hex(3)}"
            probe.touch()
            probe.unlink()
            return True
        except OSError:
            return False

    @contextmanager
    def write_lock(self, timeout: float) -> Iterator[None]:
        """The one writer lock over every version; IndexBusy after `timeout`, IndexReadOnly if it cannot be taken."""
        if not self.writable():
            raise IndexReadOnly(f"the search index directory {self.root} is not writable by this process")
        try:
            handle = open(self.root / WRITE_LOCK, "a")
        except OSError as error:
            if error.errno in _READ_ONLY_ERRORS:
                raise IndexReadOnly(f"the search index directory {self.root} is not writable by this process") from error
            raise
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexBusy(f"search index locked by another writer for more than {timeout:.1f}s") from None
                    time.sleep(0.02)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            handle.close()


def has_index(version: Path) -> bool:
    """Is there a Whoosh index here (a table of contents), readable or not? (whoosh's exists_in raises on damage)"""
    try:
        return any(version.glob("_MAIN_*.toc"))
    except OSError:
        return False


def read_stamp(version: Path) -> IndexStamp | None:
    """The stamp of a version's last commit; None when it has none (or it cannot be read)."""
    try:
        raw = json.loads((version / STAMP).read_text(encoding="utf-8"))
        return IndexStamp(str(raw["database_id"]), int(raw["position"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_stamp(version: Path, stamp: IndexStamp) -> None:
    """Replace a version's stamp atomically (a reader sees the old one or the new one, never half)."""
    temporary = version / f".{STAMP}.{secrets.token_hex(4)}"
    temporary.write_text(json.dumps({"database_id": stamp.database_id, "position": stamp.position}), encoding="utf-8")
    os.replace(temporary, version / STAMP)


def _fsync_dir(path: Path) -> None:
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
