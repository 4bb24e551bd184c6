"""A person's data as they may see it: profile, notifications, who handled it, the export."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from engine.messages import notify
from engine.models import (
    AccessLogEntry,
    AuditEvent,
    Document,
    Notification,
    Request,
    TaskRecord,
    User,
)
from engine.people import accounts, personal, profile
from engine.people.cnp import mask
from engine.platform.timeutil import iso, utcnow

OPENED = "opened"
DOWNLOADED = "downloaded"
CHANGED = "changed"
ACCESS_LOGGED = "access_logged"
ACTION_LABELS = {OPENED: "a deschis", DOWNLOADED: "a descărcat", CHANGED: "a modificat"}


def record_access(
    session: Session,
    official: User,
    request: Request,
    action: str,
    what: str,
    *,
    department: str | None = None,
    document_id: int | None = None,
) -> None:
    """Log that someone other than the applicant opened or changed the applicant's data."""
    if official.id == request.applicant_id or request.applicant_id is None:
        return  # no account (registered at the registry): nobody to show the log to
    if department is None:
        department = _department_for(session, official, request.id)
    session.info[ACCESS_LOGGED] = True  # a page that only reads commits the log (webapp)
    session.add(
        AccessLogEntry(
            at=utcnow(),
            subject_id=request.applicant_id,
            official_id=official.id,
            department=department,
            request_id=request.id,
            document_id=document_id,
            action=action,
            what=what[:300],
        )
    )


def _department_for(session: Session, official: User, request_id: int) -> str | None:
    """The official's department that worked on the request (else their first)."""
    deps = official.departments
    if not deps:
        return None
    found = session.scalar(
        select(TaskRecord.department)
        .where(TaskRecord.request_id == request_id, TaskRecord.department.in_(deps))
        .order_by(TaskRecord.created_at.desc())
        .limit(1)
    )
    return found or deps[0]


def access_log(session: Session, user: User, limit: int = 500) -> list[AccessLogEntry]:
    """Return who opened or changed this person's data, newest first."""
    return list(
        session.scalars(
            select(AccessLogEntry)
            .where(AccessLogEntry.subject_id == user.id)
            .options(joinedload(AccessLogEntry.official))
            .order_by(AccessLogEntry.id.desc())
            .limit(limit)
        )
    )


def access_entry(entry: AccessLogEntry) -> dict[str, Any]:
    return {
        "at": iso(entry.at),
        "official": entry.official.name,
        "department": entry.department,
        "request_id": entry.request_id,
        "document_id": entry.document_id,
        "action": entry.action,
        "what": entry.what,
    }


def notification_entry(note: Notification) -> dict[str, Any]:
    return {
        "at": iso(note.created_at),
        "request_id": note.request_id,
        "text": note.message,
        "read": note.read_at is not None,
    }


def masked_cnp(user: User) -> str | None:
    """Return a person's CNP as officials see it: the first and last digit only."""
    return mask(personal.vault().decrypt(user.cnp_encrypted))


def me(session: Session, user: User) -> dict[str, Any]:
    """Return the account as the person sees it, the CNP masked."""
    companies = [
        {"cui": c.cui, "name": c.name, "status": c.status.value}
        for c in profile.companies(session, user)
    ]
    return {
        "id": accounts.public_id(user.id),
        "email": user.email,
        "name": user.name,
        "cnp_masked": masked_cnp(user),
        "birth_date": user.birth_date.isoformat() if user.birth_date else None,
        "verified": user.verified,
        "company": companies[0] if companies else None,
        "companies": companies,
    }


def export(session: Session, user: User) -> dict[str, Any]:
    """Return all the person's data as one document (GDPR art. 15 and 20)."""
    vault = personal.vault()
    account = me(session, user)
    account["cnp"] = vault.decrypt(user.cnp_encrypted)
    account["id_document"] = vault.decrypt(user.id_document_encrypted)
    account["created_at"] = iso(user.created_at)
    requests = list(
        session.scalars(select(Request).where(Request.applicant_id == user.id).order_by(Request.id))
    )
    ids = [r.id for r in requests]
    docs = (
        list(session.scalars(select(Document).where(Document.request_id.in_(ids)))) if ids else []
    )
    events = (
        list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.request_id.in_(ids), AuditEvent.actor_id == user.id)
                .order_by(AuditEvent.id)
            )
        )
        if ids
        else []
    )
    return {
        "account": account,
        "requests": [
            {
                "id": r.id,
                "procedure": r.procedure,
                "registration": r.registration_display,
                "status": r.status.value,
                "due_date": r.due_date.isoformat(),
                "summary": r.summary,
                "data": r.data,
                "answer": r.answer,
                "company": {"cui": r.company.cui, "name": r.company.name} if r.company else None,
                "created_at": iso(r.created_at),
                "documents": [
                    {
                        "id": d.id,
                        "name": d.name,
                        "kind": d.kind,
                        "mime": d.mime,
                        "size": d.size,
                        "sha256": d.sha256,
                    }
                    for d in docs
                    if d.request_id == r.id
                ],
            }
            for r in requests
        ],
        "own_actions": [
            {
                "at": iso(e.at),
                "request_id": e.request_id,
                "action": e.action,
            }
            for e in events
        ],
        "notifications": [notification_entry(n) for n in notify.own(session, user, 10_000)],
        "access_log": [access_entry(e) for e in access_log(session, user, 10_000)],
        "exported_at": utcnow().isoformat(timespec="seconds"),
    }
