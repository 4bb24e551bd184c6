"""JSON shapes of the public API (see shared/API.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import url_for

from engine.cases import documents, officials
from engine.cases.readmodel import Exchange, RequestPage
from engine.models import Document, Request, TaskRecord
from engine.platform.timeutil import iso


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
        "slot": doc.field,
        "slot_title": documents.slot_title(doc),
        "url": url_for("api.citizens.get_document", document_id=doc.id),
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


def waiting_for(page: RequestPage) -> dict[str, Any] | None:
    waiting = page.waiting_for
    if waiting is None:
        return None
    return {
        "message": waiting.message,
        "form": waiting.form,
        "attachments": [a.as_api() for a in waiting.attachments],
        "answer_by": waiting.answer_by.isoformat() if waiting.answer_by else None,
    }


def exchange(item: Exchange) -> dict[str, Any]:
    return {
        "question": item.question,
        "step": item.step,
        "asked_at": iso(item.asked_at),
        "asked_by": item.asked_by,
        "state": item.state.value,
        "reply": item.reply_data or None,
        "replied_at": iso(item.replied_at),
        "documents": [document(d) for d in item.documents],
    }


def request_page(page: RequestPage) -> dict[str, Any]:
    """Render the request page's read model as GET /requests/{id} answers it."""
    req = page.request
    body = request_summary(req)
    body["due_date"] = page.deadline.due_date.isoformat()
    body.update(
        summary=req.summary,
        waiting_for=waiting_for(page),
        steps=[step(t) for t in page.steps],
        documents=[
            {**document(d), "verification_code": page.verification_codes[d.id]}
            if d.id in page.verification_codes
            else document(d)
            for d in page.documents
        ],
        answer=page.answer,
        conversation=[exchange(e) for e in page.conversation],
        deadline={
            "due_date": page.deadline.due_date.isoformat(),
            "extended_by_days": page.deadline.extended_by_days,
            "suspended_days": page.deadline.suspended_days,
            "days_left": page.deadline.days_left,
            "overdue": page.deadline.overdue,
            "tacit_approval_may_apply": page.deadline.tacit_approval_may_apply,
        },
        withdrawable=page.withdrawable,
        closed_at=iso(req.closed_at),
        late_steps=[{"step": s.name, "reason": s.reason, "at": iso(s.at)} for s in page.late],
    )
    if page.predicted is not None:
        body["deadline"]["predicted"] = page.predicted.as_api()
    return body
