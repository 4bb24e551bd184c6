"""Stuck requests: a step the diagram could not run (a `process_error`) is kept in the audit
with its reason, listed for administrators, and can be retried (on the current deployed
version once the diagram is fixed) or ended with an answer to the applicant.

The failing transaction is rolled back (nothing half-stored), so the reason is written in a
transaction of its own right after that rollback (`remember`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.cases import operations, timers
from engine.cases.stuckreason import STUCK
from engine.circuit import Circuit
from engine.models import AuditEvent, Instance, Request, RequestStatus, TaskRecord, User
from engine.platform.errors import BadRequest, Conflict, Forbidden, NotFound
from engine.workflow import definitions, runtime

# What ends a stuck spell: the step ran after all, or the request was ended.
PROGRESS = ("task_completed", "timer_fired", "request_closed", "stuck_retried")
WHAT_TO_DO = (
    "Corectați diagrama (elementul numit mai sus), instalați-o cu „circuit db upgrade”, apoi "
    "apăsați „Reîncearcă”: pasul rulează din nou pe versiunea instalată. Altfel, redirecționați "
    "sarcina sau încheiați cererea cu un răspuns pentru petent."
)


def _require_admin(actor: User) -> None:
    if not (actor.is_admin and actor.active):
        raise Forbidden("Numai administratorii reiau sau încheie cererile blocate.")


@dataclass(frozen=True)
class StuckRequest:
    request_id: int
    number: str
    procedure: str
    summary: str
    at: datetime
    message: str
    element: str | None
    technical: str | None
    step: str
    can_retry: bool


def _last_failure(session: Session, request_id: int) -> AuditEvent | None:
    """The request's newest process error with no progress after it, else None."""
    events = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.request_id == request_id,
            AuditEvent.action.in_((STUCK, *PROGRESS)),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).all()
    return events[0] if events and events[0].action == STUCK else None


def stuck_requests(session: Session) -> list[StuckRequest]:
    """Return the open requests whose last step failed in the diagram, newest first."""
    ids = session.scalars(
        select(AuditEvent.request_id).where(AuditEvent.action == STUCK).distinct()
    ).all()
    out = []
    for request_id in ids:
        request = session.get(Request, request_id)
        failure = _last_failure(session, request_id) if request_id else None
        if request is None or failure is None or request.status.is_closed:
            continue
        d = failure.detail
        out.append(
            StuckRequest(
                request_id=request.id,
                number=request.registration_display,
                procedure=request.procedure,
                summary=request.summary,
                at=failure.at,
                message=str(d.get("message") or ""),
                element=d.get("element"),
                technical=d.get("technical"),
                step=str(d.get("step") or ""),
                can_retry=d.get("step") in ("task", "timer"),
            )
        )
    return sorted(out, key=lambda s: s.at, reverse=True)


def _to_current_version(session: Session, circuit: Circuit, request: Request) -> Instance:
    """Move the request's instance to its procedure's current version when that differs and
    still has every step the instance waits in; Conflict otherwise."""
    instance = session.scalar(select(Instance).where(Instance.request_id == request.id))
    if instance is None:
        raise NotFound("Cererea nu există.")
    current = circuit.procedures(session).version_of(request.procedure)
    if current is None or current == instance.process_version_id:
        return instance
    runtime.lock(session, instance.id)
    try:
        workflow = definitions.load_workflow(
            instance.state, definitions.definition(session, current)
        )
    except Exception as exc:  # a waiting step the new version no longer has
        raise Conflict(
            "Pasul la care a rămas cererea nu mai există în versiunea instalată a diagramei: "
            "redirecționați sarcina sau încheiați cererea cu un răspuns.",
            code="step_missing",
        ) from exc
    old = instance.process_version_id
    instance.state = definitions.dump_workflow(workflow)
    instance.process_version_id = current
    instance.revision += 1
    audit.record(session, "version_moved", request_id=request.id, old=old, new=current)
    return instance


def retry(session: Session, circuit: Circuit, actor: User, request_id: int) -> Request:
    """Run the failed step again, on the procedure's current deployed version: the task's
    completion with the data given then, or the timer. A new failure is kept again."""
    _require_admin(actor)
    request = session.get(Request, request_id)
    failure = _last_failure(session, request_id) if request else None
    if request is None or failure is None or request.status.is_closed:
        raise NotFound("Cererea nu este blocată.")
    d = failure.detail
    _to_current_version(session, circuit, request)
    audit.record(session, "stuck_retried", actor_id=actor.id, request_id=request.id)
    task_id = str(d.get("task") or "")
    if d.get("step") == "timer":
        timers.fire_timer(session, circuit, task_id)
        return request
    row = session.get(TaskRecord, task_id)
    if row is None:
        raise Conflict("Sarcina nu mai există; redirecționați-o sau încheiați cererea.")
    who = session.get(User, failure.actor_id) if failure.actor_id else None
    return operations.complete_row(session, circuit, row, dict(d.get("data") or {}), who or actor)


def end_with_answer(
    session: Session, circuit: Circuit, actor: User, request_id: int, answer: str, solved: bool
) -> Request:
    """Close a stuck request with an answer for the applicant (solved or not), audited."""
    _require_admin(actor)
    answer = " ".join((answer or "").split())
    if len(answer) < 10:
        raise BadRequest("Scrieți petentului răspunsul (cel puțin 10 caractere).")
    request = session.get(Request, request_id)
    if request is None or request.status.is_closed:
        raise NotFound("Cererea nu există sau este deja închisă.")
    instance = session.scalar(select(Instance).where(Instance.request_id == request.id))
    assert instance is not None
    loaded = runtime.load(session, instance.id, circuit.calendar)
    request.answer = answer
    status = RequestStatus.COMPLETED if solved else RequestStatus.REJECTED
    audit.record(session, "stuck_ended", actor_id=actor.id, request_id=request.id, answer=answer)
    operations.end_early(
        session, loaded, request, actor, status, circuit.settings.registry_department
    )
    return request
