"""Validating and applying the fields of a submission (shared by create, edit and outcome syntheses).

Services are the last line of defence: a forged form, a script or a CLI reaches these checks, not only the
Flask-WTF forms. Unknown keys (e.g. a forged `author_id` or `status`) are refused outright.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp import policy
from webapp.models import CallParagraph, LessonStatus, LifecycleStage, Submission, SubmissionKind, Tier
from webapp.models.call_paragraph import FIRST_PARAGRAPH, LAST_PARAGRAPH
from webapp.models.submission import ALL_MARKDOWN_FIELDS, MARKDOWN_FIELDS
from webapp.models.submission_revision import SubmissionRevision
from webapp.policy import Viewer
from webapp.policy.archive import may_assign_group, may_assign_tier
from webapp.sanitize import MAX_SOURCE_CHARS, clean_plain, markdown_to_html
from webapp.services import ServiceError

TITLE_MAX = 300
SUMMARY_MAX = 2000
KEYWORD_MAX = 60
KEYWORDS_MAX_COUNT = 20
KEY_POINT_MAX = 5000

COMMON_KEYS = frozenset({"title", "summary", "keywords", "paragraphs", "tier", "sharing_group_id"})
KIND_KEYS: dict[SubmissionKind, frozenset[str]] = {
    SubmissionKind.LESSON_LEARNT: frozenset(
        MARKDOWN_FIELDS[SubmissionKind.LESSON_LEARNT]
        + ("application_area", "military_context", "lifecycle_stage", "lesson_status")
    ),
    SubmissionKind.GOOD_PRACTICE: frozenset(MARKDOWN_FIELDS[SubmissionKind.GOOD_PRACTICE]),
    SubmissionKind.RESPONSIBLE_AI_POLICY: frozenset(
        MARKDOWN_FIELDS[SubmissionKind.RESPONSIBLE_AI_POLICY] + ("issuer", "effective_date", "policy_version", "link")
    ),
    SubmissionKind.OUTCOME_SYNTHESIS: frozenset({"body"}),
}
# What must be filled in before an item goes to review (drafts may be incomplete).
REQUIRED_TO_SUBMIT: dict[SubmissionKind, tuple[str, ...]] = {
    SubmissionKind.LESSON_LEARNT: ("observation", "discussion", "conclusion", "recommendation", "lifecycle_stage"),
    SubmissionKind.GOOD_PRACTICE: ("challenge", "practice", "evidence_of_effect", "transfer_conditions"),
    SubmissionKind.RESPONSIBLE_AI_POLICY: ("issuer", "scope", "principles", "policy_version"),
    SubmissionKind.OUTCOME_SYNTHESIS: ("body",),
}
FIELD_LABELS = {
    "observation": "Observation", "discussion": "Discussion", "conclusion": "Conclusion",
    "recommendation": "Recommendation", "lifecycle_stage": "Lifecycle stage", "remedial_action": "Remedial action",
    "evidence": "Evidence of change", "challenge": "Challenge", "practice": "Practice",
    "evidence_of_effect": "Evidence of effect", "transfer_conditions": "Conditions for transfer", "issuer": "Issuer",
    "scope": "Scope", "principles": "Principles", "policy_version": "Version", "body": "Synthesis",
}


def parse_kind(value: Any, *, creatable_only: bool = True) -> SubmissionKind:
    """A submission kind from its code; outcome syntheses are not created through the submission form."""
    try:
        kind = value if isinstance(value, SubmissionKind) else SubmissionKind(str(value))
    except ValueError:
        raise ServiceError(f"Unknown submission type {str(value)[:40]!r}.") from None
    if creatable_only and kind is SubmissionKind.OUTCOME_SYNTHESIS:
        raise ServiceError("Outcome syntheses are published by facilitators from a dialogue round.")
    return kind


def parse_tier(value: Any) -> Tier:
    """A tier from its code (or a Tier)."""
    if isinstance(value, Tier):
        return value
    try:
        return Tier.from_code(str(value))
    except ValueError:
        raise ServiceError(f"Unknown access tier {str(value)[:40]!r}.") from None


def parse_group_id(value: Any) -> int | None:
    """A sharing group id, or None for 'no group'."""
    if value in (None, "", 0, "0"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ServiceError("Unknown sharing group.") from None


def check_audience(actor: Viewer, tier: Tier, sharing_group_id: int | None) -> None:
    """Refuse a tier above the actor's clearance and a group the actor is not in."""
    if not may_assign_tier(actor, tier):
        raise ServiceError(
            f"You cannot use the tier {tier.code} ({tier.tlp}): it is above your clearance "
            f"({policy.max_authoring_tier(actor).code})."
        )
    if not may_assign_group(actor, sharing_group_id):
        raise ServiceError("You can only limit an item to a sharing group you belong to.")
    if tier is Tier.PUBLIC and sharing_group_id is not None:
        # A group narrows readers only above public; accepting both would publish to everyone unannounced.
        raise ServiceError("A public item is open to everyone, so it cannot be limited to a sharing group: "
                           "choose the community tier or higher.")


