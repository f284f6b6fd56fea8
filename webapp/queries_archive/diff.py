"""Line diffs between two snapshots of a submission (revisions or policy versions), computed with difflib.

The result is plain text in (operation, line) pairs; templates escape it like any other text.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from webapp.queries_archive.labels import FIELD_LABELS

# Fields shown in a diff, in reading order; bookkeeping (kind, status) is shown too, as it changes with transitions.
DIFF_ORDER = tuple(FIELD_LABELS)


@dataclass
class FieldDiff:
    """The changed lines of one field: ('equal' | 'insert' | 'delete', text) pairs."""

    name: str
    lines: list[tuple[str, str]] = field(default_factory=list)

    @property
    def label(self):
        return FIELD_LABELS.get(self.name, self.name)


def _as_lines(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bool):
        return ["yes" if value else "no"]
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, dict):
        return [f"{key}: {text}" for key, text in sorted(value.items())]
    return str(value).split("\n")


def diff_snapshots(old: dict[str, Any], new: dict[str, Any]) -> list[FieldDiff]:
    """The fields that differ between two snapshots, each with its line diff."""
    names = [n for n in DIFF_ORDER if n in old or n in new]
    names += sorted(name for name in (set(old) | set(new)) - set(names) if not name.startswith("_"))
    changed: list[FieldDiff] = []
    for name in names:
        before, after = _as_lines(old.get(name)), _as_lines(new.get(name))
        if before == after:
            continue
        diff = FieldDiff(name)
        matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
        for tag, a1, a2, b1, b2 in matcher.get_opcodes():
            if tag == "equal":
                diff.lines.extend(("equal", line) for line in before[a1:a2])
                continue
            diff.lines.extend(("delete", line) for line in before[a1:a2])
            diff.lines.extend(("insert", line) for line in after[b1:b2])
        changed.append(diff)
    return changed
