"""Submissions as a search source: lessons learnt, good practices, responsible-AI policies, outcome syntheses."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from webapp.models import Organisation, Submission
from webapp.models.submission import MARKDOWN_FIELDS
from webapp.policy import Viewer
from webapp.policy.archive import shows_author
from webapp.models.submission import section_tier_of
from webapp.policy.sections import readable_sections, reading_level, reading_level_clause
from webapp.policy.translations import indexable_with_item, readable_translation_sections
from webapp.search import sources
from webapp.search.backend import DocInfo, Document, iter_chunks, variant_key
from webapp.search.links import link

# Plain fields that are words a reader would search for (dates, links and enums are not).
_TEXTUAL_PLAIN = ("application_area", "military_context", "issuer")


def _epoch(value) -> int:
    return int(value.timestamp()) if value is not None else 0


def _options():
    return (
        joinedload(Submission.author_organisation).joinedload(Organisation.stakeholder_type),
        selectinload(Submission.paragraphs),
        selectinload(Submission.translations),
    )


def _body(submission, sections: tuple[str, ...] | None = None) -> str:
    """The readable text of the item as stored: summary, the kind's Markdown sources (only `sections`, when
    given: tear lines), textual context fields. Reviewer comments are the author's and never indexed; author
    names are never indexed."""
    names = MARKDOWN_FIELDS[submission.kind] if sections is None else sections
    parts = [submission.summary or ""]
    parts += [getattr(submission, f"{name}_source") or "" for name in names]
    parts += [getattr(submission, name) or "" for name in _TEXTUAL_PLAIN]  # empty for kinds without them
    if submission.key_points:
        parts += [str(value) for _key, value in sorted(submission.key_points.items())]
    return "\n\n".join(part for part in parts if part.strip())


def _translation_text(translation, sections) -> str:
    """A translation's title, summary and the given sections (those of the reading level, tear lines)."""
    parts = [translation.title or "", translation.summary or ""]
    parts += [(translation.sections or {}).get(name) or "" for name in sections]
    return "\n\n".join(part for part in parts if part.strip())


def _in_display_order(submission: Submission, names: set[str]) -> list[str]:
    return [name for name in MARKDOWN_FIELDS[submission.kind] if name in names]


def _translations(submission: Submission, level=None) -> tuple[tuple[str, str], ...]:
    """(language, text) of each published translation whose words may find the item (policy.translations),
    with the sections of reading level `level` (default: the item's tier): each section at the higher of its tier
    when translated and now, as the page reads it."""
    level = submission.tier if level is None else level
    found = []
    for translation in submission.translations:
        if not indexable_with_item(submission, translation):
            continue
        names = [name for name in MARKDOWN_FIELDS[submission.kind]
                 if submission.section_tier(name) <= level
                 and section_tier_of(translation.tier, translation.section_tiers, name) <= level]
        found.append((translation.language, _translation_text(translation, names)))
    return tuple(found)


def _info(submission: Submission, key: str) -> DocInfo:
    # A Chatham House synthesis is not findable by who wrote it: no stakeholder type, no country.
    organisation = None if submission.chatham_house else submission.author_organisation
    return DocInfo(
        key=key,
        kind=submission.kind.value,
        date=_epoch(submission.published_at or submission.created_at),
        tier=int(submission.tier),
        group_id=submission.sharing_group_id,
        organisation_id=submission.author_organisation_id,
        paragraphs=tuple(p.number for p in submission.paragraphs),
        stakeholder=organisation.stakeholder_type_code if organisation else "",
        stage=submission.lifecycle_stage.value if submission.lifecycle_stage else "",
        country=organisation.country if organisation else "",
        round_id=submission.round_id,
    )


def document(submission: Submission) -> Document | list[Document]:
    """The index document of a submission (every status: the database decides who reads drafts). An item with
    sections above its tier (tear lines) is indexed once per reading level L — the item's tier and each higher
    section tier — with the sections of tier <= L, keyed with the range of levels it serves (DESIGN.md §4)."""
    base = f"submission:{submission.id}"
    keywords = " ".join(submission.keywords or [])
    levels = sorted({submission.tier} | {
        submission.section_tier(name) for name in MARKDOWN_FIELDS[submission.kind]
        if getattr(submission, f"{name}_source")
    })
    language = submission.language or "en"
    if len(levels) == 1:
        return Document(info=_info(submission, base), title=submission.title, body=_body(submission),
                        keywords=keywords, language=language, translations=_translations(submission))
    variants = []
    for position, level in enumerate(levels):
        ceiling = levels[position + 1] if position + 1 < len(levels) else None
        sections = tuple(name for name in MARKDOWN_FIELDS[submission.kind] if submission.section_tier(name) <= level)
        variants.append(Document(info=_info(submission, variant_key(base, int(level), ceiling)),
                                 title=submission.title, body=_body(submission, sections), keywords=keywords,
                                 language=language, translations=_translations(submission, level)))
    return variants


def present(submission: Submission, viewer: Viewer) -> sources.Presented:
    """A hit as shown: from the database, composed of the sections this viewer reads (snippets and "did you
    mean" words are cut from this text only); no organisation for Chatham House syntheses."""
    organisation = submission.author_organisation
    byline = organisation.name if organisation is not None and shows_author(submission) else None
    return sources.Presented(
        title=submission.title,
        url=link("archive.show", f"/archive/{submission.id}", submission_id=submission.id),
        kind=submission.kind.value,
        tier=submission.tier,
        date=submission.published_at or submission.created_at,
        byline=byline,
        text="\n\n".join(part for part in [
            _body(submission, tuple(readable_sections(viewer, submission))),
            # Snippets may come from the translations whose words found the item, as this reader reads them.
            *(_translation_text(translation, _in_display_order(
                submission, readable_translation_sections(viewer, submission, translation)))
              for translation in submission.translations if indexable_with_item(submission, translation)),
        ] if part),
    )


def reading_levels(db: Session, viewer: Viewer, ids: Sequence[int]) -> dict[int, int]:
    """The reading level (policy.sections) of `viewer` for each of these submissions, from the database."""
    levels: dict[int, int] = {}
    for chunk in iter_chunks(sorted(set(ids)), sources.CHUNK):
        rows = db.execute(select(Submission.id, Submission.tier, Submission.sharing_group_id,
                                 Submission.author_organisation_id).where(Submission.id.in_(chunk)))
        for object_id, tier, group_id, organisation_id in rows:
            level = reading_level(viewer, tier, group_id, organisation_id)
            if level is not None:
                levels[object_id] = int(level)
    return levels


def reading_level_sql(viewer: Viewer):
    """reading_levels() as a SQL expression over the submissions table (for a statement joined to it)."""
    return reading_level_clause(viewer, tier=Submission.tier, sharing_group_id=Submission.sharing_group_id,
                                author_organisation_id=Submission.author_organisation_id)


sources.register(
    sources.Source(
        kind="submission",
        entity=Submission,
        load_options=_options,
        document=document,
        present=present,
        display_kinds=("lesson_learnt", "good_practice", "responsible_ai_policy", "outcome_synthesis"),
        # A superseded policy version is found through its current version (checked in SQL on every search).
        searchable=lambda: Submission.superseded_by_id.is_(None),
        reading_levels=reading_levels,
        reading_level_sql=reading_level_sql,
    )
)
