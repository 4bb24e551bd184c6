"""JSON shapes of the public API (see shared/API.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import url_for

from engine import officials
from engine.models import Document, Request, TaskRecord
from engine.timeutil import iso


def registration(req: Request) -> dict[str, Any]:
    return {
        "number": req.registration_number,
        "date": req.registration_date.isoformat(),
        "display": req.registration_display,
    }


def request_summary(req: Request) -> dict[str, Any]:
    return {
        "id": req.id,
        "procedure": req.procedure,
        "registration": registration(req),
        "status": req.status.value,
        "due_date": req.due_date.isoformat(),
    }


def step(task: TaskRecord) -> dict[str, Any]:
    return {
        "name": task.name,
        "department": task.department,
        "state": task.state.value,
        "started_at": iso(task.created_at),
        "completed_at": iso(task.completed_at),
        "completed_by": task.completed_by.name if task.completed_by else None,
        "claimed_by": task.claimed_by.name if task.claimed_by else None,
    }


def document(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.id,
        "name": doc.name,
        "kind": doc.kind,
        "mime": doc.mime,
        "size": doc.size,
        "sha256": doc.sha256,
        "url": url_for("api.get_document", document_id=doc.id),
    }


def task(row: TaskRecord, req: Request, form: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "request_id": req.id,
        "registration": registration(req),
        "name": row.name,
        "department": row.department,
        "role": row.role,
        "form": form,
        "due_date": row.due_date.isoformat(),
        **_marks(row.due_date),
        "claimed_by": row.claimed_by.name if row.claimed_by else None,
    }


def _marks(due: date) -> dict[str, Any]:
    m = officials.marks(due)
    return {"days_left": m.days_left, "at_risk": m.at_risk, "overdue": m.overdue}
