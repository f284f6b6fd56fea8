"""Duplicate submissions of one form (a retry after a dropped connection, a double click) create one item.

A form that creates something carries a random key (forms/idempotency.py). `create_once` claims (user, key) in the
same transaction as the creation: the unique constraint makes a concurrent twin wait for the first and then fail, so
across workers exactly one creation commits; a repeat is answered with the first one's address (PRG). Keys are
looked up per user, so a key sent by another user never leads to this user's item. Claims are purged after
FORM_KEY_RETENTION_HOURS by a periodic job.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from webapp.db import session, unit_of_work
from webapp.models import FormSubmission, utcnow
from webapp.policy import Viewer

_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
_TWIN_WAIT_SECONDS = 3.0


def _recorded(user_id: int, key: str) -> FormSubmission | None:
    return session().scalar(select(FormSubmission).where(FormSubmission.user_id == user_id, FormSubmission.key == key))


def _first_result(user_id: int, key: str, fallback_url: str) -> str:
    """The address the first submission led to (it records it just after its commit: wait a moment for it)."""
    deadline = time.monotonic() + _TWIN_WAIT_SECONDS
    while True:
        session().rollback()  # a fresh read, not this session's snapshot
        found = _recorded(user_id, key)
        if found is not None and found.result_url:
            return found.result_url
        if time.monotonic() >= deadline:
            return fallback_url
        time.sleep(0.1)


def create_once(viewer: Viewer, form: str, key: str | None, create: Callable[[], str], *,
                fallback_url: str) -> tuple[str, bool]:
    """Run `create` (a service call; returns the created item's URL) once per (viewer, key).

    Returns (url, repeated): repeated is True when an earlier submission with this key made the item. A missing or
    malformed key (a page from before keys existed) creates as before."""
    if viewer.user_id is None or not key or not _KEY.fullmatch(key):
        return create(), False
    db = session()
    if _recorded(viewer.user_id, key) is not None:
        return _first_result(viewer.user_id, key, fallback_url), True
    claim = FormSubmission(user_id=viewer.user_id, key=key, form=form)
    db.add(claim)
    try:
        db.flush()  # a concurrent twin blocks here until the first commits, then violates the unique constraint
    except IntegrityError:
        db.rollback()
        return _first_result(viewer.user_id, key, fallback_url), True
    try:
        url = create()  # the service's unit_of_work commits the claim together with the item and its audit row
    except BaseException:
        db.rollback()  # a refusal before the service's transaction must not leave the claim pending
        raise
    with unit_of_work():
        claim.result_url = url
    return url, False


def purge_expired(now=None) -> int:
    """Forget claims older than FORM_KEY_RETENTION_HOURS (a repeat after that long is a new submission)."""
    hours = float(current_app.config.get("FORM_KEY_RETENTION_HOURS", 24))
    cutoff = (now or utcnow()) - timedelta(hours=hours)
    with unit_of_work() as db:
        return db.execute(delete(FormSubmission).where(FormSubmission.created_at < cutoff)).rowcount or 0
