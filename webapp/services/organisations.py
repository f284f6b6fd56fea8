"""Organisations and their focal points: profiles, edits, merges, verification and refusal, leavers, clearance
proposals, and the sharing groups an organisation owns. Rules: webapp/policy/organisations.py."""
from __future__ import annotations

from urllib.parse import urlsplit

import pycountry
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.orm import Session

from webapp.db import unit_of_work
from webapp.models import (
    AccountStatus,
    ClearanceProposal,
    DialogueRound,
    Organisation,
    Post,
    PostRevision,
    ProposalStatus,
    SharingGroup,
    StakeholderType,
    Submission,
    SubmissionRevision,
    Thread,
    Tier,
    User,
    organisation_focal_points,
    sharing_group_organisations,
    utcnow,
)
from webapp.models.dialogue_round import round_invited_organisations
from webapp.policy import Viewer
from webapp.policy import organisations as rules
from webapp.search.outbox import enqueue
from webapp.services import Conflict, Forbidden, NotFound, ServiceError, notification_events
from webapp.services.accounts import revoke_all_sessions
from webapp.services.audit import record

REASON_MAX = 500
OTHER_ORGANISATION = _l("You can only do this for people of your own organisation.")


def _organisation(db: Session, organisation_id: int) -> Organisation:
    organisation = db.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(_l("No such organisation."))
    return organisation


def _person(db: Session, user_id: int) -> User:
    person = db.get(User, user_id)
    if person is None:
        raise NotFound(_l("No such user."))
    return person


def _reason(reason: str) -> str:
    cleaned = (reason or "").strip()
    if not cleaned:
        raise ServiceError(_l("Give a reason: the person receives it."))
    if len(cleaned) > REASON_MAX:
        raise ServiceError(_l("The reason is too long (at most %(n)d characters).", n=REASON_MAX))
    return cleaned


def is_focal_point(db: Session, organisation_id: int, user_id: int) -> bool:
    """Is this person a focal point of this organisation (a stored grant; the Viewer adds 'and verified')?"""
    return db.scalar(select(organisation_focal_points.c.user_id).where(
        organisation_focal_points.c.organisation_id == organisation_id,
        organisation_focal_points.c.user_id == user_id)) is not None


# ---------------------------------------------------------------- focal points (admins grant and revoke)


def grant_focal_point(actor: Viewer, organisation_id: int, user_id: int) -> User:
    """Make an active member of a verified organisation one of its focal points."""
    if not rules.can_manage_focal_points(actor):
        raise Forbidden(_l("Only administrators can do this."))
    with unit_of_work() as db:
        organisation, person = _organisation(db, organisation_id), _person(db, user_id)
        if person.organisation_id != organisation.id:
            raise ServiceError(_l("A focal point must be a member of the organisation."))
        if not organisation.verified or person.status is not AccountStatus.ACTIVE:
            raise Conflict(_l("Only active members of a verified organisation can be focal points."))
        if is_focal_point(db, organisation.id, person.id):
            raise Conflict(_l("This person is already a focal point."))
        db.execute(insert(organisation_focal_points).values(organisation_id=organisation.id, user_id=person.id))
        record(db, actor.user_id, "organisation.focal_point_granted", "organisation", organisation.id,
               user_id=person.id)
    return person


def revoke_focal_point(actor: Viewer, organisation_id: int, user_id: int) -> None:
    """Take the focal-point role away (the person stays a member)."""
    if not rules.can_manage_focal_points(actor):
        raise Forbidden(_l("Only administrators can do this."))
    with unit_of_work() as db:
        organisation, person = _organisation(db, organisation_id), _person(db, user_id)
        if not is_focal_point(db, organisation.id, person.id):
            raise Conflict(_l("This person is not a focal point of this organisation."))
        db.execute(delete(organisation_focal_points).where(
            organisation_focal_points.c.organisation_id == organisation.id,
            organisation_focal_points.c.user_id == person.id))
        record(db, actor.user_id, "organisation.focal_point_revoked", "organisation", organisation.id,
               user_id=person.id)


