"""The data generation: one database row that every transaction writing content bumps before it commits.

Every count and facet the app caches is keyed by the generation's token, so a cached count is never read after a
write that could change it — on any node, because the row is in the database and is bumped inside the writing
transaction itself (a rolled-back write bumps nothing). Which writes count is decided here, once, from the tables a
session writes (ORM flushes, relationship collections, and Core INSERT/UPDATE/DELETE run through the session), not
by each service remembering to: a new service gets it for free. Tables of infrastructure (sessions, audit rows,
mail, rate limits, read markers, notifications, the search index itself) change no count and bump nothing, so a
sign-in or a read does not empty the cache; anything else that touches content does, including the search outbox
(every service queues a re-index of what it changed).
"""
from __future__ import annotations

import secrets

from flask import g, has_app_context
from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import ORMExecuteState, Session

from webapp.models import ContentGeneration

# The tables whose rows any count, facet or navigation figure reads, or whose change means content changed.
CONTENT_TABLES = frozenset({
    "submissions", "submission_paragraphs", "submission_revisions",
    "dialogue_rounds", "round_paragraphs", "round_facilitators", "round_invited_types", "round_invited_organisations",
    "dialogue_threads", "thread_paragraphs", "dialogue_posts", "dialogue_post_flags",
    "organisations", "stakeholder_types", "sharing_groups", "sharing_group_users", "sharing_group_organisations",
    "organisation_focal_points", "scheduled_releases", "tier_proposals", "search_outbox",
})
_TOUCHED = "content_generation_touched"
_CURRENT = "content_generation_token"


def _writes_content(obj) -> bool:
    state = inspect(obj)
    if any(table.name in CONTENT_TABLES for table in state.mapper.tables):
        return True
    # A collection over an association table (user.sharing_groups) is written through its owner's flush.
    for relationship in state.mapper.relationships:
        secondary = relationship.secondary
        if secondary is None or getattr(secondary, "name", None) not in CONTENT_TABLES:
            continue
        if state.deleted or state.was_deleted or state.attrs[relationship.key].history.has_changes():
            return True
    return False


@event.listens_for(Session, "before_flush")
def _note_flushed_content(db: Session, _context, _instances) -> None:
    if db.info.get(_TOUCHED):
        return
    if any(_writes_content(obj) for obj in (*db.new, *db.dirty, *db.deleted)):
        db.info[_TOUCHED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in CONTENT_TABLES:
        state.session.info[_TOUCHED] = True


# insert=True: before the search index is written in the transaction (postgres), so the generation row is always
# the first lock a content-writing transaction takes at commit and two writers cannot wait on each other for it.
@event.listens_for(Session, "before_commit", insert=True)
def _bump_if_content_changed(db: Session) -> None:
    if not db.info.get(_TOUCHED) and (db.new or db.dirty or db.deleted):
        db.flush()  # the commit's own flush comes after this hook: let before_flush see what it will write
    if db.info.pop(_TOUCHED, False):
        bump(db)


@event.listens_for(Session, "after_rollback")
def _forget_touched(db: Session) -> None:
    db.info.pop(_TOUCHED, None)


@event.listens_for(Session, "after_commit")
def _forget_current(db: Session) -> None:
    if has_app_context():
        g.pop(_CURRENT, None)  # this request wrote: its next count reads the new generation


def bump(db: Session) -> None:
    """Give the data a new generation (inside the caller's transaction); creates the row if it is missing."""
    token = secrets.token_hex(16)
    done = db.execute(
        update(ContentGeneration).where(ContentGeneration.id == 1)
        .values(token=token, generation=ContentGeneration.generation + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        db.add(ContentGeneration(id=1, token=token, generation=1))
        db.flush()


def current(db: Session) -> str | None:
    """The generation's token as this request's transaction sees it (read once per request; None: no row yet,
    so nothing may be cached)."""
    if has_app_context() and _CURRENT in g:
        return g.get(_CURRENT)
    token = db.scalar(select(ContentGeneration.token).where(ContentGeneration.id == 1))
    if has_app_context():
        setattr(g, _CURRENT, token)
    return token
