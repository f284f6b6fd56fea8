"""Submissions as a search source: lessons learnt, good practices, responsible-AI policies, outcome syntheses."""
from __future__ import annotations

from sqlalchemy.orm import joinedload, selectinload

from webapp.models import Organisation, Submission
from webapp.models.submission import MARKDOWN_FIELDS
from webapp.policy import Viewer
from webapp.policy.archive import shows_author
from webapp.search import sources
from webapp.search.backend import DocInfo, Document
from webapp.search.links import link

# Plain fields that are words a reader would search for (dates, links and enums are not).
_TEXTUAL_PLAIN = ("application_area", "military_context", "issuer")


def _epoch(value) -> int:
    return int(value.timestamp()) if value is not None else 0


def _options():
    return (
        joinedload(Submission.author_organisation).joinedload(Organisation.stakeholder_type),
        selectinload(Submission.paragraphs),
    )


def _body(submission: Submission) -> str:
    """The readable text of the item as stored: summary, the kind's Markdown sources, textual context fields.
    Reviewer comments are the author's and never indexed; author names are never indexed."""
    parts = [submission.summary or ""]
    parts += [getattr(submission, f"{name}_source") or "" for name in MARKDOWN_FIELDS[submission.kind]]
    parts += [getattr(submission, name) or "" for name in _TEXTUAL_PLAIN]  # empty for kinds without them
    if submission.key_points:
        parts += [str(value) for _key, value in sorted(submission.key_points.items())]
    return "\n\n".join(part for part in parts if part.strip())


def document(submission: Submission) -> Document:
    """The index document of a submission (every status: the database decides who reads drafts)."""
    # A Chatham House synthesis is not findable by who wrote it: no stakeholder type, no country.
    organisation = None if submission.chatham_house else submission.author_organisation
    info = DocInfo(
        key=f"submission:{submission.id}",
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
    return Document(info=info, title=submission.title, body=_body(submission),
                    keywords=" ".join(submission.keywords or []))


def present(submission: Submission, viewer: Viewer) -> sources.Presented:
    """A hit as shown: from the database; no organisation for Chatham House syntheses."""
    organisation = submission.author_organisation
    byline = organisation.name if organisation is not None and shows_author(submission) else None
    return sources.Presented(
        title=submission.title,
        url=link("archive.show", f"/archive/{submission.id}", submission_id=submission.id),
        kind=submission.kind.value,
        tier=submission.tier,
        date=submission.published_at or submission.created_at,
        byline=byline,
        text=_body(submission),
    )


sources.register(
    sources.Source(
        kind="submission",
        entity=Submission,
        load_options=_options,
        document=document,
        present=present,
        display_kinds=("lesson_learnt", "good_practice", "responsible_ai_policy", "outcome_synthesis"),
    )
)
