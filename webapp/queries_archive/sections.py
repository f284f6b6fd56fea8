"""An item as one reader sees it (tear lines, DESIGN.md rule 10): the sections they may read, and nothing else.

`reader_item` wraps a Submission already loaded through policy. A section the reader may not read is shown exactly
as an empty section is (no heading, no marker, "" in exports), so the composed item is complete for them. Which
sections are readable is decided by webapp.policy.sections only.
"""
from __future__ import annotations

from typing import Any

from webapp.models import Submission, Tier
from webapp.models.submission import MARKDOWN_FIELDS
from webapp.policy import Viewer
from webapp.policy.sections import readable_section_tier, readable_snapshot_fields, readable_sections


class ReaderItem:
    """A read-only view of a submission for one reader: unreadable sections are empty, each readable one keeps
    its tier. Everything else is the submission's own attribute."""

    def __init__(self, item: Submission, readable: list[str]):
        self._item = item
        self._readable = frozenset(readable)
        self._hidden = {name for name in MARKDOWN_FIELDS[item.kind] if name not in self._readable}

    @property
    def submission(self) -> Submission:
        """The underlying row (for policy checks and links, never for text)."""
        return self._item

    def __getattr__(self, name: str) -> Any:
        base, _sep, suffix = name.rpartition("_")
        if suffix in ("source", "html") and base in self._hidden:
            return ""
        return getattr(self._item, name)

    def __getitem__(self, name: str) -> Any:  # templates write item[name ~ '_html']
        return getattr(self, name)

    def section_tier(self, name: str) -> Tier:
        """A readable section's tier; an unreadable one is reported as the item's (it is empty for this reader)."""
        return self._item.section_tier(name) if name in self._readable else self._item.tier

    def sections(self) -> list[tuple[str, Tier]]:
        """(name, tier) of every non-empty section this reader reads, in display order."""
        # getattr on self: a translated view (queries_archive/translations.py) answers with its own text.
        return [(name, self._item.section_tier(name)) for name in MARKDOWN_FIELDS[self._item.kind]
                if name in self._readable and getattr(self, f"{name}_source")]

    @property
    def handling_tier(self) -> Tier:
        """The highest tier of what this reader is shown (the item's, or a torn-off section's): how to handle it."""
        return max([self._item.tier, *(tier for _name, tier in self.sections())])

    @property
    def labels_sections(self) -> bool:
        """Label each section with its TLP? When a section this reader reads has a tier other than the item's
        (decided only from what the reader reads, so it reveals nothing of the rest)."""
        return any(tier != self._item.tier for _name, tier in self.sections())


def reader_item(viewer: Viewer, item: Submission) -> ReaderItem:
    """The submission composed of the sections `viewer` may read."""
    return ReaderItem(item, readable_sections(viewer, item))


def reading_level(viewer: Viewer, item: Submission) -> Tier | None:
    """The highest section tier the viewer reads (for audit and search)."""
    return readable_section_tier(viewer, item)


def reader_snapshot(viewer: Viewer, item: Submission, revision) -> dict[str, Any]:
    """A revision's snapshot as `viewer` may read it: unreadable sections (as written, or as they are now) are
    blanked like empty ones; bookkeeping keys stay (they are never shown)."""
    snapshot = dict(revision.snapshot or {})
    readable = readable_snapshot_fields(
        viewer, item, snapshot, (revision.tier, revision.sharing_group_id, revision.author_organisation_id)
    )
    for name in MARKDOWN_FIELDS[item.kind]:
        if name in snapshot and name not in readable:
            snapshot[name] = ""
    snapshot.pop("_section_tiers", None)  # the tear lines themselves are not shown in a diff
    return snapshot
