"""The home page's lists: the newest archive items and the open rounds the viewer may read, and what waits for a
signed-in person (their drafts and returned items, open flags in what they moderate). Every statement goes through
the policy's query filter with the viewer passed explicitly."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import policy
from webapp.models import DialogueRound, Submission, SubmissionStatus, utcnow
from webapp.policy import Viewer
from webapp.queries_archive.browse import NEWEST_FIRST, load_newest, readable
from webapp.queries_archive.listing import my_submissions
from webapp.queries_dialogue.moderation import open_flag_count

LATEST_SIZE = 5


@dataclass
class Waiting:
    """What waits for a signed-in person beyond the review queue and notifications (see queries_dialogue.unread)."""

    my_drafts: list[Submission] = field(default_factory=list)
    my_returned: list[Submission] = field(default_factory=list)
    open_flags: int = 0


def latest_published(db: Session, viewer: Viewer, limit: int = LATEST_SIZE) -> list[Submission]:
    """The newest published items the viewer may read."""
    ids = readable(viewer, Submission.id).where(Submission.status == SubmissionStatus.PUBLISHED)
    return load_newest(db, ids.order_by(*NEWEST_FIRST).limit(limit))


def open_rounds(db: Session, viewer: Viewer, limit: int = LATEST_SIZE) -> list[DialogueRound]:
    """Rounds open now that the viewer may read, closing soonest first."""
    now = utcnow()
    stmt = policy.visible(select(DialogueRound).where(
        DialogueRound.closed_at.is_(None), DialogueRound.concluded_at.is_(None), DialogueRound.opens_at <= now,
        DialogueRound.closes_at > now), viewer, DialogueRound)
    return list(db.scalars(stmt.order_by(DialogueRound.closes_at, DialogueRound.id).limit(limit)))


def waiting(db: Session, viewer: Viewer) -> Waiting | None:
    """A signed-in person's own unfinished items and the open flags they moderate (None when anonymous)."""
    if viewer.user_id is None:
        return None
    mine = my_submissions(db, viewer)
    return Waiting(
        my_drafts=[item for item in mine if item.status is SubmissionStatus.DRAFT][:LATEST_SIZE],
        my_returned=[item for item in mine if item.status is SubmissionStatus.RETURNED][:LATEST_SIZE],
        open_flags=open_flag_count(db, viewer),  # the navigation's figure (cached), the posts flag_queue lists
    )
