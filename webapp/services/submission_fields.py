"""Validating and applying the fields of a submission (shared by create, edit and outcome syntheses).

Services are the last line of defence: a forged form, a script or a CLI reaches these checks, not only the
Flask-WTF forms. Unknown keys (e.g. a forged `author_id` or `status`) are refused outright.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webapp import policy
from webapp.ids import parse_id, parse_number
from webapp.models import CallParagraph, LessonStatus, LifecycleStage, Submission, SubmissionKind, Tier
from webapp.models.call_paragraph import FIRST_PARAGRAPH, LAST_PARAGRAPH
from webapp.models.submission import ALL_MARKDOWN_FIELDS, MARKDOWN_FIELDS
from webapp.models.submission_revision import SubmissionRevision
from webapp.policy import Viewer
from webapp.policy.archive import may_assign_group, may_assign_tier
from webapp.policy.sections import SNAPSHOT_KEY, TEAR_LINE_KINDS
from webapp.sanitize import MAX_SOURCE_CHARS, clean_plain, markdown_to_html
from webapp.services import ServiceError

TITLE_MAX = 300
SUMMARY_MAX = 2000
KEYWORD_MAX = 60
KEYWORDS_MAX_COUNT = 20
KEY_POINT_MAX = 5000

COMMON_KEYS = frozenset({"title", "summary", "keywords", "paragraphs", "tier", "sharing_group_id", "section_tiers",
                         "language"})
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
# The status (and the transition's past participle) as words inside a sentence, in the reader's language.
STATUS_WORDS = {"draft": _l("draft"), "submitted": _l("submitted"), "returned": _l("returned"),
                "published": _l("published"), "withdrawn": _l("withdrawn"), "archived": _l("archived")}
FIELD_LABELS = {
    "observation": _l("Observation"), "discussion": _l("Discussion"), "conclusion": _l("Conclusion"),
    "recommendation": _l("Recommendation"), "lifecycle_stage": _l("Lifecycle stage"),
    "remedial_action": _l("Remedial action"), "evidence": _l("Evidence of change"), "challenge": _l("Challenge"),
    "practice": _l("Practice"), "evidence_of_effect": _l("Evidence of effect"),
    "transfer_conditions": _l("Conditions for transfer"), "issuer": _l("Issuer"), "scope": _l("Scope"),
    "principles": _l("Principles"), "policy_version": _l("Version"), "body": _l("Synthesis"),
}


def parse_kind(value: Any, *, creatable_only: bool = True) -> SubmissionKind:
    """A submission kind from its code; outcome syntheses are not created through the submission form."""
    try:
        kind = value if isinstance(value, SubmissionKind) else SubmissionKind(str(value))
    except ValueError:
        raise ServiceError(_l("Unknown submission type %(kind)s.", kind=repr(str(value)[:40]))) from None
    if creatable_only and kind is SubmissionKind.OUTCOME_SYNTHESIS:
        raise ServiceError(_l("Outcome syntheses are published by facilitators from a dialogue round."))
    return kind


def parse_tier(value: Any) -> Tier:
    """A tier from its code (or a Tier)."""
    if isinstance(value, Tier):
        return value
    try:
        return Tier.from_code(str(value))
    except ValueError:
        raise ServiceError(_l("Unknown access tier %(tier)s.", tier=repr(str(value)[:40]))) from None


def parse_group_id(value: Any) -> int | None:
    """A sharing group id, or None for 'no group'."""
    if value in (None, "", 0, "0"):
        return None
    group_id = parse_id(value)
    if group_id is None:  # never ask the database about a number no row can have
        raise ServiceError(_l("Unknown sharing group."))
    return group_id


def check_audience(
    actor: Viewer, tier: Tier, sharing_group_id: int | None, *, current_group_id: int | None = None
) -> None:
    """Refuse a tier above the actor's clearance and a group the actor is not in (keeping the item's current group
    chooses nothing, so it is never refused)."""
    if not may_assign_tier(actor, tier):
        raise ServiceError(
            _l("You cannot use the tier %(tier)s (%(tlp)s): it is above your clearance (%(clearance)s).", tier=tier.code,
               tlp=tier.tlp, clearance=policy.max_authoring_tier(actor).code)
        )
    if sharing_group_id != current_group_id and not may_assign_group(actor, sharing_group_id):
        raise ServiceError(_l("You can only limit an item to a sharing group you belong to."))
    if tier is Tier.PUBLIC and sharing_group_id is not None:
        # A group narrows readers only above public; accepting both would publish to everyone unannounced.
        raise ServiceError(_l("A public item is open to everyone, so it cannot be limited to a sharing group: "
                           "choose the community tier or higher."))


def clean_section_tiers(
    actor: Viewer, kind: SubmissionKind, item_tier: Tier, value: Any, *, check_clearance: bool = True
) -> dict[str, str]:
    """Tear lines as stored: section → tier code, only for sections above the item's tier. A section below the
    item's tier, an unknown section or a tier above the actor's clearance is refused (a forged form reaches here).
    Without `check_clearance` (a reviewer publishing the author's revision) a section the item has since been
    raised past simply rises with it."""
    if value in (None, ""):
        return {}
    if not isinstance(value, Mapping):
        raise ServiceError(_l("Section tiers must map each section to a tier."))
    sections = MARKDOWN_FIELDS[kind] if kind in TEAR_LINE_KINDS else ()
    cleaned: dict[str, str] = {}
    for name, code in value.items():
        if name not in sections:
            raise ServiceError(_l("This item has no section %(name)s that could be given its own tier.",
                                   name=repr(str(name)[:40])))
        if code in (None, "", "same"):
            continue
        tier = parse_tier(code)
        label = FIELD_LABELS.get(name, name)
        if tier < item_tier:
            if not check_clearance:
                continue
            raise ServiceError(
                _l("The section %(section)s cannot be less restricted than its item: choose %(tier)s (%(tlp)s) or higher, "
                   "or lower the item's tier.", section=label, tier=item_tier.code, tlp=item_tier.tlp)
            )
        if check_clearance and not may_assign_tier(actor, tier):
            raise ServiceError(
                _l("You cannot give the section %(section)s the tier %(tier)s (%(tlp)s): it is above your clearance "
                   "(%(clearance)s).", section=label, tier=tier.code, tlp=tier.tlp,
                   clearance=policy.max_authoring_tier(actor).code)
            )
        if tier > item_tier:
            cleaned[name] = tier.code
    return cleaned


def _paragraphs(db: Session, value: Any) -> list[CallParagraph]:
    parsed = {parse_number(n) for n in (value or [])}
    if None in parsed:
        raise ServiceError(_l("Paragraphs must be numbers from 1 to 25."))
    numbers = sorted(parsed)
    if not numbers:
        raise ServiceError(_l("Choose at least one paragraph of the Call to Action."))
    wrong = [n for n in numbers if not FIRST_PARAGRAPH <= n <= LAST_PARAGRAPH]
    if wrong:
        raise ServiceError(_l("The Call to Action has paragraphs 1 to 25; there is no paragraph %(n)d.", n=wrong[0]))
    found = list(db.scalars(select(CallParagraph).where(CallParagraph.number.in_(numbers)).order_by(CallParagraph.number)))
    if len(found) != len(numbers):
        raise ServiceError(_l("Some of the chosen paragraphs are not loaded; ask an administrator to load the Call."))
    return found


def _keywords(value: Any) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value or [])
    cleaned = [clean_plain(str(item), KEYWORD_MAX) for item in items]
    unique = list(dict.fromkeys(k for k in cleaned if k))
    if len(unique) > KEYWORDS_MAX_COUNT:
        raise ServiceError(_l("Use at most %(n)d keywords.", n=KEYWORDS_MAX_COUNT))
    return unique


def _markdown(name: str, value: Any) -> tuple[str, str]:
    source = str(value or "")
    if len(source) > MAX_SOURCE_CHARS:
        raise ServiceError(
            _l("%(field)s is too long (at most %(n)s characters).", field=FIELD_LABELS.get(name, name),
               n=format_decimal(MAX_SOURCE_CHARS)), status=413
        )
    source = source.replace("\r\n", "\n").strip()
    return source, markdown_to_html(source)


def _enum_value(enum_class, value: Any, label: object):
    if value in (None, ""):
        return None
    if isinstance(value, enum_class):
        return value
    try:
        return enum_class(str(value))
    except ValueError:
        raise ServiceError(_l("Unknown %(what)s %(value)s.", what=label, value=repr(str(value)[:40]))) from None


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ServiceError(_l("The effective date must be a date (YYYY-MM-DD).")) from None


def _link(value: Any) -> str:
    link = clean_plain(str(value or ""), 500)
    if link and (urlsplit(link).scheme not in {"http", "https"} or not urlsplit(link).netloc):
        raise ServiceError(_l("The link must be a web address starting with https:// or http://."))
    return link


def apply_fields(
    db: Session, actor: Viewer, submission: Submission, data: Mapping[str, Any], *, keep_audience: bool = False
) -> None:
    """Validate `data` for the submission's kind and set it on `submission` (every key is required).
    `keep_audience`: the item keeps its tier and group (publishing a reviewed revision changes only its text)."""
    if keep_audience:
        data = {**data, "tier": submission.tier, "sharing_group_id": submission.sharing_group_id}
    allowed = COMMON_KEYS | KIND_KEYS[submission.kind]
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ServiceError(_l("These fields cannot be set here: %(fields)s.", fields=", ".join(unknown)[:200]))
    title = clean_plain(str(data.get("title") or ""), TITLE_MAX + 1)
    if not title:
        raise ServiceError(_l("A title is required."))
    if len(title) > TITLE_MAX:
        raise ServiceError(_l("The title is too long (at most %(n)s characters).", n=format_decimal(TITLE_MAX)))
    summary = str(data.get("summary") or "").replace("\r\n", "\n").strip()
    if not summary:
        raise ServiceError(_l("A summary is required."))
    if len(summary) > SUMMARY_MAX:
        raise ServiceError(_l("The summary is too long (at most %(n)s characters).", n=format_decimal(SUMMARY_MAX)))
    tier = parse_tier(data.get("tier"))
    group_id = parse_group_id(data.get("sharing_group_id"))
    if not keep_audience:
        check_audience(actor, tier, group_id)
    # Without the key the item keeps its tear lines (a script editing the text never opens a section).
    section_tiers = clean_section_tiers(
        actor, submission.kind, tier, data.get("section_tiers", submission.section_tiers),
        check_clearance=not keep_audience,
    )
    submission.paragraphs = _paragraphs(db, data.get("paragraphs"))
    if "language" in data:  # without the key the item keeps its language
        submission.language = parse_language(data["language"])
    submission.title = title
    submission.summary = "".join(ch for ch in summary if ch in "\n\t" or ord(ch) >= 32)
    submission.keywords = _keywords(data.get("keywords"))
    submission.tier = tier
    submission.sharing_group_id = group_id
    submission.section_tiers = section_tiers
    for name in MARKDOWN_FIELDS[submission.kind]:
        source, html = _markdown(name, data.get(name))
        setattr(submission, f"{name}_source", source)
        setattr(submission, f"{name}_html", html)
    if submission.kind is SubmissionKind.LESSON_LEARNT:
        submission.application_area = clean_plain(str(data.get("application_area") or ""), 200)
        submission.military_context = clean_plain(str(data.get("military_context") or ""), 200)
        submission.lifecycle_stage = _enum_value(LifecycleStage, data.get("lifecycle_stage"), _l("lifecycle stage"))
        submission.lesson_status = (
            _enum_value(LessonStatus, data.get("lesson_status"), _l("lesson status")) or LessonStatus.IDENTIFIED
        )
    elif submission.kind is SubmissionKind.RESPONSIBLE_AI_POLICY:
        submission.issuer = clean_plain(str(data.get("issuer") or ""), 200)
        submission.effective_date = _date(data.get("effective_date"))
        submission.policy_version = clean_plain(str(data.get("policy_version") or ""), 40)
        submission.link = _link(data.get("link"))


def parse_language(value: Any) -> str:
    """One of the platform's languages (LANGUAGES), or a clear refusal."""
    code = str(value or "").strip()
    if code not in current_app.config["LANGUAGES"]:
        raise ServiceError(_l("Choose one of the platform's languages."))
    return code


def clean_key_points(value: Mapping[str, str]) -> dict[str, str]:
    """Key points of a synthesis per stakeholder type code; unknown codes are refused."""
    from webapp.models.stakeholder_type import STAKEHOLDER_CODES

    points: dict[str, str] = {}
    for code, text in (value or {}).items():
        if code not in STAKEHOLDER_CODES:
            raise ServiceError(_l("Unknown stakeholder type %(code)s.", code=repr(str(code)[:40])))
        text = "".join(ch for ch in str(text or "").replace("\r\n", "\n") if ch in "\n\t" or ord(ch) >= 32).strip()
        if len(text) > KEY_POINT_MAX:
            raise ServiceError(_l("Key points are limited to %(n)s characters per stakeholder type.",
                                   n=format_decimal(KEY_POINT_MAX)))
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


def fields_from_snapshot(submission: Submission, stored: Mapping[str, Any]) -> dict[str, Any]:
    """A revision's snapshot as apply_fields input for this submission's kind (bookkeeping keys left out)."""
    allowed = COMMON_KEYS | KIND_KEYS[submission.kind]
    fields = {key: value for key, value in stored.items() if key in allowed}
    fields["section_tiers"] = dict(stored.get(SNAPSHOT_KEY) or {})
    return fields


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
        # Each section's tier as written: revisions and diffs follow it (DESIGN.md rule 10).
        SNAPSHOT_KEY: dict(submission.section_tiers or {}),
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


def item_tier_face(submission: Submission) -> dict[str, Any]:
    """What readers at the item's own tier read of it: the snapshot without the sections above it. An edit that
    leaves this unchanged changes nothing they can see, so it does not move the item's `updated_at`."""
    data = snapshot(submission)
    data.pop(SNAPSHOT_KEY, None)
    for name in MARKDOWN_FIELDS[submission.kind]:
        if submission.section_tier(name) > submission.tier:
            data.pop(name, None)
    return data


def add_revision(
    db: Session, actor: Viewer, submission: Submission, note: str, *,
    fields: dict[str, Any] | None = None, review_state: str = "", audience: tuple[Tier, int | None] | None = None,
) -> SubmissionRevision:
    """Append a revision holding the submission's current fields (or the proposed `fields` of a pending revision),
    under the audience it has now (after the edit) or the `audience` a pending revision proposes."""
    db.flush()
    last = db.scalar(
        select(func.max(SubmissionRevision.number)).where(SubmissionRevision.submission_id == submission.id)
    )
    revision = SubmissionRevision(
        submission_id=submission.id,
        number=(last or 0) + 1,
        author_id=actor.user_id,
        note=note[:200],
        snapshot=fields if fields is not None else snapshot(submission),
        review_state=review_state,
        # Recorded once and never updated: a later change of the item's tier leaves this revision where it was.
        tier=audience[0] if audience else submission.tier,
        sharing_group_id=audience[1] if audience else submission.sharing_group_id,
        author_organisation_id=submission.author_organisation_id,
    )
    db.add(revision)
    return revision
