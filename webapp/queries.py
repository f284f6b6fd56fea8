"""Read-side selects for the foundation (paragraphs, people); content queries always go through policy.visible()."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from webapp.models import CallParagraph, Organisation, SharingGroup, StakeholderType, User
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
    """Organisations by name, optionally only (un)verified ones; duplicates merged into another are left out."""
    stmt = select(Organisation).where(Organisation.merged_into_id.is_(None)).order_by(Organisation.name)
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



def readable_groups(db: Session, viewer) -> list[SharingGroup]:
    """The sharing groups the viewer may read (is in, or owns), by name."""
    from webapp import policy

    stmt = select(SharingGroup).options(selectinload(SharingGroup.owner_organisation)).order_by(SharingGroup.name)
    return list(db.scalars(policy.visible(stmt, viewer, SharingGroup)))


def owned_group(db: Session, viewer, group_id: int) -> SharingGroup | None:
    """One sharing group with its owner and members, if the viewer may read it (its members and owners), else
    None."""
    from webapp import policy

    stmt = (
        select(SharingGroup)
        .where(SharingGroup.id == group_id)
        .options(selectinload(SharingGroup.users), selectinload(SharingGroup.organisations),
                 selectinload(SharingGroup.owner_organisation))
    )
    return db.scalar(policy.visible(stmt, viewer, SharingGroup))


def outgoing_mail_page(db: Session, *, page: int, per_page: int = 50, status=None) -> list:
    """The mail queue, newest first (one row more than a page, to tell whether another page follows)."""
    from webapp.models import OutgoingMail

    stmt = select(OutgoingMail).order_by(OutgoingMail.id.desc())
    if status is not None:
        stmt = stmt.where(OutgoingMail.status == status)
    return list(db.scalars(stmt.limit(per_page + 1).offset((page - 1) * per_page)))


def outgoing_mail_counts(db: Session) -> dict:
    """How many mails are in each status."""
    from sqlalchemy import func

    from webapp.models import OutgoingMail

    return dict(db.execute(select(OutgoingMail.status, func.count()).group_by(OutgoingMail.status)).all())