def _paragraphs(db: Session, value: Any) -> list[CallParagraph]:
    try:
        numbers = sorted({int(n) for n in (value or [])})
    except (TypeError, ValueError):
        raise ServiceError("Paragraphs must be numbers from 1 to 25.") from None
    if not numbers:
        raise ServiceError("Choose at least one paragraph of the Call to Action.")
    wrong = [n for n in numbers if not FIRST_PARAGRAPH <= n <= LAST_PARAGRAPH]
    if wrong:
        raise ServiceError(f"The Call to Action has paragraphs 1 to 25; there is no paragraph {wrong[0]}.")
    found = list(db.scalars(select(CallParagraph).where(CallParagraph.number.in_(numbers)).order_by(CallParagraph.number)))
    if len(found) != len(numbers):
        raise ServiceError("Some of the chosen paragraphs are not loaded; ask an administrator to load the Call.")
    return found


def _keywords(value: Any) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value or [])
    cleaned = [clean_plain(str(item), KEYWORD_MAX) for item in items]
    unique = list(dict.fromkeys(k for k in cleaned if k))
    if len(unique) > KEYWORDS_MAX_COUNT:
        raise ServiceError(f"Use at most {KEYWORDS_MAX_COUNT} keywords.")
    return unique


def _markdown(name: str, value: Any) -> tuple[str, str]:
    source = str(value or "")
    if len(source) > MAX_SOURCE_CHARS:
        raise ServiceError(
            f"{FIELD_LABELS.get(name, name)} is too long (at most {MAX_SOURCE_CHARS:,} characters).", status=413
        )
    source = source.replace("\r\n", "\n").strip()
    return source, markdown_to_html(source)


def _enum_value(enum_class, value: Any, label: str):
    if value in (None, ""):
        return None
    if isinstance(value, enum_class):
        return value
    try:
        return enum_class(str(value))
    except ValueError:
        raise ServiceError(f"Unknown {label} {str(value)[:40]!r}.") from None


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ServiceError("The effective date must be a date (YYYY-MM-DD).") from None


def _link(value: Any) -> str:
    link = clean_plain(str(value or ""), 500)
    if link and (urlsplit(link).scheme not in {"http", "https"} or not urlsplit(link).netloc):
        raise ServiceError("The link must be a web address starting with https:// or http://.")
    return link


def apply_fields(db: Session, actor: Viewer, submission: Submission, data: Mapping[str, Any]) -> None:
    """Validate `data` for the submission's kind and set it on `submission` (every key is required)."""
    allowed = COMMON_KEYS | KIND_KEYS[submission.kind]
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ServiceError(f"These fields cannot be set here: {', '.join(unknown)[:200]}.")
    title = clean_plain(str(data.get("title") or ""), TITLE_MAX + 1)
    if not title:
        raise ServiceError("A title is required.")
    if len(title) > TITLE_MAX:
        raise ServiceError(f"The title is too long (at most {TITLE_MAX} characters).")
    summary = str(data.get("summary") or "").replace("\r\n", "\n").strip()
    if not summary:
        raise ServiceError("A summary is required.")
    if len(summary) > SUMMARY_MAX:
        raise ServiceError(f"The summary is too long (at most {SUMMARY_MAX} characters).")
    tier = parse_tier(data.get("tier"))
    group_id = parse_group_id(data.get("sharing_group_id"))
    check_audience(actor, tier, group_id)
    submission.paragraphs = _paragraphs(db, data.get("paragraphs"))
    submission.title = title
    submission.summary = "".join(ch for ch in summary if ch in "\n\t" or ord(ch) >= 32)
    submission.keywords = _keywords(data.get("keywords"))
    submission.tier = tier
    submission.sharing_group_id = group_id
    for name in MARKDOWN_FIELDS[submission.kind]:
        source, html = _markdown(name, data.get(name))
        setattr(submission, f"{name}_source", source)
        setattr(submission, f"{name}_html", html)
    if submission.kind is SubmissionKind.LESSON_LEARNT:
        submission.application_area = clean_plain(str(data.get("application_area") or ""), 200)
        submission.military_context = clean_plain(str(data.get("military_context") or ""), 200)
        submission.lifecycle_stage = _enum_value(LifecycleStage, data.get("lifecycle_stage"), "lifecycle stage")
        submission.lesson_status = (
            _enum_value(LessonStatus, data.get("lesson_status"), "lesson status") or LessonStatus.IDENTIFIED
        )
    elif submission.kind is SubmissionKind.RESPONSIBLE_AI_POLICY:
        submission.issuer = clean_plain(str(data.get("issuer") or ""), 200)
        submission.effective_date = _date(data.get("effective_date"))
        submission.policy_version = clean_plain(str(data.get("policy_version") or ""), 40)
        submission.link = _link(data.get("link"))


