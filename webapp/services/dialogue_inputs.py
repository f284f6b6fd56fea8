"""Checks shared by the dialogue services: paragraphs, tier choices, titles and Markdown bodies."""
from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import policy
from webapp.models import CallParagraph, SharingGroup, Tier
from webapp.policy import Viewer
from webapp.sanitize import clean_plain, markdown_to_html
from webapp.services import ServiceError

MAX_TITLE_CHARS = 200
MAX_POST_CHARS = 20_000
MAX_QUESTIONS_CHARS = 20_000
MAX_SYNTHESIS_CHARS = 50_000
MAX_REASON_CHARS = 1_000


def paragraphs(db: Session, numbers, *, required: bool = True) -> list[CallParagraph]:
    """The Call paragraphs with these numbers; at least one unless not required; unknown numbers refused."""
    wanted = sorted({int(number) for number in numbers or ()})
    if required and not wanted:
        raise ServiceError(_l("Link at least one paragraph of the Call to Action."))
    found = list(db.scalars(select(CallParagraph).where(CallParagraph.number.in_(wanted)).order_by(CallParagraph.number)))
    if len(found) != len(wanted):
        raise ServiceError(_l("The Call to Action has paragraphs 1 to 25 only."))
    return found


def title(value: str) -> str:
    """A non-empty plain-text title of at most 200 characters."""
    cleaned = clean_plain(value, MAX_TITLE_CHARS + 1)
    if not cleaned:
        raise ServiceError(_l("A title is required."))
    if len(cleaned) > MAX_TITLE_CHARS:
        raise ServiceError(_l("A title can have at most %(n)s characters.", n=format_decimal(MAX_TITLE_CHARS)))
    return cleaned


def markdown(value: str, *, limit: int, what: object, required: bool = True) -> tuple[str, str]:
    """(source, sanitized html) of a Markdown text, refusing empty (when required) and oversized input."""
    source = (value or "").replace("\r\n", "\n").strip()
    if len(source) > limit:
        raise ServiceError(_l("%(what)s is too long: at most %(limit)s characters, this has %(length)s.", what=what,
                               limit=format_decimal(limit), length=format_decimal(len(source))))
    html = markdown_to_html(source) if source else ""
    if required and not html.strip():
        raise ServiceError(_l("%(what)s is empty.", what=what))
    return source, html


def reason(value: str, *, required: bool = True) -> str:
    """A moderation or flag reason: plain text, at most 1000 characters."""
    cleaned = clean_plain(value, MAX_REASON_CHARS + 1)
    if required and not cleaned:
        raise ServiceError(_l("Please give a reason."))
    if len(cleaned) > MAX_REASON_CHARS:
        raise ServiceError(_l("A reason can have at most %(n)s characters.", n=format_decimal(MAX_REASON_CHARS)))
    return cleaned


def tier_choice(
    db: Session, actor: Viewer, tier: Tier, sharing_group_id: int | None, *, current_group_id: int | None = None
) -> tuple[Tier, int | None]:
    """An author may give their own clearance at most, and limit to a group they belong to (keeping the group a
    round already has chooses nothing, so it is not refused)."""
    if tier > policy.max_authoring_tier(actor):
        raise ServiceError(_l("You cannot give a tier above your own clearance."))
    if sharing_group_id is not None and sharing_group_id == current_group_id:
        if tier is Tier.PUBLIC:
            raise ServiceError(_l("A public item cannot be limited to a sharing group."))
    elif sharing_group_id is not None:
        if db.get(SharingGroup, sharing_group_id) is None or not policy.may_use_group(actor, sharing_group_id):
            raise ServiceError(_l("You can only limit an item to a sharing group you belong to."))
        if tier is Tier.PUBLIC:
            raise ServiceError(_l("A public item cannot be limited to a sharing group."))
    return tier, sharing_group_id
