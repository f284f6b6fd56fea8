"""Erasure of a person (issue 14, Call ¶10): their personal data leaves the platform; it cannot be undone.

The users row stays as a tombstone so that contributions keep an author ("a former member of ORGANISATION") and
audit rows keep a referent; it holds only the organisation, a pseudonymous reference ("person #…") and dates.
Sessions, tokens, second factors, preferences, notifications, watches, memberships and mail to them are deleted;
their addresses are blanked from the audit trail, and their name and e-mail scrubbed wherever a text kept them.
"""
from __future__ import annotations

import logging
import json
import re
import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from webapp.db import unit_of_work
from webapp.models import (
    AccountStatus,
    AccountToken,
    AuditEvent,
    AuthSession,
    ClearanceProposal,
    DataExport,
    FormSubmission,
    Notification,
    NotificationPreference,
    OutgoingMail,
    RecoveryCode,
    ThreadRead,
    Tier,
    User,
    Watch,
    organisation_focal_points,
    sharing_group_users,
    utcnow,
)
from webapp.models import Thread
from webapp.policy import Viewer
from webapp.policy.data_rights import can_delete_contributions_on_erasure, can_erase_person
from webapp.search.outbox import enqueue
from webapp.services import Conflict, Forbidden, NotFound, ServiceError
from webapp.services import content_deletion
from webapp.services.audit import record

UNUSABLE_PASSWORD = "!erased"  # never the output of the password hasher: no password matches it


def former_member_label(organisation_name: str) -> str:
    """How an erased person's contributions are credited."""
    return f"a former member of {organisation_name}"[:120]


def _refuse(db: Session, actor: Viewer, user: User | None, delete_contributions: bool) -> User:
    if user is None:
        raise NotFound(_l("No such user."))
    if not can_erase_person(actor, user):
        raise NotFound(_l("No such user."))
    if user.is_erased:
        raise Conflict(_l("This person's data has already been erased; there is nothing left to erase."))
    if delete_contributions and not can_delete_contributions_on_erasure(actor):
        raise Forbidden(_l("Only an administrator, with the organisation's agreement, can delete the contributions."))
    if user.is_admin:
        others = db.scalar(select(func.count(User.id)).where(
            User.is_admin.is_(True), User.id != user.id, User.status == AccountStatus.ACTIVE, User.erased_at.is_(None)))
        if not others:
            raise Conflict(_l("This is the last active administrator: erasing them would leave nobody able to verify "
                              "people or act on requests. Make another person an administrator first."))
    return user


def _scrub(text: str, needles: list[str], replacement: str) -> str:
    # Whole words only, any case: erasing "Ann" must not turn another text's "Annual" into a pseudonym.
    for needle in needles:
        if needle:
            text = re.sub(rf"(?<!\w){re.escape(needle)}(?!\w)", replacement, text, flags=re.IGNORECASE)
    return text


def _scrub_audit(db: Session, user_id: int, needles: list[str], reference: str) -> None:
    # Audit rows are append-only for the ORM; erasure is the one sanctioned rewrite, done in Core: the act stays,
    # the address goes and any copy of the name or e-mail becomes the pseudonymous reference.
    own = or_(AuditEvent.actor_id == user_id,
              and_(AuditEvent.actor_id.is_(None), AuditEvent.object_type == "user", AuditEvent.object_id == user_id))
    db.execute(update(AuditEvent).where(own).values(ip=""))
    for event_id, details in db.execute(select(AuditEvent.id, AuditEvent.details)):
        flat = json.dumps(details or {}, ensure_ascii=False)
        if any(needle and needle in flat for needle in needles):
            db.execute(update(AuditEvent).where(AuditEvent.id == event_id)
                       .values(details=json.loads(_scrub(flat, [json.dumps(n, ensure_ascii=False)[1:-1] for n in needles], reference))))


def _scrub_mail(db: Session, user_id: int, needles: list[str], reference: str) -> None:
    db.execute(delete(OutgoingMail).where(or_(OutgoingMail.recipient_id == user_id,
                                              func.lower(OutgoingMail.to_address).in_(
                                                  [address.lower() for address in needles[1:]]))))
    mentions = or_(*[column.contains(needle) for needle in needles if needle
                     for column in (OutgoingMail.subject, OutgoingMail.body, OutgoingMail.html)])
    for mail in db.scalars(select(OutgoingMail).where(mentions)):
        mail.subject = _scrub(mail.subject, needles, reference)
        mail.body = _scrub(mail.body, needles, reference)
        mail.html = _scrub(mail.html, needles, reference) if mail.html is not None else None


def scrub_mail_log_file(path: str, needles: list[str]) -> int:
    """Drop from the development mail log every message that names the person; returns how many were dropped."""
    from webapp.mail import rewrite_outbox_file

    return rewrite_outbox_file(path, lambda m: _scrub(m, needles, "\0") == m)  # unchanged: names none of them


