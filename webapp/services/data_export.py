"""Export my data (issue 14): every row the platform holds about a person, as JSON files in a ZIP.

The job engine builds it (jobs/tasks.py "data_export.build"); it lies in INSTANCE/exports under a random name
until DATA_EXPORT_DAYS have passed, then the retention job deletes it. Only the person may download it.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from webapp.db import Base, unit_of_work
from webapp.models import DataExport, utcnow
from webapp.policy import Viewer
from webapp.policy.data_rights import can_download_export
from webapp.services import Conflict, NotFound
from webapp.services.audit import record

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportedTable:
    """Which columns of a table name the person, and which columns are secrets never exported (even to them)."""

    person_columns: tuple[str, ...]
    secret_columns: tuple[str, ...] = ()


# Every table with a column naming a person (a foreign key to users.id) must be listed here:
# tests/test_data_export.py fails for a new one until it is.
EXPORTED_TABLES: dict[str, ExportedTable] = {
    "users": ExportedTable(("id",), ("password_hash", "totp_secret", "totp_pending_secret", "totp_last_counter")),
    "account_tokens": ExportedTable(("user_id",), ("token_hash",)),
    "recovery_codes": ExportedTable(("user_id",), ("code_hash",)),
    "auth_sessions": ExportedTable(("user_id",), ("token_hash",)),
    "audit_events": ExportedTable(("actor_id",)),
    "clearance_proposals": ExportedTable(("user_id", "proposed_by_id", "decided_by_id")),
    "data_exports": ExportedTable(("user_id",), ("file_name",)),
    "erasure_requests": ExportedTable(("user_id", "asked_by_id", "decided_by_id")),
    "form_submissions": ExportedTable(("user_id",)),
    "dialogue_rounds": ExportedTable(("created_by_id",)),
    "dialogue_round_facilitators": ExportedTable(("user_id",)),
    "dialogue_threads": ExportedTable(("author_id",)),
    "dialogue_posts": ExportedTable(("author_id", "hidden_by_id")),
    "dialogue_post_revisions": ExportedTable(("editor_id",)),
    "dialogue_post_flags": ExportedTable(("user_id", "resolved_by_id")),
    "dialogue_moderation_events": ExportedTable(("actor_id",)),
    "notifications": ExportedTable(("user_id",)),
    "notification_preferences": ExportedTable(("user_id",)),
    "organisation_focal_points": ExportedTable(("user_id",)),
    "outgoing_mail": ExportedTable(("recipient_id",), ("claim_token",)),
    "scheduled_releases": ExportedTable(("scheduled_by_id",)),
    "sharing_group_users": ExportedTable(("user_id",)),
    "submissions": ExportedTable(("author_id", "reviewer_id")),
    "submission_revisions": ExportedTable(("author_id",)),
    "submission_translations": ExportedTable(("author_id", "reviewer_id")),
    "thread_pseudonyms": ExportedTable(("user_id",)),
    "thread_reads": ExportedTable(("user_id",)),
    "tier_proposals": ExportedTable(("proposer_id", "answered_by_id")),
    "watches": ExportedTable(("user_id",)),
}


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "code"):  # Tier
        return value.code
    return value


def rows_about(db: Session, user_id: int) -> dict[str, list[dict]]:
    """{table: [row, …]} of every row naming the person, secrets left out."""
    data: dict[str, list[dict]] = {}
    for name, spec in EXPORTED_TABLES.items():
        table = Base.metadata.tables[name]
        condition = or_(*[table.c[column] == user_id for column in spec.person_columns])
        rows = db.execute(select(table).where(condition).order_by(*table.primary_key.columns)).mappings()
        data[name] = [{key: _plain(value) for key, value in row.items() if key not in spec.secret_columns}
                      for row in rows]
    return data


def _folder() -> str:
    folder = os.path.join(current_app.instance_path, "exports")
    os.makedirs(folder, exist_ok=True)
    return folder


def file_path(export: DataExport) -> str:
    """Where the export's ZIP lies."""
    return os.path.join(_folder(), export.file_name)


