"""Read side of organisations and people: the directory, profile pages, focal points' and admins' lists.

Everything an organisation or a person shared is read through policy.visible(); nothing from a Chatham House
round (its threads and posts, its synthesis) is ever attributed to them here — not even to the round's
facilitators, who see who took part on the round itself. Lists are capped, never counted: a total over
items would be a count of things a reader may not see.
"""
from __future__ import annotations

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session, selectinload

from webapp import policy
from webapp.models import (
    AccountStatus,
    ClearanceProposal,
    DialogueRound,
    Organisation,
    Post,
    ProposalStatus,
    SharingGroup,
    Submission,
    Thread,
    User,
)
from webapp.models.submission import READABLE_STATUSES
from webapp.policy import Viewer
from webapp.policy.organisations import can_see_people, person_is_listed

PROFILE_ITEMS = 50
PAGE_SIZE = 50


def directory(db: Session, viewer: Viewer, *, stakeholder_type: str | None = None,
              country: str | None = None) -> list[Organisation]:
    """Verified organisations by name, optionally of one stakeholder type and/or country."""
    stmt = policy.visible(select(Organisation), viewer, Organisation).order_by(Organisation.name)
    if stakeholder_type:
        stmt = stmt.where(Organisation.stakeholder_type_code == stakeholder_type)
    if country:
        stmt = stmt.where(Organisation.country == country)
    return list(db.scalars(stmt))


def directory_countries(db: Session, viewer: Viewer) -> list[str]:
    """Country codes that have at least one listed organisation (the filter's choices)."""
    stmt = policy.visible(select(Organisation.country).distinct(), viewer, Organisation)
    return sorted(db.scalars(stmt))


def organisation(db: Session, viewer: Viewer, organisation_id: int) -> Organisation | None:
    """One listed organisation, or None (unverified and merged ones have no page)."""
    return db.scalar(policy.visible(select(Organisation).where(Organisation.id == organisation_id), viewer,
                                    Organisation))


def _outside_chatham_house_threads() -> Select:
    """Ids of threads that are not in a Chatham House round."""
    return (select(Thread.id).outerjoin(DialogueRound, DialogueRound.id == Thread.round_id)
            .where(or_(Thread.round_id.is_(None), DialogueRound.chatham_house.is_(False))))


def shared_submissions(db: Session, viewer: Viewer, *, organisation_id: int | None = None,
                       author_id: int | None = None) -> list[Submission]:
    """Published (or archived) submissions of an organisation or a person the viewer may read; no syntheses
    of Chatham House rounds."""
    stmt = select(Submission).where(Submission.status.in_(READABLE_STATUSES), Submission.chatham_house.is_(False))
    if organisation_id is not None:
        stmt = stmt.where(Submission.author_organisation_id == organisation_id)
    if author_id is not None:
        stmt = stmt.where(Submission.author_id == author_id)
    stmt = policy.visible(stmt, viewer, Submission).order_by(Submission.published_at.desc(), Submission.id.desc())
    return list(db.scalars(stmt.limit(PROFILE_ITEMS)))


def shared_threads(db: Session, viewer: Viewer, *, organisation_id: int | None = None,
                   author_id: int | None = None) -> list[Thread]:
    """Threads started by an organisation's members or by a person, readable by the viewer, outside Chatham
    House rounds."""
    stmt = select(Thread).where(Thread.id.in_(_outside_chatham_house_threads()))
    if organisation_id is not None:
        stmt = stmt.where(Thread.author_id.in_(select(User.id).where(User.organisation_id == organisation_id)))
    if author_id is not None:
        stmt = stmt.where(Thread.author_id == author_id)
    stmt = policy.visible(stmt, viewer, Thread).order_by(Thread.id.desc())
    return list(db.scalars(stmt.limit(PROFILE_ITEMS)))


def person_posts(db: Session, viewer: Viewer, author_id: int) -> list[Post]:
    """A person's visible (not hidden) posts outside Chatham House rounds."""
    stmt = (select(Post).where(Post.author_id == author_id, Post.hidden_at.is_(None),
                               Post.thread_id.in_(_outside_chatham_house_threads()))
            .options(selectinload(Post.thread)))
    stmt = policy.visible(stmt, viewer, Post).order_by(Post.id.desc())
    return list(db.scalars(stmt.limit(PROFILE_ITEMS)))


def person(db: Session, viewer: Viewer, user_id: int) -> User | None:
    """A listed person (active, in a listed organisation) for a viewer who may see people, else None."""
    if not can_see_people(viewer):
        return None
    found = db.get(User, user_id)
    return found if found is not None and person_is_listed(found) else None


def focal_points(db: Session, viewer: Viewer, organisation_id: int) -> list[User]:
    """An organisation's active focal points, for viewers who may see people (else none)."""
    if not can_see_people(viewer):
        return []
    from webapp.services.organisations import focal_points as stored

    return stored(db, organisation_id)


def colleagues(db: Session, organisation_id: int, *, status: AccountStatus) -> list[User]:
    """Members of one organisation with one status (the focal points' page)."""
    return list(db.scalars(select(User).where(User.organisation_id == organisation_id, User.status == status)
                           .order_by(User.name)))


def owned_groups(db: Session, organisation_id: int) -> list[SharingGroup]:
    """The sharing groups an organisation owns."""
    return list(db.scalars(select(SharingGroup).where(SharingGroup.owner_organisation_id == organisation_id)
                           .order_by(SharingGroup.name)))


def pending_proposals(db: Session) -> list[ClearanceProposal]:
    """Clearance proposals waiting for an admin, oldest first."""
    return list(db.scalars(select(ClearanceProposal).where(ClearanceProposal.status == ProposalStatus.PENDING)
                           .options(selectinload(ClearanceProposal.user), selectinload(ClearanceProposal.proposed_by))
                           .order_by(ClearanceProposal.created_at, ClearanceProposal.id)))


# ---------------------------------------------------------------- admin lists: searchable, paginated


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _page(db: Session, stmt: Select, page: int) -> tuple[list, bool]:
    rows = list(db.scalars(stmt.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def people_page(db: Session, *, q: str = "", status: AccountStatus | None = None,
                page: int = 1) -> tuple[list[User], bool]:
    """People by name matching q (name, e-mail or organisation), one page, and whether another follows."""
    stmt = select(User).join(Organisation, Organisation.id == User.organisation_id).options(
        selectinload(User.sharing_groups)).order_by(User.name, User.id)
    if status is not None:
        stmt = stmt.where(User.status == status)
    if q:
        pattern = _like(q)
        stmt = stmt.where(or_(func.lower(User.name).like(pattern, escape="\\"),
                              func.lower(User.email).like(pattern, escape="\\"),
                              func.lower(Organisation.name).like(pattern, escape="\\")))
    return _page(db, stmt, page)


def organisations_page(db: Session, *, q: str = "", verified: bool | None = None,
                       page: int = 1) -> tuple[list[Organisation], bool]:
    """Organisations (merged duplicates left out) matching q in name or country code, one page."""
    stmt = select(Organisation).where(Organisation.merged_into_id.is_(None)).order_by(Organisation.name,
                                                                                        Organisation.id)
    if verified is not None:
        stmt = stmt.where(Organisation.verified.is_(verified))
    if q:
        pattern = _like(q)
        stmt = stmt.where(or_(func.lower(Organisation.name).like(pattern, escape="\\"),
                              func.lower(Organisation.country) == q.lower() if len(q) == 2 else false()))
    return _page(db, stmt, page)
