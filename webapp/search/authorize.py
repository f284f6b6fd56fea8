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
        self._levels: dict[str, dict[int, int]] = defaultdict(dict)
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

    def _level_of(self, kind: str, ids: set[int]) -> None:
        source = sources.get(kind)
        unknown = ids - set(self._levels[kind])
        if not unknown or source is None or source.reading_levels is None:
            return
        self.queries += 1
        found = source.reading_levels(self.db, self.viewer, sorted(unknown))
        for object_id in unknown:
            self._levels[kind][object_id] = found.get(object_id, -1)  # -1: no level, no variant serves it

    def _serves(self, info: DocInfo) -> bool:
        """An ordinary document serves every reader of its object; a reading-level variant only readers whose
        level it covers (tear lines): exactly one variant of an object per reader."""
        if info.reading_range is None:
            return True
        floor, ceiling = info.reading_range
        level = self._levels[info.source].get(info.object_id, -1)
        return floor <= level and (ceiling is None or level < ceiling)

    def serving(self, infos: Iterable[DocInfo]) -> set[str]:
        """The keys among `infos`, already known readable, whose reading-level variant is this viewer's: of an
        object's variants, only one serves each reader (tear lines; a backend deciding access in its own statement
        chooses the variant there instead)."""
        infos = list(infos)
        ranged: dict[str, set[int]] = defaultdict(set)
        for info in infos:
            if info.reading_range is not None:
                ranged[info.source].add(info.object_id)
        for kind, ids in ranged.items():
            self._level_of(kind, ids)
        return {info.key for info in infos if self._serves(info)}

    def allowed(self, infos: Iterable[DocInfo]) -> set[str]:
        """The keys among `infos` that the viewer may read now (of an object's variants, only the viewer's)."""
        infos = list(infos)
        by_kind: dict[str, set[int]] = defaultdict(set)
        for info in infos:
            by_kind[info.source].add(info.object_id)
        for kind, ids in by_kind.items():
            self._decide(kind, ids)
        return self.serving(info for info in infos if info.object_id in self._visible.get(info.source, ()))
