"""The rules a step's completion must keep, read from the user task's properties.

Four eyes: a task with the `fourEyes` property may not be completed by whoever did the step
it checks (the latest completion of the task whose BPMN id the property names). In a
department of one person nobody else ever could: the step goes through, and the history says
the principle was waived and why.
`check`: an expression that must hold once the form is filled, else `checkMessage` is the
refusal. `requiresDocument`: an attachment slot the request must hold a file in (or a field
of that name the official fills). `lateWhen`: an expression that, when true, lets the step
complete but marks it late, with `lateMessage` in the request's history and on its page."""

from __future__ import annotations

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit
from engine.models import Document, Membership, TaskRecord, TaskState, User
from engine.platform.errors import Forbidden, Invalid
from engine.workflow import runtime
from engine.workflow.catalog import Procedure
from engine.workflow.spifftasks import task_properties

PROPERTY = "fourEyes"
LATE = "step_late"


def checked_step(task: Task) -> str | None:
    """Return the BPMN id of the earlier task this one checks, if it asks for four eyes."""
    value = task_properties(task).get(PROPERTY)
    return value.strip() if value and value.strip() else None


def ensure_other_person(session: Session, row: TaskRecord, task: Task, actor: User) -> None:
    """Refuse the completion if the actor completed the step this task checks."""
    earlier = checked_step(task)
    if earlier is None:
        return
    done = session.execute(
        select(TaskRecord.completed_by_id, TaskRecord.name)
        .where(
            TaskRecord.request_id == row.request_id,
            TaskRecord.bpmn_id == earlier,
            TaskRecord.state == TaskState.COMPLETED,
        )
        .order_by(TaskRecord.completed_at.desc(), TaskRecord.created_at.desc())
        .limit(1)
    ).first()
    if done is not None and done.completed_by_id == actor.id:
        if _alone(session, row.department):
            audit.record(
                session,
                "four_eyes_waived",
                actor_id=actor.id,
                request_id=row.request_id,
                task=row.id,
                name=row.name,
                department=row.department,
                reason=(
                    f"Compartimentul are o singură persoană activă: pasul „{done.name}” și "
                    f"„{row.name}” au fost finalizate de aceeași persoană, iar a doua verificare "
                    "rămâne la pașii următori."
                ),
            )
            return
        raise Forbidden(
            f"Principiul celor patru ochi: ați finalizat chiar dumneavoastră pasul "
            f"„{done.name}”, pe care „{row.name}” îl verifică. Acest pas trebuie finalizat "
            "de un alt funcționar.",
            code="four_eyes",
        )


def _alone(session: Session, department: str) -> bool:
    """Whether the department has one active person at most: nobody else could ever do it."""
    people = session.scalar(
        select(func.count())
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.department_code == department, User.active.is_(True))
    )
    return (people or 0) <= 1


def ensure_rules(
    session: Session,
    workflow: BpmnWorkflow,
    row: TaskRecord,
    task: Task,
    procedure: Procedure | None,
) -> str | None:
    """Refuse a completion that breaks the step's `check` or `requiresDocument` (422, nothing
    saved); return the `lateMessage` when its `lateWhen` holds (the step is then late)."""
    props = task_properties(task)
    errors: list[dict[str, str]] = []
    if runtime.step_rule(workflow, task, "check") is False:
        field = (props.get("checkField") or "").strip()
        errors.append(
            {
                "field": f"/{field}" if field else "",
                "message": props.get("checkMessage")
                or f"Pasul „{row.name}” nu se poate finaliza cu aceste date.",
            }
        )
    slot = (props.get("requiresDocument") or "").strip()
    if slot and not _has_document(session, row.request_id, slot, task):
        specs = procedure.attachments if procedure else ()
        spec = next((a for a in specs if a.name == slot), None)
        title = spec.title if spec else slot
        errors.append(
            {
                "field": f"/{slot}",
                "message": props.get("requiresDocumentMessage")
                or f"Pasul „{row.name}” nu se poate finaliza fără documentul „{title}”.",
            }
        )
    if errors:
        raise Invalid(errors, errors[0]["message"])
    if runtime.step_rule(workflow, task, "lateWhen"):
        return props.get("lateMessage") or f"Pasul „{row.name}” a fost finalizat după termen."
    return None


def _has_document(session: Session, request_id: int, slot: str, task: Task) -> bool:
    recorded = task.data.get(slot)
    if isinstance(recorded, str) and recorded.strip():
        return True  # the office recorded it (a receipt's number) in the step's own form
    count = session.scalar(
        select(func.count())
        .select_from(Document)
        .where(Document.request_id == request_id, Document.field == slot)
    )
    return bool(count)


def record_late(session: Session, row: TaskRecord, actor: User, message: str) -> None:
    """Put a late step in the request's history, with the legal reason."""
    audit.record(
        session,
        LATE,
        actor_id=actor.id,
        request_id=row.request_id,
        task=row.id,
        name=row.name,
        department=row.department,
        reason=message,
    )
