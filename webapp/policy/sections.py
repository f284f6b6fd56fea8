"""Tear lines (DESIGN.md rule 10): which sections of an item a viewer reads.

A section of a lesson learnt, good practice or policy may carry a tier above its item's (never below). The item's
sharing group and author organisation apply to every section, so a section is read under the tier rule at
max(item tier, section tier). The tier rule is monotone in the tier (whoever reads a tier reads every lower one
under the same group), so each viewer has ONE reading level per item: the highest tier they read it at. Every read
path (pages, exports, revisions, diffs, search) asks this module, and shows a section the viewer may not read
exactly as it shows an empty section: not at all.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Integer, and_, case, literal
from sqlalchemy.sql.elements import ColumnElement

from webapp.models import Submission, SubmissionKind, Tier
from webapp.models.submission import MARKDOWN_FIELDS, section_tier_of
from webapp.policy import Viewer, max_authoring_tier, tier_allows, tier_clause

# Kinds whose sections may be torn off: an outcome synthesis follows its round's audience as a whole.
TEAR_LINE_KINDS = (SubmissionKind.LESSON_LEARNT, SubmissionKind.GOOD_PRACTICE, SubmissionKind.RESPONSIBLE_AI_POLICY)


def reading_level(
    viewer: Viewer, tier: Tier, sharing_group_id: int | None, author_organisation_id: int | None
) -> Tier | None:
    """The highest tier at or above `tier` that `viewer` reads under this audience (None: not even `tier`)."""
    level = None
    for candidate in Tier:
        if candidate < tier:
            continue
        if not tier_allows(viewer, candidate, sharing_group_id, author_organisation_id):
            break  # monotone: nothing higher is readable either
        level = candidate
    return level


def reading_level_clause(
    viewer: Viewer, *, tier: Any, sharing_group_id: Any, author_organisation_id: Any
) -> ColumnElement:
    """reading_level() as a SQL expression over the given columns (NULL: not even the item's tier). The highest
    readable tier at or above the item's: the tier rule is monotone, so it is the first one from the top."""
    whens = [
        (and_(tier <= int(candidate), tier_clause(viewer, tier=literal(int(candidate), Integer),
                                                  sharing_group_id=sharing_group_id,
                                                  author_organisation_id=author_organisation_id)),
         int(candidate))
        for candidate in sorted(Tier, reverse=True)
    ]
    return case(*whens, else_=literal(None, Integer))


def readable_section_tier(viewer: Viewer, item: Submission) -> Tier | None:
    """The highest section tier of `item` that `viewer` reads (the item's reading level)."""
    return reading_level(viewer, item.tier, item.sharing_group_id, item.author_organisation_id)


def may_read_section(viewer: Viewer, item: Submission, name: str) -> bool:
    """May `viewer` read section `name` of `item` (as it is now)?"""
    level = readable_section_tier(viewer, item)
    return level is not None and item.section_tier(name) <= level


def readable_sections(viewer: Viewer, item: Submission) -> list[str]:
    """The sections of `item` that `viewer` reads, in display order (the others do not exist for them)."""
    level = readable_section_tier(viewer, item)
    if level is None:
        return []
    return [name for name in MARKDOWN_FIELDS.get(item.kind, ()) if item.section_tier(name) <= level]


def reads_every_section(viewer: Viewer, item: Submission) -> bool:
    """Does `viewer` read every non-empty section (e.g. a reviewer must, to publish it)?"""
    readable = set(readable_sections(viewer, item))
    return all(name in readable or not getattr(item, f"{name}_source") for name in MARKDOWN_FIELDS.get(item.kind, ()))


def reads_every_revision_section(viewer: Viewer, item: Submission, revision) -> bool:
    """Does `viewer` read every non-empty section of a revision (a reviewer must, to publish or return it)?"""
    snapshot = revision.snapshot or {}
    readable = readable_snapshot_fields(
        viewer, item, snapshot, (revision.tier, revision.sharing_group_id, revision.author_organisation_id))
    return all(name in readable or not snapshot.get(name) for name in MARKDOWN_FIELDS.get(item.kind, ()))


def readable_snapshot_fields(
    viewer: Viewer, item: Submission, snapshot: Mapping[str, Any], written: tuple[Tier, int | None, int | None]
) -> set[str]:
    """The Markdown fields of a revision snapshot that `viewer` reads: each section at the tier it was written
    under (the revision's audience and its stored tear lines) AND at the tier it has now, whichever is higher —
    a tear line added later hides that section's past too."""
    written_tier, group_id, organisation_id = written
    level_then = reading_level(viewer, written_tier, group_id, organisation_id)
    level_now = readable_section_tier(viewer, item)
    if level_then is None or level_now is None:
        return set()
    stored = snapshot.get(SNAPSHOT_KEY) or {}
    return {
        name for name in MARKDOWN_FIELDS.get(item.kind, ())
        if section_tier_of(written_tier, stored, name) <= level_then and item.section_tier(name) <= level_now
    }


def revision_face(viewer: Viewer, item: Submission, revision) -> tuple[dict[str, Any], tuple] | None:
    """What `viewer` reads of a revision (its fields, unreadable sections blank, bookkeeping left out) and the
    audience it was written under; None when they do not read it as written. Two revisions with the same face are
    the same to this reader: a change between them lies wholly above their reading level."""
    snapshot = revision.snapshot or {}
    written = (revision.tier, revision.sharing_group_id, revision.author_organisation_id)
    if reading_level(viewer, *written) is None:
        return None
    readable = readable_snapshot_fields(viewer, item, snapshot, written)
    sections = MARKDOWN_FIELDS.get(item.kind, ())
    fields = {name: ("" if name in sections and name not in readable else value)
              for name, value in snapshot.items() if not name.startswith("_")}
    return fields, (revision.tier, revision.sharing_group_id)


def ceiling_tier(item: Submission, revisions=()) -> Tier:
    """The highest tier anything of `item` was ever read at: its sections now and the audiences of its revisions
    (and their tear lines). What an act recorded without its own tier may have concerned, at most."""
    tiers = [item.tier, *(item.section_tier(name) for name in MARKDOWN_FIELDS.get(item.kind, ()))]
    for revision in revisions:
        stored = (revision.snapshot or {}).get(SNAPSHOT_KEY) or {}
        tiers.append(revision.tier)
        tiers.extend(section_tier_of(revision.tier, stored, name) for name in MARKDOWN_FIELDS.get(item.kind, ()))
    return max(tiers)


def section_tier_choices(viewer: Viewer, item_tier: Tier) -> list[Tier]:
    """The tiers a section may be given by `viewer`: from the item's tier up to the author's clearance."""
    return [tier for tier in Tier if item_tier <= tier <= max_authoring_tier(viewer)]


# Where a revision's snapshot keeps the tear lines it was written with ("_" keys are bookkeeping, never diffed).
SNAPSHOT_KEY = "_section_tiers"