def focal_points(db: Session, organisation_id: int) -> list[User]:
    """The active focal points of an organisation, by name."""
    return list(db.scalars(
        select(User).join(organisation_focal_points, and_(organisation_focal_points.c.user_id == User.id,
                                                          organisation_focal_points.c.organisation_id == User.organisation_id))
        .where(User.organisation_id == organisation_id, User.status == AccountStatus.ACTIVE)
        .order_by(User.name)
    ))


# ---------------------------------------------------------------- people: verify, refuse, deactivate


def verify_person(actor: Viewer, user_id: int) -> User:
    """Activate a pending account: an admin, or a focal point of the person's organisation."""
    with unit_of_work() as db:
        person = _person(db, user_id)
        if not rules.can_verify_person(actor, person):
            raise Forbidden(OTHER_ORGANISATION)
        if person.status is not AccountStatus.PENDING:
            raise Conflict(_l("Only pending accounts can be verified."))
        if not person.email_verified:
            # Nobody has shown they read this mailbox yet: anyone may type anyone's address into the form.
            raise Conflict(_l("This person has not confirmed their e-mail address yet; ask them to open the link "
                              "we mailed them."))
        person.status = AccountStatus.ACTIVE
        record(db, actor.user_id, "user.verified", "user", person.id, by_focal_point=not actor.is_admin)
        notification_events.account_verified(db, person)
    return person


def refuse_registration(actor: Viewer, user_id: int, reason: str) -> User:
    """Refuse a pending registration with a reason the person receives by e-mail; the account cannot sign in."""
    cleaned = _reason(reason)
    with unit_of_work() as db:
        person = _person(db, user_id)
        if not rules.can_refuse_registration(actor, person):
            raise Forbidden(OTHER_ORGANISATION)
        if person.status is not AccountStatus.PENDING:
            raise Conflict(_l("Only pending registrations can be refused."))
        # A refused registration is a deactivated account with an audited reason: the address stays taken, so a
        # refusal cannot be undone by registering again; an admin can reactivate it.
        person.status = AccountStatus.DEACTIVATED
        revoke_all_sessions(db, person.id)
        record(db, actor.user_id, "user.refused", "user", person.id, reason=cleaned,
               by_focal_point=not actor.is_admin)
        # Told by e-mail (a refused account cannot sign in to read an in-app notice), per their preference.
        notification_events.account_refused(db, person, cleaned)
    return person


def deactivate_person(actor: Viewer, user_id: int) -> User:
    """Deactivate a leaver: an admin, or a focal point of their organisation; every session is revoked."""
    with unit_of_work() as db:
        person = _person(db, user_id)
        if person.id == actor.user_id:
            raise Forbidden(_l("You cannot deactivate your own account."))
        if not rules.can_deactivate_person(actor, person):
            raise Forbidden(OTHER_ORGANISATION)
        if person.status is AccountStatus.DEACTIVATED:
            raise Conflict(_l("This account is already deactivated."))
        person.status = AccountStatus.DEACTIVATED
        revoke_all_sessions(db, person.id)
        record(db, actor.user_id, "user.deactivated", "user", person.id, by_focal_point=not actor.is_admin)
    return person


# ---------------------------------------------------------------- the organisation: profile, edit, merge


def _website(raw: str) -> str:
    value = (raw or "").strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(value) > 300 or any(c.isspace() for c in value):
        raise ServiceError(_l("The website must be an http:// or https:// address (at most 300 characters)."))
    return value


def update_profile(actor: Viewer, organisation_id: int, *, description: str, website: str) -> Organisation:
    """Change the public profile: admins and the organisation's focal points."""
    description = (description or "").strip()
    if len(description) > 2000:
        raise ServiceError(_l("The description is too long (at most 2000 characters)."))
    website = _website(website)
    with unit_of_work() as db:
        organisation = _organisation(db, organisation_id)
        if not rules.can_edit_profile(actor, organisation):
            raise Forbidden(_l("Only the organisation's focal points and administrators can edit its profile."))
        before = {"description": organisation.description, "website": organisation.website}
        organisation.description, organisation.website = description, website
        record(db, actor.user_id, "organisation.profile_changed", "organisation", organisation.id, before=before,
               after={"description": description, "website": website})
    return organisation


