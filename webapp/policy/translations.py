"""Translations of archive items (issue 13): who reads, proposes and reviews them.

Read rule, as for a revision (DESIGN.md §7, rule 9): the item's rule AND the tier rule for the audience the
translation was written under, AND — unless it is published — the viewer wrote it or reviews (a facilitator who may
read the item). Its sections are read like a revision's: each at the higher of the tier it had when translated and
the tier it has now (policy.sections.readable_snapshot_fields), so a tear line added later hides the translated
section too. Search indexes a published translation with its item only when it was written under an audience no
narrower than the item's now (`indexable_with_item`), so nobody finds an item by words they could not read.
"""
from __future__ import annotations

from sqlalchemy import and_, exists, or_, true
from sqlalchemy.sql.elements import ColumnElement

from webapp.models import Submission, SubmissionTranslation
from webapp.models.submission import READABLE_STATUSES
from webapp.models.submission_translation import TRANSLATION_PUBLISHED
from webapp.policy import Viewer, read_rule, tier_allows, tier_clause
from webapp.policy.archive import can_review, can_view_submission, submission_clause
from webapp.policy.sections import SNAPSHOT_KEY, readable_snapshot_fields, reads_every_section


def translation_clause(viewer: Viewer) -> ColumnElement[bool]:
    """SQL: the translations `viewer` may read."""
    written_under = tier_clause(
        viewer,
        tier=SubmissionTranslation.tier,
        sharing_group_id=SubmissionTranslation.sharing_group_id,
        author_organisation_id=SubmissionTranslation.author_organisation_id,
    )
    readable_item = exists().where(Submission.id == SubmissionTranslation.submission_id, submission_clause(viewer))
    published = SubmissionTranslation.review_state == TRANSLATION_PUBLISHED
    if not viewer.is_verified or viewer.user_id is None:
        shown = published
    elif viewer.is_facilitator:
        shown = true()
    else:
        shown = or_(published, SubmissionTranslation.author_id == viewer.user_id)
    return and_(written_under, readable_item, shown)


def can_view_translation(viewer: Viewer, translation: SubmissionTranslation) -> bool:
    """Python twin of translation_clause."""
    if not tier_allows(viewer, translation.tier, translation.sharing_group_id, translation.author_organisation_id):
        return False
    if not can_view_submission(viewer, translation.submission):
        return False
    if translation.review_state == TRANSLATION_PUBLISHED:
        return True
    if not viewer.is_verified or viewer.user_id is None:
        return False
    return viewer.is_facilitator or translation.author_id == viewer.user_id


read_rule(SubmissionTranslation, clause=translation_clause, predicate=can_view_translation)


def translation_snapshot(translation: SubmissionTranslation) -> dict:
    """The translation's sections in the shape of a revision snapshot (with the tear lines it was written under)."""
    return {**(translation.sections or {}), SNAPSHOT_KEY: translation.section_tiers or {}}


def readable_translation_sections(viewer: Viewer, item: Submission, translation: SubmissionTranslation) -> set[str]:
    """The translated sections `viewer` reads: at the tier each had when translated and the tier it has now."""
    written = (translation.tier, translation.sharing_group_id, translation.author_organisation_id)
    return readable_snapshot_fields(viewer, item, translation_snapshot(translation), written)


def can_translate(viewer: Viewer, item: Submission) -> bool:
    """The author or a colleague of the originating organisation translates a published (or retired) item, if
    they read every section of it: nobody translates, nor publishes through review, text they could not read."""
    return (
        viewer.is_verified and viewer.user_id is not None
        and viewer.organisation_id == item.author_organisation_id
        and item.status in READABLE_STATUSES
        and can_view_submission(viewer, item)
        and reads_every_section(viewer, item)
    )


def can_review_translation(viewer: Viewer, item: Submission, translation: SubmissionTranslation) -> bool:
    """A reviewer who may review the item (a facilitator, not its author, reading every section) and did not write
    the translation, and who reads every section of the translation as written."""
    if not (item.status in READABLE_STATUSES and can_review(viewer, item) and translation.author_id != viewer.user_id):
        return False
    if not can_view_translation(viewer, translation):
        return False
    readable = readable_translation_sections(viewer, item, translation)
    return all(name in readable for name, text in (translation.sections or {}).items() if text)


def indexable_with_item(item: Submission, translation: SubmissionTranslation) -> bool:
    """May a published translation's words find the item in search? Only when it was written under an audience
    no narrower than the item's now: a tier at most the item's, and no group or the item's group, same
    originator. (A translation written before the item was lowered is read on the page by those it was written
    for, but its words do not reach the item's wider audience through search.)"""
    return (
        translation.review_state == TRANSLATION_PUBLISHED
        and translation.tier <= item.tier
        and translation.sharing_group_id in (None, item.sharing_group_id)
        and translation.author_organisation_id == item.author_organisation_id
    )
