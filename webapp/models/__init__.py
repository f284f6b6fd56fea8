"""All models, imported here so that Alembic and the app see one complete metadata."""
from webapp.models.account_token import AccountToken, RecoveryCode
from webapp.models.audit import AuditEvent
from webapp.models.call_paragraph import CallParagraph
from webapp.models.content_generation import ContentGeneration
from webapp.models.database_identity import DatabaseIdentity
from webapp.models.form_submission import FormSubmission
from webapp.models.clearance_proposal import ClearanceProposal, ProposalStatus
from webapp.models.data_export import DataExport
from webapp.models.erasure_request import ErasureRequest
from webapp.models.dialogue_round import DialogueRound, RoundState
from webapp.models.job_run import JobRun
from webapp.models.moderation_event import ModerationEvent
from webapp.models.notification import Notification, NotificationMark, NotificationPreference, ThreadRead
from webapp.models.organisation import Organisation, organisation_focal_points
from webapp.models.outgoing_mail import MailStatus, OutgoingMail
from webapp.models.post import Post, PostRevision
from webapp.models.post_flag import PostFlag
from webapp.models.rate_limit_counter import RateLimitCounter
from webapp.models.search_document import SearchDocument, SearchTerm
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
from webapp.models.submission_translation import SubmissionTranslation
from webapp.models.thread import Thread
from webapp.models.declassification import ScheduledRelease, TierProposal
from webapp.models.thread_pseudonym import ThreadPseudonym
from webapp.models.types import Tier, utcnow
from webapp.models.user import AccountStatus, AuthSession, User
from webapp.models.watch import Watch
from webapp.models import search_access_indexes  # noqa: E402,F401  (after the models it indexes)

__all__ = [
    "AccountStatus",
    "AccountToken",
    "AuditEvent",
    "AuthSession",
    "LessonStatus",
    "LifecycleStage",
    "MailStatus",
    "CallParagraph",
    "ContentGeneration",
    "DatabaseIdentity",
    "FormSubmission",
    "ClearanceProposal",
    "DataExport",
    "ErasureRequest",
    "DialogueRound",
    "JobRun",
    "ModerationEvent",
    "Notification",
    "NotificationMark",
    "NotificationPreference",
    "Organisation",
    "OutgoingMail",
    "Post",
    "PostFlag",
    "PostRevision",
    "ProposalStatus",
    "RateLimitCounter",
    "RecoveryCode",
    "RoundState",
    "ScheduledRelease",
    "SearchDocument",
    "SearchOutboxEntry",
    "SearchTerm",
    "SharingGroup",
    "StakeholderType",
    "Submission",
    "SubmissionKind",
    "SubmissionRevision",
    "SubmissionTranslation",
    "SubmissionStatus",
    "Thread",
    "ThreadPseudonym",
    "ThreadRead",
    "Tier",
    "TierProposal",
    "User",
    "Watch",
    "organisation_focal_points",
    "sharing_group_organisations",
    "sharing_group_users",
    "submission_paragraphs",
    "utcnow",
]
