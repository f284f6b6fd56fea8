"""Once per slot: a periodic job runs only where its (name, slot) row could be inserted (DESIGN.md §13)."""
from __future__ import annotations

import logging
import os
import socket
from datetime import datetime

from flask import Flask
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from webapp.models import JobRun, utcnow

log = logging.getLogger(__name__)


def node_name() -> str:
    """This process, as recorded on the claims it takes."""
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def claim(app: Flask, name: str, slot: str) -> bool:
    """Take (name, slot) for this process. False if another consumer has it — unless its run failed, in which case
    the retry takes it over (a failed slot is retried until done or visibly failed)."""
    db = app.extensions["db_sessionmaker"]()
    try:
        try:
            db.execute(insert(JobRun).values(name=name, slot=slot, node=node_name(), status="running", attempts=1,
                                             started_at=utcnow(), error=""))
            db.commit()
            return True
        except IntegrityError:
            db.rollback()
        taken = db.execute(
            update(JobRun)
            .where(JobRun.name == name, JobRun.slot == slot, JobRun.status == "failed")
            .values(status="running", node=node_name(), attempts=JobRun.attempts + 1, started_at=utcnow(),
                    finished_at=None)
        )
        db.commit()
        return taken.rowcount == 1
    finally:
        db.close()


def _finish(app: Flask, name: str, slot: str, status: str, error: str = "") -> None:
    with app.extensions["db_sessionmaker"].begin() as db:
        db.execute(
            update(JobRun).where(JobRun.name == name, JobRun.slot == slot)
            .values(status=status, finished_at=utcnow(), error=error[:2000])
        )


def run_once(app: Flask, job, moment: datetime) -> object:
    """Run periodic `job` for the slot containing `moment`, unless some consumer already claimed that slot."""
    slot = job.slot_for(moment)
    if not claim(app, job.name, slot):
        log.info("periodic job %s for slot %s: already claimed elsewhere, skipped", job.name, slot)
        return None
    log.info("periodic job %s for slot %s: claimed by %s", job.name, slot, node_name())
    try:
        result = job.run(app)
    except Exception as error:
        log.exception("periodic job %s for slot %s failed", job.name, slot)
        _finish(app, job.name, slot, "failed", repr(error))
        raise  # the engine retries it (and the retry re-claims the failed slot)
    _finish(app, job.name, slot, "done")
    return result