def edit_organisation(actor: Viewer, organisation_id: int, *, name: str, stakeholder_type: str,
                      country: str) -> Organisation:
    """Correct an organisation's name, stakeholder type or country (admins)."""
    if not rules.can_edit_organisation(actor):
        raise Forbidden(_l("Only administrators can do this."))
    name, country = (name or "").strip(), (country or "").strip().upper()
    if not name or len(name) > 200:
        raise ServiceError(_l("Give a name of at most 200 characters."))
    if len(country) != 2 or pycountry.countries.get(alpha_2=country) is None:
        raise ServiceError(_l("Choose a country from the list."))
    with unit_of_work() as db:
        organisation = _organisation(db, organisation_id)
        if db.get(StakeholderType, stakeholder_type or "") is None:
            raise ServiceError(_l("Unknown stakeholder type."))
        clash = db.scalar(select(Organisation.id).where(func.lower(Organisation.name) == name.lower(),
                                                       Organisation.id != organisation.id))
        if clash is not None:
            raise Conflict(_l("Another organisation already has this name. If it is a duplicate, merge them."))
        before = {"name": organisation.name, "stakeholder_type": organisation.stakeholder_type_code,
                  "country": organisation.country}
        organisation.name, organisation.stakeholder_type_code, organisation.country = name, stakeholder_type, country
        after = {"name": name, "stakeholder_type": stakeholder_type, "country": country}
        record(db, actor.user_id, "organisation.edited", "organisation", organisation.id, before=before, after=after)
        # Facets and the author line of indexed items carry the organisation's type, country and name.
        _reindex_organisation(db, organisation.id)
    return organisation


def _reindex_organisation(db: Session, organisation_id: int) -> None:
    for (submission_id,) in db.execute(select(Submission.id).where(Submission.author_organisation_id == organisation_id)):
        enqueue(db, "submission", submission_id)
    for (thread_id,) in db.execute(select(Thread.id).where(Thread.organisation_id == organisation_id)):
        enqueue(db, "thread", thread_id)
    members = select(User.id).where(User.organisation_id == organisation_id)
    for (post_id,) in db.execute(select(Post.id).where(Post.author_id.in_(members))):
        enqueue(db, "post", post_id)
    for (round_id,) in db.execute(select(DialogueRound.id).where(DialogueRound.organisation_id == organisation_id)):
        enqueue(db, "round", round_id)


def merge_organisations(actor: Viewer, duplicate_id: int, target_id: int) -> Organisation:
    """Move everything of a duplicate into `target` (people, items, rounds, threads, group memberships and
    ownership, invitations); the duplicate is kept, marked merged, empty and out of every list."""
    if not rules.can_edit_organisation(actor):
        raise Forbidden(_l("Only administrators can do this."))
    if duplicate_id == target_id:
        raise ServiceError(_l("An organisation cannot be merged into itself: choose the one to keep."))
    with unit_of_work() as db:
        duplicate, target = _organisation(db, duplicate_id), _organisation(db, target_id)
        refusal = rules.merge_refusal(duplicate, target)
        if refusal == "merged":
            raise Conflict(_l("One of these organisations was already merged into another."))
        if duplicate.verified and not target.verified:
            raise Conflict(_l("Verify %(name)s first: merging would take its members' access away.", name=target.name))
        moved = {"users": db.execute(update(User).where(User.organisation_id == duplicate.id)
                                     .values(organisation_id=target.id)).rowcount}
        _reindex_organisation(db, target.id)  # after the move: the moved people's posts are the target's now
        for entity, column in ((Submission, Submission.author_organisation_id),
                               (SubmissionRevision, SubmissionRevision.author_organisation_id),
                               (DialogueRound, DialogueRound.organisation_id), (Thread, Thread.organisation_id),
                               (PostRevision, PostRevision.organisation_id),
                               (SharingGroup, SharingGroup.owner_organisation_id)):
            ids = list(db.scalars(select(entity.id).where(column == duplicate.id)))
            if ids:
                db.execute(update(entity).where(column == duplicate.id).values({column.key: target.id}))
            moved[entity.__tablename__] = len(ids)
            if entity is Submission:
                for item_id in ids:
                    enqueue(db, "submission", item_id)
            elif entity is Thread:
                for item_id in ids:
                    enqueue(db, "thread", item_id)
            elif entity is DialogueRound:
                for item_id in ids:
                    enqueue(db, "round", item_id)
        moved["group_memberships"] = _move_links(db, sharing_group_organisations, "group_id", duplicate.id, target.id)
        moved["round_invitations"] = _move_links(db, round_invited_organisations, "round_id", duplicate.id, target.id)
        # Focal points answer for the organisation they were named for: merging never hands a duplicate's focal
        # points power over the organisation it joins (an admin grants that there, deliberately).
        dropped = db.execute(delete(organisation_focal_points)
                             .where(organisation_focal_points.c.organisation_id == duplicate.id)).rowcount
        db.execute(update(Organisation).where(Organisation.merged_into_id == duplicate.id)
                   .values(merged_into_id=target.id))
        duplicate.merged_into_id = target.id
        record(db, actor.user_id, "organisation.merged", "organisation", duplicate.id, into=target.id,
               moved=moved, focal_points_dropped=dropped)
    return target


