"""Review dates (issue 14): every archive item has one — the kind's default after publication, or the date its
originator set. Before it lapses the originator is told once (notification "review_due") and chooses: keep it
(a new date), retire it or delete it. Lapsed items are listed for focal points and administrators.

The date is chosen on the item's own form (a lesson learnt, good practice or responsible-AI policy when it is
written or edited; an outcome synthesis when its round is concluded) or later on the item page."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import policy
from webapp.db import unit_of_work
from webapp.models import Submission, SubmissionKind, SubmissionStatus, utcnow
from webapp.policy import Viewer
from webapp.policy.data_rights import can_list_lapsed_items, can_set_review_date
from webapp.services import Forbidden, NotFound, ServiceError
from webapp.services.audit import record
from webapp.services.notifications import notify_user

MAX_YEARS_AHEAD = 10


def default_days(kind: SubmissionKind) -> int:
    """How many days after publication an item of this kind is due for review, unless its originator chose."""
    return int(current_app.config["REVIEW_DEFAULT_DAYS"].get(kind.value, 730))


def default_review_on(submission: Submission) -> date:
    """The kind's default: REVIEW_DEFAULT_DAYS after publication (or creation, for an unpublished item)."""
    days = default_days(submission.kind)
    start = submission.published_at or submission.created_at or utcnow()
    return (start + timedelta(days=days)).date()


def review_on(submission: Submission) -> date:
    """The item's review date: the one set, else the kind's default."""
    return submission.review_on or default_review_on(submission)


def parse_review_date(value: str | date | None, today: date) -> date:
    """A review date from a form: a real date, after today, within ten years — else a clear error."""
    if isinstance(value, date):
        chosen = value
    else:
        try:
            chosen = datetime.strptime((value or "").strip(), "%Y-%m-%d").date()
        except ValueError:
            raise ServiceError(_l("Give the review date as YYYY-MM-DD, e.g. %(example)s.",
                                  example=(today + timedelta(days=365)).isoformat())) from None
    if chosen <= today:
        raise ServiceError(_l("The review date must be in the future: %(date)s has already come.",
                              date=chosen.isoformat()))
    if chosen > today.replace(year=today.year + MAX_YEARS_AHEAD):
        raise ServiceError(_l("Choose a review date within %(n)d years.", n=MAX_YEARS_AHEAD))
    return chosen


def choose_on_form(db: Session, actor: Viewer, submission: Submission, value: str | date | None) -> None:
    """Inside the caller's transaction: the review date from the item's create/edit form. Empty keeps the date the
    item has (the kind's default for a new item); an unchanged date is kept as it is, even one that has lapsed,
    so editing the text of a lapsed item is not refused over a date the originator did not touch."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return
    if not isinstance(value, date) and submission.review_on is not None and value.strip() == \
            submission.review_on.isoformat():
        return
    if isinstance(value, date) and value == submission.review_on:
        return
    chosen = parse_review_date(value, utcnow().date())
    before = submission.review_on
    submission.review_on, submission.review_reminded_at = chosen, None
    if submission.id is not None:
        record(db, actor.user_id, "submission.review_date_set", "submission", submission.id,
               before=before.isoformat() if before else "", after=chosen.isoformat())


def set_review_date(actor: Viewer, submission_id: int, value: str | date | None) -> Submission:
    """The originator keeps an item, with a new review date (audited; a new reminder will come before it)."""
    with unit_of_work() as db:
        submission = db.get(Submission, submission_id)
        if submission is None or not policy.can_view(actor, submission):
            raise NotFound()
        if not can_set_review_date(actor, submission.author_id):
            raise Forbidden(_l("Only the item's originator sets its review date."))
        chosen = parse_review_date(value, utcnow().date())
        before = review_on(submission)
        submission.review_on, submission.review_reminded_at = chosen, None
        record(db, actor.user_id, "submission.review_date_set", "submission", submission.id,
               before=before.isoformat(), after=chosen.isoformat())
    return submission


def remind_due(app, now: datetime | None = None) -> int:
    """Daily: fill in default review dates, and tell each originator once of items lapsing within
    REVIEW_REMINDER_DAYS (or lapsed); returns how many were told."""
    now = now or utcnow()
    horizon = now.date() + timedelta(days=int(app.config["REVIEW_REMINDER_DAYS"]))
    told = 0
    with unit_of_work() as db:
        published = Submission.status == SubmissionStatus.PUBLISHED
        for submission in db.scalars(select(Submission).where(published, Submission.review_on.is_(None))):
            submission.review_on = default_review_on(submission)
        due = db.scalars(select(Submission).where(published, Submission.review_on <= horizon,
                                                  Submission.review_reminded_at.is_(None)))
        for submission in due:
            submission.review_reminded_at = now
            told += bool(notify_user(db, submission.author_id, "review_due", submission))
    return told


def lapsed_items(db: Session, viewer: Viewer, today: date | None = None) -> list[Submission]:
    """Published items past their review date that the viewer may read: an organisation's for its focal point,
    every readable one for an administrator."""
    if not can_list_lapsed_items(viewer):
        raise Forbidden(_l("Only focal points and administrators see the items past their review date."))
    today = today or utcnow().date()
    stmt = select(Submission).where(Submission.status == SubmissionStatus.PUBLISHED, Submission.review_on < today)
    if not viewer.is_admin:
        stmt = stmt.where(Submission.author_organisation_id == viewer.organisation_id)
    return list(db.scalars(policy.visible(stmt, viewer, Submission).order_by(Submission.review_on, Submission.id)))
