"""Read-side selects for the foundation (paragraphs, people); content queries always go through policy.visible()."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from webapp.models import AuditEvent, CallParagraph, Organisation, SharingGroup, StakeholderType, User
from webapp.models.call_paragraph import FIRST_PARAGRAPH, LAST_PARAGRAPH


def featured_paragraphs(db: Session) -> list[CallParagraph]:
    """Paragraphs 14, 16, 23 and 24."""
    return list(db.scalars(select(CallParagraph).where(CallParagraph.featured.is_(True)).order_by(CallParagraph.number)))


def all_paragraphs(db: Session) -> list[CallParagraph]:
    """The 25 paragraphs in order."""
    return list(db.scalars(select(CallParagraph).order_by(CallParagraph.number)))


def paragraph(db: Session, number: int) -> CallParagraph | None:
    """One paragraph by number (None outside 1–25)."""
    if not FIRST_PARAGRAPH <= number <= LAST_PARAGRAPH:
        return None
    return db.get(CallParagraph, number)


def stakeholder_types(db: Session) -> list[StakeholderType]:
    """Stakeholder types in their seeded order."""
    return list(db.scalars(select(StakeholderType).order_by(StakeholderType.position)))


def organisations(db: Session, *, verified: bool | None = None) -> list[Organisation]:
    """Organisations by name, optionally only (un)verified ones."""
    stmt = select(Organisation).order_by(Organisation.name)
    if verified is not None:
        stmt = stmt.where(Organisation.verified.is_(verified))
    return list(db.scalars(stmt))


def users(db: Session, *, status=None) -> list[User]:
    """People with their organisation and groups (admin lists)."""
    stmt = select(User).options(selectinload(User.sharing_groups)).order_by(User.name)
    if status is not None:
        stmt = stmt.where(User.status == status)
    return list(db.scalars(stmt))


def sharing_groups(db: Session) -> list[SharingGroup]:
    """Groups with their members."""
    return list(
        db.scalars(
            select(SharingGroup)
            .options(selectinload(SharingGroup.users), selectinload(SharingGroup.organisations))
            .order_by(SharingGroup.name)
        )
    )


def audit_page(db: Session, *, page: int, per_page: int = 50, action: str | None = None) -> list[AuditEvent]:
    """Newest audit events first."""
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
    if action:
        stmt = stmt.where(AuditEvent.action.startswith(action, autoescape=True))  # '%' and '_' are literal
    return list(db.scalars(stmt.limit(per_page + 1).offset((page - 1) * per_page)))