def _move_links(db: Session, table, other_key: str, duplicate_id: int, target_id: int) -> int:
    """Re-point a (other, organisation_id) link table, dropping links the target already has."""
    other = table.c[other_key]
    has_already = select(other).where(table.c.organisation_id == target_id)
    db.execute(delete(table).where(table.c.organisation_id == duplicate_id, other.in_(has_already)))
    return db.execute(update(table).where(table.c.organisation_id == duplicate_id)
                      .values(organisation_id=target_id)).rowcount


# ---------------------------------------------------------------- clearance proposals


def propose_clearance(actor: Viewer, user_id: int, clearance: Tier, reason: str) -> ClearanceProposal:
    """A focal point proposes a colleague's clearance; an admin grants or declines it."""
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise ServiceError(_l("The reason is too long (at most %(n)d characters).", n=REASON_MAX))
    if clearance not in rules.proposable_tiers():
        raise ServiceError(_l("Choose a clearance from the list."))
    with unit_of_work() as db:
        person = _person(db, user_id)
        if person.id == actor.user_id:
            raise Forbidden(_l("You cannot propose your own clearance; ask another focal point or an administrator."))
        if not rules.can_propose_clearance(actor, person):
            raise Forbidden(OTHER_ORGANISATION)
        if person.status is not AccountStatus.ACTIVE:
            raise Conflict(_l("Only active accounts can be proposed for a clearance."))
        if person.clearance is clearance:
            raise Conflict(_l("This person already has this clearance."))
        if db.scalar(select(ClearanceProposal.id).where(ClearanceProposal.user_id == person.id,
                                                        ClearanceProposal.status == ProposalStatus.PENDING)):
            raise Conflict(_l("A proposal for this person is already waiting for an administrator."))
        proposal = ClearanceProposal(user_id=person.id, proposed_by_id=actor.user_id, clearance=clearance,
                                     reason=reason, status=ProposalStatus.PENDING)
        db.add(proposal)
        db.flush()
        record(db, actor.user_id, "clearance.proposed", "user", person.id, proposal_id=proposal.id,
               clearance=clearance.code, before=person.clearance.code)
    return proposal


def decide_clearance_proposal(actor: Viewer, proposal_id: int, *, grant: bool) -> ClearanceProposal:
    """An admin grants (the clearance changes at once) or declines a pending proposal."""
    if not actor.is_admin:
        raise Forbidden(_l("Only administrators can do this."))
    with unit_of_work() as db:
        proposal = db.get(ClearanceProposal, proposal_id)
        if proposal is None:
            raise NotFound(_l("No such proposal."))
        if proposal.status is not ProposalStatus.PENDING:
            raise Conflict(_l("This proposal was already decided."))
        person = _person(db, proposal.user_id)
        if grant and not rules.can_decide_clearance_proposal(actor, proposal, person):
            raise Forbidden(_l("You cannot raise your own clearance."))
        proposal.status = ProposalStatus.GRANTED if grant else ProposalStatus.DECLINED
        proposal.decided_by_id, proposal.decided_at = actor.user_id, utcnow()
        if grant:
            before = person.clearance
            person.clearance = proposal.clearance
            record(db, actor.user_id, "user.clearance_changed", "user", person.id, before=before.code,
                   after=proposal.clearance.code, proposal_id=proposal.id)
        record(db, actor.user_id, "clearance.granted" if grant else "clearance.declined", "user", person.id,
               proposal_id=proposal.id, clearance=proposal.clearance.code)
    return proposal