def clean_key_points(value: Mapping[str, str]) -> dict[str, str]:
    """Key points of a synthesis per stakeholder type code; unknown codes are refused."""
    from webapp.models.stakeholder_type import STAKEHOLDER_CODES

    points: dict[str, str] = {}
    for code, text in (value or {}).items():
        if code not in STAKEHOLDER_CODES:
            raise ServiceError(f"Unknown stakeholder type {str(code)[:40]!r}.")
        text = "".join(ch for ch in str(text or "").replace("\r\n", "\n") if ch in "\n\t" or ord(ch) >= 32).strip()
        if len(text) > KEY_POINT_MAX:
            raise ServiceError(f"Key points are limited to {KEY_POINT_MAX} characters per stakeholder type.")
        if text:
            points[code] = text
    return points


def key_points_html(points: Mapping[str, str]) -> dict[str, str]:
    """The key points rendered from Markdown and sanitized (stored next to the sources)."""
    return {code: markdown_to_html(text) for code, text in points.items()}


def missing_for_submission(submission: Submission) -> list[str]:
    """Labels of the fields that must be filled in before the item goes to review."""
    missing = []
    for name in REQUIRED_TO_SUBMIT[submission.kind]:
        value = getattr(submission, f"{name}_source" if name in ALL_MARKDOWN_FIELDS else name)
        if value in (None, ""):
            missing.append(FIELD_LABELS[name])
    if submission.kind is SubmissionKind.LESSON_LEARNT:
        if submission.lesson_status in (LessonStatus.REMEDIAL_ACTION, LessonStatus.LEARNT) and not submission.remedial_action_source:
            missing.append(FIELD_LABELS["remedial_action"])
        if submission.lesson_status is LessonStatus.LEARNT and not submission.evidence_source:
            missing.append(FIELD_LABELS["evidence"])
    return missing


def snapshot(submission: Submission) -> dict[str, Any]:
    """Every field of a submission as JSON-able values (stored in a revision)."""
    data: dict[str, Any] = {
        "kind": submission.kind.value,
        "status": submission.status.value,
        "title": submission.title,
        "summary": submission.summary,
        "keywords": list(submission.keywords or []),
        "paragraphs": [p.number for p in submission.paragraphs],
        "tier": submission.tier.code,
        "sharing_group_id": submission.sharing_group_id,
    }
    for name in MARKDOWN_FIELDS[submission.kind]:
        data[name] = getattr(submission, f"{name}_source")
    if submission.kind is SubmissionKind.LESSON_LEARNT:
        data["application_area"] = submission.application_area
        data["military_context"] = submission.military_context
        data["lifecycle_stage"] = submission.lifecycle_stage.value if submission.lifecycle_stage else ""
        data["lesson_status"] = submission.lesson_status.value if submission.lesson_status else ""
    elif submission.kind is SubmissionKind.RESPONSIBLE_AI_POLICY:
        data["issuer"] = submission.issuer
        data["effective_date"] = submission.effective_date.isoformat() if submission.effective_date else ""
        data["policy_version"] = submission.policy_version
        data["link"] = submission.link
    elif submission.kind is SubmissionKind.OUTCOME_SYNTHESIS:
        data["key_points"] = dict(submission.key_points or {})
        data["round_id"] = submission.round_id
        data["chatham_house"] = submission.chatham_house
    return data


def add_revision(db: Session, actor: Viewer, submission: Submission, note: str) -> SubmissionRevision:
    """Append a revision holding the submission's current fields."""
    db.flush()
    last = db.scalar(
        select(func.max(SubmissionRevision.number)).where(SubmissionRevision.submission_id == submission.id)
    )
    revision = SubmissionRevision(
        submission_id=submission.id,
        number=(last or 0) + 1,
        author_id=actor.user_id,
        note=note[:200],
        snapshot=snapshot(submission),
    )
    db.add(revision)
    return revision
