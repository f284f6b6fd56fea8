"""The admin audit log, read through the policy (webapp/policy/audit.py): one query per object type per page."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from webapp import policy
from webapp.audit_phrases import KIND_NAMES, READ_SUFFIX, SOMETHING
from webapp.models import (
    AuditEvent, DialogueRound, Organisation, Post, SharingGroup, Submission, SubmissionRevision, Thread, User,
)
from webapp.policy import Viewer, can_administer
from webapp.policy.audit import (
    AuditRowAccess, audit_row_access, audit_row_listed, concerns_sections, named_round_ids, subject_entity,
    subject_round_id,
)

# Fewest and most rows read at once while looking for a page's listed rows.
MIN_SCAN = 50
MAX_SCAN = 1000


@dataclass(frozen=True)
class AuditRow:
    """One audit event and what the reading admin may see of it."""

    event: AuditEvent
    access: AuditRowAccess
    object_label: str = ""
    object_url: str | None = None


def _subjects(db: Session, events: list[AuditEvent], *, only_sections: bool = False) -> dict[tuple[type, int], object]:
    """The objects (and rounds) the rows are about, in one query per type; `only_sections`: only the items of rows
    that may record an act on sections (all the tear-line rule needs)."""
    wanted: dict[type, set[int]] = defaultdict(set)
    for event in events:
        if only_sections and not concerns_sections(event):
            continue
        entity = subject_entity(event.object_type)
        if entity is not None and event.object_id is not None:
            wanted[entity].add(event.object_id)
    found: dict[tuple[type, int], object] = {}
    # Rounds are loaded below with everything the rules need; here only the other entities.
    for entity, ids in wanted.items():
        if entity is DialogueRound:
            continue
        stmt = select(entity).where(entity.id.in_(sorted(ids)))
        if entity is Post:
            stmt = stmt.options(joinedload(Post.thread))
        for obj in db.scalars(stmt):
            found[(entity, obj.id)] = obj
    if only_sections:
        return found
    round_ids = set(wanted.get(DialogueRound, ()))
    for obj in found.values():
        if (round_id := subject_round_id(obj)) is not None:
            round_ids.add(round_id)
    for event in events:
        round_ids |= named_round_ids(event)
    if round_ids:
        stmt = select(DialogueRound).where(DialogueRound.id.in_(sorted(round_ids))).options(
            selectinload(DialogueRound.facilitators)
        )
        for round_ in db.scalars(stmt):
            found[(DialogueRound, round_.id)] = round_
    return found


@dataclass(frozen=True)
class AuditFilter:
    """What the reader asked of the log: an action (code or prefix), whose acts, reads or changes, a date range."""

    action: str | None = None
    actor_ids: tuple[int, ...] | None = None  # None: anyone; (): nobody matched the person asked for
    kind: str = "changes"  # "changes", "reads" or "all"
    since: date | None = None
    until: date | None = None


def _filtered(stmt, wanted: AuditFilter):
    if wanted.action:
        stmt = stmt.where(AuditEvent.action.startswith(wanted.action, autoescape=True))  # '%' and '_' are literal
    if wanted.kind == "reads":
        stmt = stmt.where(AuditEvent.action.endswith(READ_SUFFIX, autoescape=True))
    elif wanted.kind == "changes":
        stmt = stmt.where(~AuditEvent.action.endswith(READ_SUFFIX, autoescape=True))
    if wanted.actor_ids is not None:
        stmt = stmt.where(AuditEvent.actor_id.in_(wanted.actor_ids or (-1,)))
    if wanted.since:
        stmt = stmt.where(AuditEvent.occurred_at >= datetime.combine(wanted.since, time.min, tzinfo=timezone.utc))
    if wanted.until:
        stmt = stmt.where(AuditEvent.occurred_at < datetime.combine(wanted.until + timedelta(days=1), time.min,
                                                                    tzinfo=timezone.utc))
    return stmt


def _revisions_of_items_read(db: Session, events: list[AuditEvent], found) -> dict[int, list[SubmissionRevision]]:
    """Every revision of the items whose rows may record an act on their sections only (one query)."""
    ids = sorted({event.object_id for event in events if concerns_sections(event)
                  and (Submission, event.object_id) in found})
    by_item: dict[int, list[SubmissionRevision]] = defaultdict(list)
    if ids:
        stmt = select(SubmissionRevision).where(SubmissionRevision.submission_id.in_(ids)).order_by(
            SubmissionRevision.submission_id, SubmissionRevision.number)
        for revision in db.scalars(stmt):
            by_item[revision.submission_id].append(revision)
    return by_item


def _listed(db: Session, viewer: Viewer, events: list[AuditEvent], *, actor_needed: bool) -> list[AuditEvent]:
    """The events the policy lists to `viewer` (tear lines), and of those, when a person was asked for, only the
    rows whose actor the reader may see."""
    found = _subjects(db, events, only_sections=not actor_needed)
    revisions = _revisions_of_items_read(db, events, found)
    rounds = {ident: obj for (entity, ident), obj in found.items() if entity is DialogueRound}
    listed = []
    for event in events:
        entity = subject_entity(event.object_type)
        subject = found.get((entity, event.object_id)) if entity is not None else None
        if not audit_row_listed(viewer, event, subject, revisions.get(event.object_id, ())):
            continue
        if actor_needed and not audit_row_access(viewer, event, subject, rounds).actor_shown:
            continue
        listed.append(event)
    return listed


def _rows(db: Session, viewer: Viewer, events: list[AuditEvent]) -> list[AuditRow]:
    found = _subjects(db, events)
    rounds = {ident: obj for (entity, ident), obj in found.items() if entity is DialogueRound}
    rows = []
    for event in events:
        entity = subject_entity(event.object_type)
        subject = found.get((entity, event.object_id)) if entity is not None else None
        access = audit_row_access(viewer, event, subject, rounds)
        label, url = object_reference(db, viewer, event, subject)
        rows.append(AuditRow(event, access, label, url))
    return rows


@dataclass(frozen=True)
class AuditPage:
    """One page of the log and the cursors of its neighbours: `older` for ?before=, `newer` for ?after= (None: no
    listed row that way)."""

    rows: list[AuditRow]
    older: int | None = None
    newer: int | None = None


def _scan(db: Session, viewer: Viewer, stmt, wanted: AuditFilter, *, count: int, below: int | None = None,
          above: int | None = None) -> list[AuditEvent]:
    """Up to `count` listed events nearest a cursor: newest first with ids below `below` (None: from the newest),
    or oldest first with ids above `above`. Reads forward from the cursor in batches (keyset, never an offset), so
    the cost depends on how many rows are left out near it, not on how deep in the log it is."""
    ascending = above is not None
    bound = above if ascending else below
    stmt = stmt.order_by(AuditEvent.id.asc() if ascending else AuditEvent.id.desc())
    found: list[AuditEvent] = []
    size = max(count, MIN_SCAN)
    while len(found) < count:
        batch = stmt
        if bound is not None:
            batch = batch.where(AuditEvent.id > bound if ascending else AuditEvent.id < bound)
        events = list(db.scalars(batch.limit(size)))
        found += _listed(db, viewer, events, actor_needed=wanted.actor_ids is not None)
        if len(events) < size:
            break
        bound = events[-1].id
        # A long run of left-out rows costs few statements: each further batch is larger.
        size = max(count - len(found), min(size * 2, MAX_SCAN))
    return found[:count]


def audit_page(
    db: Session, viewer: Viewer, *, before: int | None = None, after: int | None = None, per_page: int = 50,
    action: str | None = None, wanted: AuditFilter | None = None,
) -> AuditPage:
    """Newest audit events first (filtered as asked), each with what `viewer` may see of it: the page just older
    than event id `before`, the page just newer than event id `after`, or the newest page.

    Rows the policy does not list to the reader (an act above her reading level of an item: tear lines; asked for
    one person, an act whose actor she may not see) are left out BEFORE paging, so neither a row, nor the number
    of rows on a page, nor the existence of an older or newer page tells that they exist. A cursor is a position
    between ids, not a reference to a row: one at a hidden or missing row's id gives the page a cursor anywhere
    between the listed rows around it gives."""
    wanted = wanted or AuditFilter(action=action, kind="all")
    stmt = policy.visible(_filtered(select(AuditEvent), wanted), viewer, AuditEvent)
    if after is not None:
        newer = _scan(db, viewer, stmt, wanted, count=per_page + 1, above=after)
        if len(newer) > per_page:
            shown = newer[:per_page][::-1]
            older = _scan(db, viewer, stmt, wanted, count=1, below=shown[-1].id)
            return AuditPage(_rows(db, viewer, shown), older=shown[-1].id if older else None, newer=shown[0].id)
        before = None  # less than a page is newer: the newest page (what "Newer" from the second page shows)
    older = _scan(db, viewer, stmt, wanted, count=per_page + 1, below=before)
    shown = older[:per_page]
    newer = None
    if before is not None and _scan(db, viewer, stmt, wanted, count=1, above=shown[0].id if shown else before - 1):
        # Nothing listed below the cursor: every listed row is newer, and the page just newer is the oldest one.
        newer = shown[0].id if shown else 0
    return AuditPage(_rows(db, viewer, shown), older=shown[-1].id if len(older) > per_page else None, newer=newer)


def people_matching(db: Session, viewer: Viewer, text: str) -> tuple[int, ...]:
    """Ids of the accounts whose name or e-mail contains `text` (admins only: the log is theirs)."""
    if not can_administer(viewer):
        return ()
    wanted = text.strip().lower()
    stmt = select(User.id).where(or_(func.lower(User.name).contains(wanted, autoescape=True),
                                     func.lower(User.email).contains(wanted, autoescape=True)))
    return tuple(db.scalars(stmt.limit(500)))


def object_reference(db: Session, viewer: Viewer, event: AuditEvent, subject) -> tuple[str, str | None]:
    """What the row is about, in words, and a link to it: the title only if the reader may read the object."""
    kind = str(KIND_NAMES.get(event.object_type, SOMETHING))
    if subject is not None:
        if not policy.can_view(viewer, subject):
            return kind, None
        if isinstance(subject, Submission):
            return subject.title, url_for("archive.show", submission_id=subject.id)
        if isinstance(subject, DialogueRound):
            return subject.title, url_for("dialogue.round", round_id=subject.id)
        if isinstance(subject, Thread):
            return subject.title, url_for("dialogue.thread", thread_id=subject.id)
        if isinstance(subject, Post):
            if not policy.can_view(viewer, subject.thread):
                return kind, None
            return (_("a post in “%(title)s”", title=subject.thread.title),
                    url_for("dialogue.permalink", post_id=subject.id))
        return kind, None
    if event.object_id is None or not can_administer(viewer):
        return kind, None
    if event.object_type == "user" and (user := db.get(User, event.object_id)) is not None:
        return user.name, url_for("admin.user", user_id=user.id)
    if event.object_type == "organisation" and (org := db.get(Organisation, event.object_id)) is not None:
        return org.name, url_for("admin.organisation", organisation_id=org.id)
    if event.object_type == "sharing_group" and (group := db.get(SharingGroup, event.object_id)) is not None:
        return group.name, url_for("admin.group", group_id=group.id)
    if event.object_type == "paragraph":
        return _("paragraph %(n)s of the Call", n=event.object_id), url_for("paragraphs.show", number=event.object_id)
    return kind, None
