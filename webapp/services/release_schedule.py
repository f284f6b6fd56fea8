"""Scheduled releases of archive items, shared by the item's tier page (declassification.schedule_release) and the
create form (submissions.create_submission): "release to TIER at TIME", set by the originator (DESIGN.md rule 8).
Inside the caller's transaction; the job engine carries a release out (declassification.release_due)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import ScheduledRelease, Submission, SubmissionStatus, Tier, utcnow
from webapp.policy import Viewer
from webapp.policy.archive import can_declassify
from webapp.services import Conflict, Forbidden, ServiceError
from webapp.services.audit import record
from webapp.services.submission_fields import check_audience, parse_tier


def parse_release_at(value: Any) -> datetime:
    """A moment in UTC from a datetime or an ISO text such as 2027-01-31T09:00 (read as UTC)."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value or "").strip())
        except ValueError:
            raise ServiceError(_l("Give the release date and time as YYYY-MM-DD HH:MM (UTC).")) from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def parse_release(tier: Any, release_at: Any) -> tuple[Tier, datetime] | None:
    """The optional release of a create form: both fields or neither."""
    given_tier, given_at = str(tier or "").strip(), str(release_at or "").strip()
    if not given_tier and not given_at:
        return None
    if not given_tier or not given_at:
        raise ServiceError(_l("To schedule a release, give both the tier to release to and the date (UTC)."))
    return parse_tier(given_tier), parse_release_at(given_at)


def pending_release(db: Session, submission_id: int) -> ScheduledRelease | None:
    """The item's scheduled release still to happen, if any."""
    return db.scalar(select(ScheduledRelease).where(ScheduledRelease.submission_id == submission_id,
                                                    ScheduledRelease.status == "pending"))


def check_release(actor: Viewer, submission: Submission, tier: Tier, moment: datetime) -> None:
    """Refuse a release the actor may not schedule: not the originator, withdrawn, past, same or higher tier."""
    if not can_declassify(actor, submission):
        raise Forbidden(_l("Only the originating organisation (the author, or a reviewer of the author's "
                        "organisation) can schedule a release. Nothing was changed."))
    if submission.status is SubmissionStatus.WITHDRAWN:
        raise Conflict(_l("A withdrawn submission cannot change tier."))
    if moment <= utcnow():
        raise ServiceError(_l("The release date must be in the future."))
    if tier == submission.tier:
        raise ServiceError(_l("The item is already at this tier: choose a lower tier to release it to."))
    if tier > submission.tier:
        raise ServiceError(_l("A release lowers the tier; to raise it, change the tier now (raising never waits)."))
    check_audience(actor, tier, submission.sharing_group_id, current_group_id=submission.sharing_group_id)


def set_release(db: Session, actor: Viewer, submission: Submission, tier: Tier, moment: datetime) -> ScheduledRelease:
    """Set or change the item's release (checked already by check_release); audited."""
    release = pending_release(db, submission.id)
    if release is None:
        release = ScheduledRelease(submission_id=submission.id, item_id=submission.id, status="pending",
                                   created_at=utcnow(), tier=tier, release_at=moment, scheduled_by_id=actor.user_id)
        db.add(release)
        db.flush()
        record(db, actor.user_id, "submission.release_scheduled", "submission", submission.id,
               release=release.id, tier=tier.code, release_at=moment.isoformat())
    else:
        before = (release.tier.code, release.release_at.isoformat())
        release.tier, release.release_at, release.scheduled_by_id = tier, moment, actor.user_id
        record(db, actor.user_id, "submission.release_rescheduled", "submission", submission.id,
               release=release.id, tier=tier.code, release_at=moment.isoformat(),
               tier_before=before[0], release_at_before=before[1])
    return release
