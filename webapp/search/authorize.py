"""The database's word on every candidate the index proposes (DESIGN.md §4): policy.visible() per source."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy.orm import Session

from webapp.policy import Viewer
from webapp.search import sources
from webapp.search.backend import DocInfo

# Above this many unchecked ids of one kind, fetching every visible id of the kind once is cheaper than IN lists.
FULL_SET_THRESHOLD = 400


class Authorizer:
    """Decides candidates for one viewer during one request, remembering each decision (never across requests)."""

    def __init__(self, db: Session, viewer: Viewer):
        self.db, self.viewer = db, viewer
        self._visible: dict[str, set[int]] = defaultdict(set)
        self._checked: dict[str, set[int]] = defaultdict(set)
        self._complete: set[str] = set()
        self.queries = 0

    def _decide(self, kind: str, ids: set[int]) -> None:
        source = sources.get(kind)
        if source is None or kind in self._complete:
            return
        unchecked = ids - self._checked[kind]
        if not unchecked:
            return
        self.queries += 1
        if len(unchecked) > FULL_SET_THRESHOLD:
            self._visible[kind] = source.visible_ids(self.db, self.viewer, None)
            self._complete.add(kind)
        else:
            self._visible[kind].update(source.visible_ids(self.db, self.viewer, sorted(unchecked)))
            self._checked[kind].update(unchecked)

    def allowed(self, infos: Iterable[DocInfo]) -> set[str]:
        """The keys among `infos` that the viewer may read now."""
        infos = list(infos)
        by_kind: dict[str, set[int]] = defaultdict(set)
        for info in infos:
            by_kind[info.source].add(info.object_id)
        for kind, ids in by_kind.items():
            self._decide(kind, ids)
        return {info.key for info in infos if info.object_id in self._visible.get(info.source, ())}
