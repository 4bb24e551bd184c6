"""The audit trail: an append-only record of every transition."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine.models import AuditEvent, TaskRecord
from engine.platform.timeutil import utcnow


def record(
    session: Session,
    action: str,
    *,
    actor_id: int | None = None,
    request_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """Append an audit event to the current transaction."""
    event = AuditEvent(
        at=utcnow(), actor_id=actor_id, request_id=request_id, action=action, detail=detail
    )
    session.add(event)
    return event


def task_event(
    session: Session, action: str, row: TaskRecord, *, actor_id: int | None, **detail: Any
) -> AuditEvent:
    """Append an event about one task: its request, id, name and department are recorded."""
    return record(
        session,
        action,
        actor_id=actor_id,
        request_id=row.request_id,
        task=row.id,
        name=row.name,
        department=row.department,
        **detail,
    )
