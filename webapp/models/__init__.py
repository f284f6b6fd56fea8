"""All models, imported here so that Alembic and the app see one complete metadata."""
from webapp.models.audit import AuditEvent
from webapp.models.call_paragraph import CallParagraph
from webapp.models.dialogue_round import DialogueRound, RoundState
from webapp.models.moderation_event import ModerationEvent
from webapp.models.notification import Notification
from webapp.models.organisation import Organisation
from webapp.models.post import Post, PostRevision
from webapp.models.post_flag import PostFlag
from webapp.models.search_outbox import SearchOutboxEntry
from webapp.models.sharing_group import SharingGroup, sharing_group_organisations, sharing_group_users
from webapp.models.stakeholder_type import StakeholderType
from webapp.models.submission import (
    LessonStatus,
    LifecycleStage,
    Submission,
    SubmissionKind,
    SubmissionStatus,
    submission_paragraphs,
)
from webapp.models.submission_revision import SubmissionRevision
from webapp.models.thread import Thread
from webapp.models.types import Tier, utcnow
from webapp.models.user import AccountStatus, AuthSession, User
from webapp.models.watch import Watch
from webapp.models import search_access_indexes  # noqa: E402,F401  (after the models it indexes)

__all__ = [
    "AccountStatus",
    "AuditEvent",
    "AuthSession",
    "LessonStatus",
    "LifecycleStage",
    "CallParagraph",
    "DialogueRound",
    "ModerationEvent",
    "Notification",
    "Organisation",
    "Post",
    "PostFlag",
    "PostRevision",
    "RoundState",
    "SearchOutboxEntry",
    "SharingGroup",
    "StakeholderType",
    "Submission",
    "SubmissionKind",
    "SubmissionRevision",
    "SubmissionStatus",
    "Thread",
    "Tier",
    "User",
    "Watch",
    "sharing_group_organisations",
    "sharing_group_users",
    "submission_paragraphs",
    "utcnow",
]
