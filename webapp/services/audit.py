"""Writing audit rows; always inside the caller's transaction."""
from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy.orm import Session

from webapp.models import AuditEvent


def client_ip() -> str:
    """The requesting address (the reverse proxy sets it via ProxyFix in production)."""
    if has_request_context():
        return (request.remote_addr or "")[:45]
    return "cli"


def record(
    db: Session, actor_id: int | None, action: str, object_type: str, object_id: int | None, **details: Any
) -> AuditEvent:
    """Add one audit row to the current transaction."""
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        ip=client_ip(),
        details=details,
    )
    db.add(event)
    return event