def _forget_personal_rows(db: Session, user_id: int) -> None:
    for model in (AuthSession, AccountToken, RecoveryCode, NotificationPreference, Notification, Watch, ThreadRead,
                  FormSubmission):
        db.execute(delete(model).where(model.user_id == user_id))
    db.execute(delete(ClearanceProposal).where(ClearanceProposal.user_id == user_id))
    db.execute(delete(sharing_group_users).where(sharing_group_users.c.user_id == user_id))
    db.execute(delete(organisation_focal_points).where(organisation_focal_points.c.user_id == user_id))
    exports = list(db.scalars(select(DataExport).where(DataExport.user_id == user_id)))
    from webapp.services import data_export

    for export in exports:
        data_export.remove_file(export)
        db.delete(export)


def delete_contributions_of(db: Session, user_id: int) -> dict[str, int]:
    """Inside the caller's transaction: delete everything a person wrote (posts keep their placeholder), and the
    quotes of it in syntheses; returns how many submissions and posts went."""
    submissions = content_deletion.submissions_by(db, user_id)
    posts = content_deletion.posts_by(db, user_id)
    for post in posts:
        content_deletion.remove_quotes_in_syntheses(db, post.body_source)
        content_deletion.purge_post_text(db, post)
    for submission in submissions:
        content_deletion.remove_quotes_in_syntheses(db, content_deletion.words_of_submission(submission))
        content_deletion.delete_submission_rows(db, submission)
    return {"submissions": len(submissions), "posts": len(posts)}


def _contributions(db: Session, user: User, delete_them: bool) -> dict[str, int]:
    if delete_them:
        counts = delete_contributions_of(db, user.id)
    else:  # credited to the organisation: the index forgets whatever it derived from the person
        submissions = content_deletion.submissions_by(db, user.id)
        posts = content_deletion.posts_by(db, user.id)
        for submission in submissions:
            enqueue(db, "submission", submission.id)
        for post in posts:
            enqueue(db, "post", post.id)
        counts = {"submissions": len(submissions), "posts": len(posts)}
    for thread_id in db.scalars(select(Thread.id).where(Thread.author_id == user.id)):
        enqueue(db, "thread", thread_id)
    return counts


def erase_person(actor: Viewer, user_id: int, *, reason: str = "", delete_contributions: bool = False,
                 ask_organisation: bool = False) -> str:
    """Erase a person's personal data (themselves, or an administrator on their request); returns the reference.
    `delete_contributions`: an administrator records that the organisation agreed, and they go now;
    `ask_organisation`: they stay credited until the organisation answers the erasure request this opens."""
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise ServiceError(_l("Keep the reason under 500 characters."))
    if delete_contributions and ask_organisation:
        raise ServiceError(_l("Either delete the contributions now (the organisation agreed) or ask the "
                              "organisation — not both."))
    with unit_of_work() as db:
        user = _refuse(db, actor, db.get(User, user_id), delete_contributions)
        reference = f"person #{secrets.token_hex(4)}"
        needles = [user.name, user.email] + [
            token_email for token_email in db.scalars(select(AccountToken.email).where(
                AccountToken.user_id == user.id, AccountToken.email != "", AccountToken.email.is_not(None)))]
        counts = _contributions(db, user, delete_contributions)
        _forget_personal_rows(db, user.id)
        _scrub_mail(db, user.id, needles, reference)
        _scrub_audit(db, user.id, needles, reference)
        user.name = former_member_label(user.organisation.name)
        user.email = f"erased-{reference[8:]}@erased.invalid"
        user.password_hash = UNUSABLE_PASSWORD
        user.totp_secret = user.totp_pending_secret = None
        user.totp_last_counter = None
        user.second_factor_enrolled_at = user.email_verified_at = None
        user.locale = user.time_zone = None
        user.is_admin = user.is_facilitator = False
        user.clearance = Tier.COMMUNITY
        user.status = AccountStatus.DEACTIVATED
        user.erased_at, user.erased_ref = utcnow(), reference
        erased = record(db, actor.user_id, "user.erased", "user", user.id,
               reference=reference, by="self" if actor.user_id == user.id else "administrator",
               contributions="deleted" if delete_contributions else
               "credited until the organisation answers" if ask_organisation else "credited to the organisation",
               reason=_scrub(reason, needles, reference), **counts)
        if actor.user_id == user.id:
            erased.ip = ""  # their own request came from their address: not kept either
        if ask_organisation:
            from webapp.services import erasure_requests

            erasure_requests.open_request(db, actor, user, reason=_scrub(reason, needles, reference))
    try:
        scrub_mail_log_file(current_app.config.get("MAIL_OUTBOX_FILE", ""), needles)
    except OSError:  # the erasure is committed; the development log keeps its copy until the disk has room
        logging.getLogger(__name__).exception("erasure %s: the development mail log could not be rewritten",
                                              reference)
    return reference


def erase_myself(actor: Viewer, password: str, *, ask_organisation: bool = False) -> str:
    """A person erases their own account, confirming with their password (and may ask their organisation to
    delete their contributions too)."""
    from webapp.db import session as db_session
    from webapp.services import passwords

    me = db_session().get(User, actor.user_id) if actor.user_id is not None else None
    if me is None or not passwords.verify_password(me.password_hash, password or ""):
        raise ServiceError(_l("That is not your password."))
    return erase_person(actor, me.id, ask_organisation=ask_organisation)