def remove_file(export: DataExport) -> None:
    """Delete the export's ZIP, if it is there."""
    try:
        os.remove(file_path(export))
    except FileNotFoundError:
        pass


# A preparation still pending after this long will not finish (the job engine gave up its retries, e.g. with the
# database down throughout): it no longer blocks a new request, and the hourly retention job marks it failed.
STALE_PENDING = timedelta(hours=1)


def request_export(actor: Viewer) -> DataExport:
    """Ask for one's own data; the job engine prepares it (one pending export at a time)."""
    if actor.user_id is None:
        raise NotFound()
    with unit_of_work() as db:
        if db.scalar(select(DataExport.id).where(DataExport.user_id == actor.user_id, DataExport.status == "pending",
                                                 DataExport.requested_at > utcnow() - STALE_PENDING)):
            raise Conflict(_l("Your export is already being prepared; it appears below when it is ready."))
        export = DataExport(user_id=actor.user_id, status="pending", file_name=f"{secrets.token_hex(16)}.zip")
        db.add(export)
        db.flush()
        record(db, actor.user_id, "user.data_export_requested", "data_export", export.id)
    from webapp import jobs

    jobs.enqueue(current_app._get_current_object(), "data_export.build", export.id)
    return export


def build(export_id: int) -> None:
    """Write the ZIP of JSON for export `export_id` (the job engine calls this)."""
    with unit_of_work() as db:
        export = db.get(DataExport, export_id)
        if export is None or export.status != "pending":
            return
        data = rows_about(db, export.user_id)
        path = file_path(export)
        try:
            with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                archive.writestr("README.txt", "Everything REAIM Exchange holds about you, one JSON file per table.\n"
                                               "Secrets (password and code hashes, sign-in tokens) are left out.\n")
                for name, rows in data.items():
                    archive.writestr(f"{name}.json", json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        except OSError:
            # Disk full or the folder unwritable: no half-written file stays, the person sees "failed" and may ask
            # again (a pending export would block new requests for good).
            log.exception("data export %s could not be written", export_id)
            remove_file(export)
            export.status = "failed"
            return
        export.status, export.ready_at = "ready", utcnow()
        export.size = os.path.getsize(path)
        export.expires_at = export.ready_at + timedelta(days=int(current_app.config["DATA_EXPORT_DAYS"]))


def my_exports(db: Session, viewer: Viewer) -> list[DataExport]:
    """The viewer's own exports, newest first."""
    if viewer.user_id is None:
        return []
    return list(db.scalars(select(DataExport).where(DataExport.user_id == viewer.user_id)
                           .order_by(DataExport.requested_at.desc(), DataExport.id.desc())))


def open_for_download(actor: Viewer, export_id: int) -> str:
    """The path of a ready, unexpired export of the actor's own (anything else: not found); audited."""
    with unit_of_work() as db:
        export = db.get(DataExport, export_id)
        if export is None or not can_download_export(actor, export):
            raise NotFound(_l("No such export."))
        if export.status != "ready" or export.expires_at is None or export.expires_at <= utcnow() \
                or not os.path.exists(file_path(export)):
            raise NotFound(_l("This export is not ready or has expired; ask for a new one."))
        record(db, actor.user_id, "user.data_export_downloaded", "data_export", export.id)
        return file_path(export)


def delete_expired(now: datetime | None = None) -> int:
    """Retention: delete exports past their time (file and row), fail preparations that will not finish; returns
    how many were deleted."""
    now = now or utcnow()
    with unit_of_work() as db:
        stale = list(db.scalars(select(DataExport).where(DataExport.status == "pending",
                                                         DataExport.requested_at <= now - STALE_PENDING)))
        for export in stale:  # the person sees "failed" and may ask again
            remove_file(export)
            export.status = "failed"
        expired = list(db.scalars(select(DataExport).where(DataExport.expires_at <= now)))
        for export in expired:
            remove_file(export)
        if expired:
            db.execute(delete(DataExport).where(DataExport.id.in_([e.id for e in expired])))
    return len(expired)
