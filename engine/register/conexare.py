"""Conexare (OG 27/2002 art. 10 (1)): identical petitions of one person, joined, one answer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.messages import notify
from engine.models import Request, RequestStatus, User
from engine.platform.errors import Invalid
from engine.platform.timeutil import utcnow
from engine.register import chain


def earlier_request(
    session: Session, linked: chain.RegistryEntry, procedure: str, issuer: str
) -> Request:
    """Return the open request of the same person and procedure that `linked` registered."""
    earlier = session.scalar(select(Request).where(Request.registry_entry_id == linked.id))

    def refuse(message: str) -> Invalid:
        return Invalid([{"field": "/related_to", "message": message}])

    if earlier is None or earlier.procedure != procedure:
        raise refuse("Numărul indicat nu este o cerere din aceeași procedură; nu se poate conexa.")
    if earlier.joined_to_id is not None:
        raise refuse("Cererea indicată este ea însăși conexată; indicați prima cerere.")
    if chain.fold(earlier.petitioner_name).split() != chain.fold(issuer).split():
        raise refuse("Se conexează numai petițiile aceleiași persoane.")
    if earlier.status.is_closed:
        raise refuse("Petiția anterioară a fost deja soluționată; înregistrați-o separat.")
    return earlier


def register_joined(
    session: Session,
    earlier: Request,
    entry: chain.RegistryEntry,
    intake: chain.Intake,
    data: dict[str, Any],
    summary: str,
) -> Request:
    """Record a petition joined to an earlier one: no workflow of its own, one answer."""
    request = chain.new_request(
        session,
        entry,
        procedure=earlier.procedure,
        status=RequestStatus.IN_PROGRESS,
        due_date=earlier.due_date,
        summary=summary,
        data=data,
        applicant_id=None,
        issuer_name=intake.issuer,
        issuer_contact=intake.contact,
        reply_by=intake.reply_by,
        joined_to_id=earlier.id,
    )
    audit.record(
        session,
        "request_joined",
        actor_id=intake.actor_id,
        request_id=request.id,
        joined_to=earlier.id,
        number=entry.number,
        year=entry.year,
    )
    return request


def close_joined(session: Session, request: Request, actor: User | None) -> list[Request]:
    """Close the petitions joined to this request with its status and its answer."""
    joined = list(
        session.scalars(
            select(Request).where(
                Request.joined_to_id == request.id, Request.status.in_(RequestStatus.open())
            )
        )
    )
    now = utcnow()
    for other in joined:
        other.status = request.status
        other.answer = request.answer
        other.answer_entry_id = request.answer_entry_id
        other.closed_at = now
        other.updated_at = now
        audit.record(
            session,
            "request_closed",
            actor_id=actor.id if actor else None,
            request_id=other.id,
            status=other.status.value,
            joined_to=request.id,
        )
        notify.request_status(session, other)
    return joined
