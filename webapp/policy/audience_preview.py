"""Who will read an audience (issue 11 §3): the organisations, people and reviewers an item's tier and group open it to.

Computed by the read rules themselves, never by a second rule: every verified, active account is turned into its
Viewer (as viewer_for builds it) and asked `can_view_submission` of the item as it would be once published, and
`can_review` of it as it would be once submitted. The preview names organisations and counts people; it never names
a person. It is shown only to someone who may choose that audience: the author choosing a tier and group they may
assign, or, on the item page, the author or a reviewer who reads the item — and, when the item is in a sharing group,
only to a member of that group, since the list of organisations would otherwise disclose the group's roster.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import (
    AccountStatus,
    Organisation,
    Submission,
    SubmissionStatus,
    Tier,
    User,
)
from webapp.policy import Viewer, viewers_for
from webapp.policy.sections import readable_sections
from webapp.policy.archive import (
    can_review,
    can_view_submission,
    follows_its_round,
    may_assign_group,
    may_assign_tier,
)


@dataclass(frozen=True)
class OrganisationAudience:
    """One organisation of an audience: how many of its people would read the item, how many could review it."""

    organisation_id: int
    name: str
    people: int
    reviewers: int


@dataclass(frozen=True)
class AudiencePreview:
    """Who an audience (tier, sharing group, originating organisation) opens an item to."""

    tier: Tier
    organisations: tuple[OrganisationAudience, ...]

    @property
    def anyone(self) -> bool:
        """Public: anyone reads it, signed in or not, beside the members counted here."""
        return self.tier is Tier.PUBLIC

    @property
    def people(self) -> int:
        return sum(org.people for org in self.organisations)

    @property
    def reviewers(self) -> int:
        return sum(org.reviewers for org in self.organisations)


def _as_item(tier: Tier, sharing_group_id: int | None, author_organisation_id: int | None,
             author_id: int | None, status: SubmissionStatus) -> Submission:
    # A transient item (never added to a session) so that the archive's own predicates decide, not a copy of them.
    return Submission(tier=tier, sharing_group_id=sharing_group_id, author_organisation_id=author_organisation_id,
                      author_id=author_id, status=status)


def readers_of(db: Session, tier: Tier, sharing_group_id: int | None, author_organisation_id: int | None,
               author_id: int | None = None) -> list[tuple[User, bool]]:
    """Each verified, active person who could read an item with this audience once published, and whether they
    could review it (`can_review`: a facilitator who reads it, never its author); by organisation name."""
    stmt = (
        select(User).join(Organisation, User.organisation_id == Organisation.id)
        .where(User.status == AccountStatus.ACTIVE, Organisation.verified.is_(True))
        .order_by(Organisation.name, User.id)
    )
    users = list(db.scalars(stmt))
    viewers = viewers_for(users, db)
    published = _as_item(tier, sharing_group_id, author_organisation_id, author_id, SubmissionStatus.PUBLISHED)
    submitted = _as_item(tier, sharing_group_id, author_organisation_id, author_id, SubmissionStatus.SUBMITTED)
    return [
        (user, can_review(viewers[user.id], submitted))
        for user in users if can_view_submission(viewers[user.id], published)
    ]


def audience_of(db: Session, tier: Tier, sharing_group_id: int | None, author_organisation_id: int | None,
                author_id: int | None = None) -> AudiencePreview:
    """readers_of, counted by organisation: what the author and reviewers are shown."""
    counts: dict[int, list] = {}
    for user, reviewer in readers_of(db, tier, sharing_group_id, author_organisation_id, author_id):
        entry = counts.setdefault(user.organisation_id, [user.organisation.name, 0, 0])
        entry[1] += 1
        entry[2] += 1 if reviewer else 0
    return AudiencePreview(tier=tier, organisations=tuple(
        OrganisationAudience(organisation_id=org_id, name=name, people=people, reviewers=reviewers)
        for org_id, (name, people, reviewers) in counts.items()
    ))


def may_preview_choice(viewer: Viewer, tier: Tier, sharing_group_id: int | None) -> bool:
    """The form's preview: only for a tier and group the viewer may give what they write."""
    return may_assign_tier(viewer, tier) and may_assign_group(viewer, sharing_group_id)


def may_preview_audience(viewer: Viewer, submission: Submission) -> bool:
    """The item page's preview: the author or a reviewer who reads the item, and a member of its group if it has one."""
    if not viewer.is_verified or not can_view_submission(viewer, submission):
        return False
    if follows_its_round(submission):
        # A synthesis's audience is its round's, chosen by nobody here; listing organisations beside a Chatham House
        # synthesis would also sit next to who took part.
        return False
    if submission.sharing_group_id is not None and submission.sharing_group_id not in viewer.group_ids:
        return False
    return submission.author_id == viewer.user_id or viewer.is_facilitator


def item_audience(db: Session, submission: Submission) -> AudiencePreview:
    """The audience of an existing item (its tier, group and originating organisation)."""
    return audience_of(db, submission.tier, submission.sharing_group_id, submission.author_organisation_id,
                       submission.author_id)


def section_audiences(db: Session, viewer: Viewer, submission: Submission) -> list[tuple[Tier, list[str], AudiencePreview]]:
    """The audience of each higher tier of the item's sections (tear lines), for the sections `viewer` reads only
    (a section they may not read is not mentioned, even here): (tier, section names, audience), lowest tier first."""
    by_tier: dict[Tier, list[str]] = {}
    for name in readable_sections(viewer, submission):
        tier = submission.section_tier(name)
        if tier > submission.tier and getattr(submission, f"{name}_source"):
            by_tier.setdefault(tier, []).append(name)
    return [(tier, names, audience_of(db, tier, submission.sharing_group_id, submission.author_organisation_id,
                                      submission.author_id))
            for tier, names in sorted(by_tier.items())]
