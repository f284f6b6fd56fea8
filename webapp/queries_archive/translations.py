"""Translations of an item as one reader sees them (issue 13): every lookup goes through the policy layer."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import policy
from webapp.models import Submission, SubmissionTranslation
from webapp.models.submission_translation import TRANSLATION_PENDING, TRANSLATION_PUBLISHED, TRANSLATION_RETURNED
from webapp.policy import Viewer
from webapp.policy.sections import readable_sections
from webapp.policy.translations import readable_translation_sections
from webapp.queries_archive.sections import ReaderItem


def _visible(db: Session, viewer: Viewer, item: Submission, *conditions) -> list[SubmissionTranslation]:
    stmt = policy.visible(
        select(SubmissionTranslation).where(SubmissionTranslation.submission_id == item.id, *conditions)
        .order_by(SubmissionTranslation.id),
        viewer, SubmissionTranslation,
    )
    found = list(db.scalars(stmt))
    for translation in found:
        translation.submission = item  # already loaded through policy; the predicate reads it
    return [translation for translation in found if policy.can_view(viewer, translation)]


def for_page(db: Session, viewer: Viewer, item: Submission
             ) -> tuple[dict[str, SubmissionTranslation], list[SubmissionTranslation]]:
    """In one query: the published translation per language `viewer` reads, and the open proposals (waiting or
    returned) they read — their own, or all for a reviewer."""
    found = _visible(db, viewer, item, SubmissionTranslation.review_state.in_(
        (TRANSLATION_PUBLISHED, TRANSLATION_PENDING, TRANSLATION_RETURNED)))
    published = {t.language: t for t in found if t.review_state == TRANSLATION_PUBLISHED}
    return published, [t for t in found if t.review_state != TRANSLATION_PUBLISHED]


def one(db: Session, viewer: Viewer, item: Submission, translation_id: int) -> SubmissionTranslation | None:
    """One translation of `item` if `viewer` may read it (else None: as if it did not exist)."""
    found = _visible(db, viewer, item, SubmissionTranslation.id == translation_id)
    return found[0] if found else None


class TranslatedItem(ReaderItem):
    """A reader's view of an item in a translation: the translated title, summary and sections they may read;
    a readable section the translation lacks (added to the original since) is shown in the original language."""

    def __init__(self, item: Submission, readable: list[str], translation: SubmissionTranslation,
                 translated: set[str]):
        super().__init__(item, readable)
        self.translation = translation
        self._translated = {name for name in translated if name in self._readable}

    @property
    def title(self) -> str:
        return self.translation.title

    @property
    def summary(self) -> str:
        return self.translation.summary

    def __getattr__(self, name: str) -> Any:
        base, _sep, suffix = name.rpartition("_")
        if suffix == "html" and base in self._translated:
            return self.translation.sections_html.get(base, "")
        if suffix == "source" and base in self._translated:
            return self.translation.sections.get(base, "")
        return super().__getattr__(name)

    def in_original(self, name: str) -> bool:
        """Is this section shown in the original language (not translated yet)?"""
        return name not in self._translated


def translated_item(viewer: Viewer, item: Submission, translation: SubmissionTranslation) -> TranslatedItem:
    """The item in `translation` composed of what `viewer` may read of both."""
    return TranslatedItem(item, readable_sections(viewer, item), translation,
                          readable_translation_sections(viewer, item, translation))
