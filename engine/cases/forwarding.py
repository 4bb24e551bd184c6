"""Petitions sent to the wrong authority: forwarded where they belong, the applicant told.

OG 27/2002 art. 6 (2): a petition that another authority must solve is sent there within
5 days of its registration, and the petitioner is told. The request closes here as
`completed`, its answer says where it went, and the letter is an outgoing register entry."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, joinedload

from engine import audit
from engine.cases import operations
from engine.circuit import Circuit
from engine.messages import notify
from engine.models import Request, RequestStatus, TaskRecord, TaskState, User
from engine.platform.errors import Conflict, Forbidden, Invalid, NotFound
from engine.register import chain
from engine.workflow import runtime

FORWARD_DAYS = 5  # the legal term for forwarding, counted from registration


def _text(value: Any, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


def forward_to_authority(
    session: Session, circuit: Circuit, user: User, task_id: str, authority: Any, reason: Any
) -> Request:
    """Send the request of a READY task to the competent authority and close it here."""
    row = session.get(TaskRecord, task_id, options=[joinedload(TaskRecord.request)])
    if row is None or row.department not in user.departments:
        raise NotFound("Sarcina nu există.")
    if row.claimed_by_id != user.id and row.department not in user.head_of:
        raise Forbidden("Transmite cererea cine a preluat sarcina sau șeful compartimentului.")
    if row.state != TaskState.READY:
        raise Conflict("Sarcina a fost deja finalizată.", code="not_ready")
    authority, reason = _text(authority, 300), _text(reason, 500)
    errors = []
    if len(authority) < 3:
        errors.append({"field": "/authority", "message": "Scrieți autoritatea competentă."})
    if len(reason) < 5:
        errors.append(
            {"field": "/reason", "message": "Spuneți de ce cererea nu este de competența noastră."}
        )
    if errors:
        raise Invalid(errors)
    loaded = runtime.load(session, row.instance_id)  # the status is read again under the lock
    request = row.request
    if request.status.is_closed:
        raise Conflict("Cererea este deja închisă.", code="closed")
    letter = chain.register(
        session,
        direction="out",
        issuer="Primăria",
        recipient=authority,
        summary=f"Transmitere după competență: {request.summary}",
        department=row.department,
        request_id=request.id,
        linked=request.registry_entry,
        file_code=request.registry_entry.file_code,
    )
    request.answer_entry_id = letter.id  # the letter is this request's outgoing document
    request.answer = (
        f"Cererea dumneavoastră nu este de competența primăriei. Conform art. 6 alin. (2) din "
        f"OG 27/2002, a fost transmisă către {authority} (nr. {letter.display}), care vă va "
        f"răspunde. Motivul: {reason}"
    )
    audit.record(
        session,
        "request_forwarded",
        actor_id=user.id,
        request_id=request.id,
        task=row.id,
        authority=authority,
        reason=reason,
        number=letter.number,
        year=letter.year,
    )
    operations.end_early(
        session,
        loaded,
        request,
        user,
        RequestStatus.COMPLETED,
        circuit.settings.registry_department,
    )
    if request.applicant_id is not None:
        notify.post(
            session,
            request,
            "forwarded",
            f"Cererea nr. {request.registration_display} a fost transmisă către {authority}, "
            "autoritatea competentă să o soluționeze.",
            user_id=request.applicant_id,
        )
    return request
