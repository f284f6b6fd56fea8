"""Translations of archive items (issue 13): proposed by the originating organisation, reviewed like a revision.

Each write is a named function with its actor, one transaction, and an audit row inside. Publishing a translation
reindexes its item in the same transaction (search finds the item by the words of its readable translations).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import policy
from webapp.db import unit_of_work
from webapp.models import Submission, SubmissionTranslation, utcnow
from webapp.models.submission import MARKDOWN_FIELDS
from webapp.models.submission_translation import (
    TRANSLATION_PENDING, TRANSLATION_PUBLISHED, TRANSLATION_REPLACED, TRANSLATION_RETURNED,
)
from webapp.policy import Viewer
from webapp.policy.translations import can_review_translation, can_translate
from webapp.sanitize import MAX_SOURCE_CHARS, clean_plain, markdown_to_html
from webapp.search.outbox import enqueue
from webapp.services import Conflict, Forbidden, NotFound, ServiceError
from webapp.services.audit import record
from webapp.services import notification_events
from webapp.services.submission_fields import FIELD_LABELS, SUMMARY_MAX, TITLE_MAX, parse_language
from webapp.services.submissions import load_visible

NOTE_MAX = 200
_STATE_WORDS = {TRANSLATION_PUBLISHED: _l("published"), TRANSLATION_RETURNED: _l("returned"),
                TRANSLATION_REPLACED: _l("replaced"), TRANSLATION_PENDING: _l("waiting for review")}


def _text(value: Any) -> str:
    return "".join(ch for ch in str(value or "").replace("\r\n", "\n") if ch in "\n\t" or ord(ch) >= 32).strip()


def _clean(item: Submission, data: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    """Title, summary and every non-empty section of the item, translated; a missing one is named."""
    title = clean_plain(str(data.get("title") or ""), TITLE_MAX + 1)
    if not title:
        raise ServiceError(_l("A title is required."))
    if len(title) > TITLE_MAX:
        raise ServiceError(_l("The title is too long (at most %(n)s characters).", n=format_decimal(TITLE_MAX)))
    summary = _text(data.get("summary"))
    if not summary:
        raise ServiceError(_l("A summary is required."))
    if len(summary) > SUMMARY_MAX:
        raise ServiceError(_l("The summary is too long (at most %(n)s characters).", n=format_decimal(SUMMARY_MAX)))
    sections: dict[str, str] = {}
    missing = []
    for name in MARKDOWN_FIELDS[item.kind]:
        if not getattr(item, f"{name}_source"):
            continue  # an empty section of the original has nothing to translate
        text = _text(data.get(name))
        if len(text) > MAX_SOURCE_CHARS:
            raise ServiceError(_l("%(field)s is too long (at most %(n)s characters).", field=FIELD_LABELS.get(name, name),
                                  n=format_decimal(MAX_SOURCE_CHARS)), status=413)
        if not text:
            missing.append(str(FIELD_LABELS.get(name, name)))
        sections[name] = text
    if missing:
        raise ServiceError(_l("Translate these sections too: %(fields)s.", fields=", ".join(missing)))
    return title, summary, sections


def propose_translation(actor: Viewer, submission_id: int, language: Any, data: Mapping[str, Any],
                        note: Any = "") -> SubmissionTranslation:
    """The author or a colleague proposes a translation of a published item; it waits for review, replacing an
    earlier proposal into the same language that was not reviewed yet."""
    code = parse_language(language)
    with unit_of_work() as db:
        item = load_visible(db, actor, submission_id)
        if not can_translate(actor, item):
            raise Forbidden(_l("Only the author or a colleague of the originating organisation who reads every "
                               "section can translate this item, once it is published."))
        if code == item.language:
            raise ServiceError(_l("The item is written in this language; choose another one."))
        title, summary, sections = _clean(item, data)
        for earlier in db.scalars(select(SubmissionTranslation).where(
                SubmissionTranslation.submission_id == item.id, SubmissionTranslation.language == code,
                SubmissionTranslation.review_state == TRANSLATION_PENDING).with_for_update()):
            earlier.review_state = TRANSLATION_REPLACED
        translation = SubmissionTranslation(
            submission_id=item.id, language=code, title=title, summary=summary, sections=sections,
            sections_html={name: markdown_to_html(text) for name, text in sections.items()},
            note=clean_plain(str(note or ""), NOTE_MAX), review_state=TRANSLATION_PENDING, author_id=actor.user_id,
            # The audience and tear lines it is written under, recorded once (never lowered with the item).
            tier=item.tier, sharing_group_id=item.sharing_group_id,
            author_organisation_id=item.author_organisation_id, section_tiers=dict(item.section_tiers or {}),
        )
        db.add(translation)
        db.flush()
        translation.submission = item
        record(db, actor.user_id, "submission.translation_proposed", "submission", item.id,
               translation=translation.id, language=code)
        notification_events.translation_pending(db, item, translation, actor_id=actor.user_id)
    return translation


def _pending(db: Session, actor: Viewer, submission_id: int, translation_id: int,
             refusal) -> tuple[Submission, SubmissionTranslation]:
    item = load_visible(db, actor, submission_id)
    translation = db.scalars(select(SubmissionTranslation).where(
        SubmissionTranslation.id == translation_id, SubmissionTranslation.submission_id == item.id,
    ).with_for_update()).one_or_none()
    if translation is None or not policy.can_view(actor, translation):
        raise NotFound()
    if not can_review_translation(actor, item, translation):
        raise Forbidden(refusal)
    if translation.review_state != TRANSLATION_PENDING:
        raise Conflict(_l("This translation is not waiting for review (it is %(state)s); nothing was changed.",
                          state=_STATE_WORDS.get(translation.review_state, translation.review_state)))
    return item, translation


def publish_translation(actor: Viewer, submission_id: int, translation_id: int) -> SubmissionTranslation:
    """A reviewer publishes a pending translation: readers of that language see it from now on (the one it
    replaces is kept, marked replaced), and the item is reindexed in the same transaction."""
    with unit_of_work() as db:
        item, translation = _pending(db, actor, submission_id, translation_id,
                                     _l("Only a reviewer other than the translator and the author, who reads every "
                                        "section, can publish this translation."))
        for earlier in db.scalars(select(SubmissionTranslation).where(
                SubmissionTranslation.submission_id == item.id, SubmissionTranslation.language == translation.language,
                SubmissionTranslation.review_state == TRANSLATION_PUBLISHED)):
            earlier.review_state = TRANSLATION_REPLACED
        translation.review_state = TRANSLATION_PUBLISHED
        translation.reviewer_id = actor.user_id
        translation.reviewed_at = utcnow()
        record(db, actor.user_id, "submission.translation_published", "submission", item.id,
               translation=translation.id, language=translation.language)
        enqueue(db, "submission", item.id)
        notification_events.translation_decided(db, item, translation, "translation_published",
                                                actor_id=actor.user_id)
    return translation


def return_translation(actor: Viewer, submission_id: int, translation_id: int, comments: Any) -> SubmissionTranslation:
    """A reviewer returns a pending translation to its translator with comments; readers see nothing of it."""
    text = _text(comments)
    if not text:
        raise ServiceError(_l("Write the comments the translator needs to revise the translation."))
    if len(text) > MAX_SOURCE_CHARS:
        raise ServiceError(_l("The comments are too long (at most %(n)s characters).",
                              n=format_decimal(MAX_SOURCE_CHARS)), status=413)
    with unit_of_work() as db:
        item, translation = _pending(db, actor, submission_id, translation_id,
                                     _l("Only a reviewer other than the translator and the author, who reads every "
                                        "section, can return this translation."))
        translation.review_state = TRANSLATION_RETURNED
        translation.reviewer_id = actor.user_id
        translation.reviewed_at = utcnow()
        translation.reviewer_comments = text
        record(db, actor.user_id, "submission.translation_returned", "submission", item.id,
               translation=translation.id, language=translation.language)
        notification_events.translation_decided(db, item, translation, "translation_returned",
                                                actor_id=actor.user_id)
    return translation
