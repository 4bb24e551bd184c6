"""Four eyes: a task with the `fourEyes` property may not be completed by whoever did the step
it checks (the latest completion of the task whose BPMN id the property names)."""

from __future__ import annotations

from SpiffWorkflow.task import Task
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import TaskRecord, TaskState, User
from engine.platform.errors import Forbidden
from engine.workflow.spifftasks import task_properties

PROPERTY = "fourEyes"


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
        raise Forbidden(
            f"Principiul celor patru ochi: ați finalizat chiar dumneavoastră pasul "
            f"„{done.name}”, pe care „{row.name}” îl verifică. Acest pas trebuie finalizat "
            "de un alt funcționar.",
            code="four_eyes",
        )
