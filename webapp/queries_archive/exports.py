"""Exports of one submission — Markdown, JSON and a citation — each carrying its TLP label.

An export is built from a submission the caller already loaded through policy (never less restricted than the
item); Chatham House syntheses name no author or organisation.
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from webapp.policy.archive import shows_author
from webapp.policy.small_cells import KeyPoints, small_cell_threshold
from webapp.models import Submission, SubmissionKind
from webapp.models.submission import MARKDOWN_FIELDS
from webapp.queries_archive.labels import (
    CHATHAM_HOUSE_AUTHOR,
    FIELD_LABELS,
    KIND_LABELS,
    LESSON_STATUS_LABELS,
    STAGE_LABELS,
    STATUS_LABELS,
)


def author_label(item: Submission) -> str:
    """Who is credited: the author's organisation, or the round's facilitators under the Chatham House rule."""
    return item.author_organisation.name if shows_author(item) else str(CHATHAM_HOUSE_AUTHOR)


def _structured(item: Submission) -> list[tuple[str, str]]:
    """(label, plain value) pairs of the kind-specific plain fields."""
    pairs: list[tuple[str, str]] = []
    if item.kind is SubmissionKind.LESSON_LEARNT:
        pairs += [
            ("application_area", item.application_area),
            ("military_context", item.military_context),
            ("lifecycle_stage", str(STAGE_LABELS[item.lifecycle_stage.value]) if item.lifecycle_stage else ""),
            ("lesson_status", str(LESSON_STATUS_LABELS[item.lesson_status.value]) if item.lesson_status else ""),
        ]
    elif item.kind is SubmissionKind.RESPONSIBLE_AI_POLICY:
        pairs += [
            ("issuer", item.issuer),
            ("effective_date", item.effective_date.isoformat() if item.effective_date else ""),
            ("policy_version", item.policy_version),
            ("link", item.link),
        ]
    return [(str(FIELD_LABELS[name]), value) for name, value in pairs if value]


def to_markdown(item: Submission, url: str, stakeholder_labels: dict[str, str] | None = None, *,
                key_points: KeyPoints | None = None) -> str:
    """The submission as a Markdown document headed by its TLP label (key points headed by stakeholder type, as
    the small-cell rule lets the exporting reader see them: `key_points`)."""
    # `item` is the exporting reader's view (queries_archive.sections.reader_item): only the sections they read.
    handling = item.handling_tier
    lines = [
        f"{handling.tlp}",
        "",
        f"# {item.title}",
        "",
        f"*{KIND_LABELS[item.kind.value]}* — {author_label(item)}"
        + ("" if not shows_author(item) else f" ({item.author_organisation.stakeholder_type.display_label}, "
           f"{item.author_organisation.country_name})"),
        "",
        f"- {FIELD_LABELS['status']}: {STATUS_LABELS[item.status.value]}",
        f"- {FIELD_LABELS['tier']}: {item.tier.code} ({item.tier.tlp})",
        f"- {FIELD_LABELS['paragraphs']}: {', '.join(str(n) for n in item.paragraph_numbers)}",
    ]
    if item.keywords:
        lines.append(f"- {FIELD_LABELS['keywords']}: {', '.join(item.keywords)}")
    if item.published_at:
        lines.append(f"- {_('Published')}: {item.published_at.strftime('%Y-%m-%d %H:%M UTC')}")
    lines += [f"- {label}: {value}" for label, value in _structured(item)]
    lines += [f"- {_('Source')}: <{url}>", "", f"## {FIELD_LABELS['summary']}", "", item.summary, ""]
    for name in MARKDOWN_FIELDS[item.kind]:
        source = getattr(item, f"{name}_source")
        if source:
            lines += [f"## {FIELD_LABELS[name]}", ""]
            if item.labels_sections:
                tier = item.section_tier(name)
                lines += [f"{tier.tlp} ({tier.code})", ""]
            lines += [source, ""]
    points = key_points.by_type if key_points is not None else item.key_points
    if item.kind is SubmissionKind.OUTCOME_SYNTHESIS and (points or (key_points and key_points.pooled)):
        lines += [f"## {FIELD_LABELS['key_points']}", ""]
        labels = stakeholder_labels or {}
        order = [code for code in labels if code in points] + sorted(set(points) - set(labels))
        for code in order:
            lines += [f"### {labels.get(code, code)}", "", points[code], ""]
        if key_points is not None and key_points.pooled:
            lines += [f"### {_('Other stakeholder types (each with fewer than %(n)d participants)', n=small_cell_threshold())}", ""]
            for text in key_points.pooled:
                lines += [text, ""]
    lines += ["", handling.tlp]
    return "\n".join(lines).rstrip() + "\n"


def to_json(item: Submission, url: str, *, key_points: KeyPoints | None = None) -> dict[str, Any]:
    """The submission as a JSON-able dict (sources, not rendered HTML), with its tier and TLP label (key points as
    the small-cell rule lets the exporting reader see them: `key_points`)."""
    data: dict[str, Any] = {
        "id": item.id,
        "url": url,
        "kind": item.kind.value,
        "status": item.status.value,
        "tier": item.tier.code,
        "tlp": item.tier.tlp,
        "title": item.title,
        "summary": item.summary,
        "keywords": list(item.keywords or []),
        "paragraphs": item.paragraph_numbers,
        "author_organisation": None if not shows_author(item) else {
            "name": item.author_organisation.name,
            "stakeholder_type": item.author_organisation.stakeholder_type_code,
            "country": item.author_organisation.country,
        },
        "credited_to": author_label(item),
        "published_at": item.published_at.isoformat() if item.published_at else None,
        "updated_at": item.updated_at.isoformat(),
    }
    for name in MARKDOWN_FIELDS[item.kind]:
        data[name] = getattr(item, f"{name}_source")
    # The TLP of each part as this reader has it (a section they may not read is an empty one, at the item's tier).
    data["section_tiers"] = {
        name: {"tier": item.section_tier(name).code, "tlp": item.section_tier(name).tlp}
        for name in MARKDOWN_FIELDS[item.kind]
    }
    data["handling_tlp"] = item.handling_tier.tlp
    if item.kind is SubmissionKind.LESSON_LEARNT:
        data.update(
            application_area=item.application_area,
            military_context=item.military_context,
            lifecycle_stage=item.lifecycle_stage.value if item.lifecycle_stage else None,
            lesson_status=item.lesson_status.value if item.lesson_status else None,
        )
    elif item.kind is SubmissionKind.RESPONSIBLE_AI_POLICY:
        data.update(
            issuer=item.issuer,
            effective_date=item.effective_date.isoformat() if item.effective_date else None,
            policy_version=item.policy_version,
            link=item.link,
            policy_series=item.policy_series,
        )
    elif item.kind is SubmissionKind.OUTCOME_SYNTHESIS:
        points = dict(item.key_points or {}) if key_points is None else dict(key_points.by_type)
        data.update(key_points=points, round_id=item.round_id, chatham_house=item.chatham_house)
        if key_points is not None and key_points.pooled:
            data["key_points_other_types"] = list(key_points.pooled)
    return data


def citation(item: Submission, url: str) -> str:
    """A one-paragraph citation including the tier label, so a quote keeps its handling instruction."""
    year = (item.published_at or item.created_at).year
    version = f", version {item.policy_version}" if item.policy_version else ""
    return (
        f"{author_label(item)} ({year}). {item.title}{version}. {KIND_LABELS[item.kind.value]}, "
        f"REAIM Exchange archive. {item.tier.tlp} ({item.tier.code}). {url}"
    )
