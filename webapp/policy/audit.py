"""Reading the audit log (DESIGN.md §2.6, §2.7): the log is a read path like any other.

Admins read the log, and every row keeps what happened: action, time, object type and number. Who did it, from
where, and the details follow the rules of the object the row is about, for the reading admin:

- the actor (and the address they acted from) of a row about anything in a Chatham House round — the round, its
  threads and posts, its outcome synthesis, a watch on or a read of them, a moderation act in them — is shown as
  "a participant" to everyone but that round's facilitators (and the actor themself);
- the details (reasons, tiers, numbers of related items, …) are shown only when the reader may read the object and
  every round the row names; otherwise they are withheld. The details of a moderation act (its reason above all)
  further need what the moderation log needs: being one of the round's facilitators (any facilitator for
  standalone threads), as hide reasons are shown to nobody else but the post's author.

The action strings the services write, by the object type they record (grep `record(` in webapp/services):
  user            user.registered, user.first_admin_created, user.verified, user.roles_changed,
                  user.clearance_changed, user.deactivated, user.reactivated, user.password_changed,
                  auth.signed_in, auth.signed_out, auth.sign_in_failed
  organisation    organisation.proposed, organisation.verified
  sharing_group   group.created, group.user_added, group.user_removed, group.organisation_added,
                  group.organisation_removed
  seed            seed.reference_data, seed.demo_world
  dialogue_round  round.created, round.updated, round.opened, round.closed, round.concluded, dialogue_round.read
  dialogue_thread thread.created, thread.locked, thread.unlocked, thread.pinned, thread.unpinned, thread.moved,
                  dialogue_thread.read
  dialogue_post   post.created, post.edited, post.deleted, post.flagged, post.flags_dismissed, post.hidden,
                  post.unhidden, dialogue_post.read
  submission      submission.created, .edited, .declassified, .tier_changed, .read, .synthesis_published and the
                  workflow's submission.<transition>
  round, thread, paragraph   watch.added, watch.removed (the watched kind is the object type)
People, organisations, sharing groups, seeding and Call paragraphs are what admins manage (or public): shown in full.

Tear lines (DESIGN.md rule 10): a row about an archive item the reader reads, recording an act on what lies above
her reading level of it (`readable_section_tier`), is not listed to her at all — no row, no "details withheld", no
older page — exactly as if the act had not happened (`audit_row_listed`):
- a read (`submission.read`) records the highest tier it showed (`tier`); it is listed only at or below her level;
- an edit (`submission.edited`, `.revision_proposed`, `.revision_published`, `.revision_returned`) records its
  revision number; it is listed only if that revision changed something she reads of the item compared with the
  text readers had before it (the faces of `policy.sections.revision_face`, the rule the revision list follows),
  or changed nothing at all. A revision she does not read as written is nothing she reads.
A row lacking what it needs (no or an unknown tier, a revision number that names no revision) is listed only to a
reader who reads the item at the highest tier anything of it ever had (fail closed). A row about an item she does
not read at all stays listed as its kind and number, as any such row (nothing of its sections shows).
An organisation proposed at registration belongs to no round; its proposer is the (named) registering account.
Any other object type, or an object or round that no longer exists, shows neither actor nor details (fail closed).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from collections.abc import Sequence
from typing import Any

from sqlalchemy import false, true

from webapp.models import AuditEvent, DialogueRound, Post, Submission, Thread, Tier
from webapp.models.submission_revision import READER_REVIEW_STATES
from webapp.policy import Viewer, can_administer, can_view, read_rule
from webapp.policy.dialogue import can_view_moderation_log, facilitates
from webapp.policy.sections import ceiling_tier, readable_section_tier, revision_face

log = logging.getLogger(__name__)

# Object types of administration (and public reference data): rows about them are shown in full to admins.
ADMINISTRATION_SUBJECTS = frozenset({"user", "organisation", "sharing_group", "seed", "paragraph"})
# Object types of content: the entity whose read rule (and round) decides about the row.
CONTENT_SUBJECTS: dict[str, type] = {
    "dialogue_round": DialogueRound,
    "round": DialogueRound,
    "dialogue_thread": Thread,
    "thread": Thread,
    "dialogue_post": Post,
    "submission": Submission,
}
# Acts whose details are the moderation log's (webapp/services/moderation.py writes both).
MODERATION_ACTIONS = frozenset({
    "post.flags_dismissed", "post.hidden", "post.unhidden", "thread.locked", "thread.unlocked", "thread.pinned",
    "thread.unpinned", "thread.moved",
})
# Details keys through which a row names (other) rounds: a move names where it came from and where it went.
ROUND_DETAIL_KEYS = ("round_id", "from_round_id", "to_round_id")
# Acts on an archive item that may concern only sections above a reader's level (tear lines): a read records the
# tier it showed, an edit the revision it wrote or decided.
SECTION_READ_ACTIONS = frozenset({"submission.read"})
REVISION_ACTIONS = frozenset({
    "submission.edited", "submission.revision_proposed", "submission.revision_published",
    "submission.revision_returned",
})

read_rule(
    AuditEvent,
    clause=lambda viewer: true() if can_administer(viewer) else false(),
    predicate=lambda viewer, _event: can_administer(viewer),
)


@dataclass(frozen=True)
class AuditRowAccess:
    """What the reader may see of one audit row beyond its action, time and object."""

    actor_shown: bool
    details_shown: bool


WITHHELD = AuditRowAccess(actor_shown=False, details_shown=False)
SHOWN = AuditRowAccess(actor_shown=True, details_shown=True)


def subject_entity(object_type: str) -> type | None:
    """The content entity an audit row of this object type is about (None for administration or unknown types)."""
    return CONTENT_SUBJECTS.get(object_type)


def named_round_ids(event: AuditEvent) -> set[int]:
    """The rounds a row names in its details."""
    details = event.details if isinstance(event.details, dict) else {}
    return {
        value for key in ROUND_DETAIL_KEYS
        if isinstance(value := details.get(key), int) and not isinstance(value, bool)
    }


def subject_round_id(subject: Any) -> int | None:
    """The round a content object belongs to (itself for a round)."""
    if isinstance(subject, DialogueRound):
        return subject.id
    if isinstance(subject, Thread):
        return subject.round_id
    if isinstance(subject, Post):
        return subject.thread.round_id
    if isinstance(subject, Submission):
        return subject.round_id
    return None


def _actor_shown(viewer: Viewer, event: AuditEvent, subject: Any, rounds: list[DialogueRound]) -> bool:
    if event.actor_id is not None and event.actor_id == viewer.user_id:
        return True
    if isinstance(subject, Submission) and subject.chatham_house and subject.round_id is None:
        return False  # a synthesis held under the rule whose round is gone: nobody left to see names
    return all(facilitates(viewer, round_) for round_ in rounds if round_.chatham_house)


def audit_row_access(
    viewer: Viewer, event: AuditEvent, subject: Any, rounds: dict[int, DialogueRound]
) -> AuditRowAccess:
    """What `viewer` may see of `event`, given its resolved object (`subject`, None when gone) and the rounds
    loaded for the page. Any doubt withholds."""
    try:
        if not can_administer(viewer):
            return WITHHELD
        if event.object_type in ADMINISTRATION_SUBJECTS:
            return SHOWN
        entity = subject_entity(event.object_type)
        if entity is None or subject is None or not isinstance(subject, entity):
            return WITHHELD
        round_ids = named_round_ids(event)
        own_round = subject_round_id(subject)
        if own_round is not None:
            round_ids.add(own_round)
        if any(round_id not in rounds for round_id in round_ids):
            return WITHHELD
        concerned = [rounds[round_id] for round_id in sorted(round_ids)]
        readable = can_view(viewer, subject) and all(can_view(viewer, round_) for round_ in concerned)
        if readable and event.action in MODERATION_ACTIONS:
            readable = all(can_view_moderation_log(viewer, round_) for round_ in concerned) and (
                own_round is not None or can_view_moderation_log(viewer, None)
            )
        return AuditRowAccess(actor_shown=_actor_shown(viewer, event, subject, concerned), details_shown=readable)
    except Exception:  # fail closed
        log.exception("error while deciding access to audit event %s: withholding", getattr(event, "id", None))
        return WITHHELD


def concerns_sections(event: AuditEvent) -> bool:
    """Might this row record an act on sections only (so that whether it is listed depends on the reader)?"""
    return event.object_type == "submission" and (
        event.action in SECTION_READ_ACTIONS or event.action in REVISION_ACTIONS
    )


def audit_row_listed(viewer: Viewer, event: AuditEvent, subject: Any, revisions: Sequence[Any] = ()) -> bool:
    """Is `event` listed to `viewer` at all? Not when it records an act on what lies above the reader's level of an
    item she reads (tear lines). `subject`: the row's object (None when gone); `revisions`: all of that item's
    revisions. Any doubt leaves the row out."""
    try:
        if not can_administer(viewer):
            return False
        if not concerns_sections(event):
            return True
        if not isinstance(subject, Submission) or subject.id != event.object_id or not can_view(viewer, subject):
            return True  # a kind and a number, as every row about what she does not read: no section shows
        level = readable_section_tier(viewer, subject)
        if level is None:
            return False
        revisions = [revision for revision in revisions if revision.submission_id == subject.id]
        details = event.details if isinstance(event.details, dict) else {}
        if event.action in SECTION_READ_ACTIONS:
            return _recorded_tier(details, subject, revisions) <= level
        return _changes_what_is_read(viewer, details, subject, revisions, level)
    except Exception:  # fail closed
        log.exception("error while deciding whether to list audit event %s: leaving it out", getattr(event, "id", None))
        return False


def _recorded_tier(details: dict, subject: Submission, revisions: Sequence[Any]) -> Tier:
    code = details.get("tier")
    try:
        return Tier.from_code(code) if isinstance(code, str) else ceiling_tier(subject, revisions)
    except ValueError:
        return ceiling_tier(subject, revisions)


def _changes_what_is_read(
    viewer: Viewer, details: dict, subject: Submission, revisions: Sequence[Any], level: Tier
) -> bool:
    number = details.get("revision")
    by_number = {revision.number: revision for revision in revisions}
    if not isinstance(number, int) or isinstance(number, bool) or number not in by_number:
        return ceiling_tier(subject, revisions) <= level
    revision = by_number[number]
    # What readers had before it: the newest earlier revision they were shown (a draft's edits are all shown
    # to its readers; a proposal replaces the published text, not an earlier proposal).
    earlier = [other for other in revisions if other.number < number and other.review_state in READER_REVIEW_STATES]
    if not earlier:
        return True  # the first text of the item: its existence is what the reader reads
    before = max(earlier, key=lambda other: other.number)
    if (revision.snapshot, revision.tier, revision.sharing_group_id) == (
            before.snapshot, before.tier, before.sharing_group_id):
        return True  # nothing changed at all: nothing above her changed either
    face = revision_face(viewer, subject, revision)
    return face is not None and face != revision_face(viewer, subject, before)
