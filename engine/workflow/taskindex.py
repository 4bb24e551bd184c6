"""The task index: READY user tasks, timers and the request's status, mirrored from a workflow."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import update
from sqlalchemy.orm import Session

from engine import audit
from engine.models import (
    Instance,
    Request,
    RequestStatus,
    TaskRecord,
    TaskState,
    Timer,
    TimerStatus,
)
from engine.platform.dispatch import defer
from engine.platform.timeutil import utcnow
from engine.workflow.spifftasks import (
    APPLICANT_LANE,
    UNASSIGNED,
    all_tasks,
    attached_activity,
    find_task,
    task_department,
    task_properties,
    timer_due,
    timer_tasks,
)


@dataclass(frozen=True)
class DiagramMessage:
    """A message a diagram asks for (`notifyApplicant`, `timerMessage`), for cases/ to post.

    `template` has the designer's `{name}` placeholders, filled from `data` and the request;
    `recipients` is None for the applicant alone, else the timer's comma-separated list."""

    kind: str
    template: str
    data: dict[str, Any]
    recipients: str | None = None
    department: str | None = None


@dataclass(frozen=True)
class Snapshot:
    """What the index mirrors of a workflow: its READY user tasks and WAITING timers."""

    ready: frozenset[str] = frozenset()
    waiting_timers: frozenset[str] = frozenset()
    at: float = 0.0  # time.time() when taken; tasks changed after it changed in this step


def snapshot(workflow: BpmnWorkflow) -> Snapshot:
    """Note what the index holds for this workflow, before advancing it."""
    return Snapshot(
        ready=frozenset(
            str(t.id) for t in all_tasks(workflow, state=SpiffState.READY, manual=True)
        ),
        waiting_timers=frozenset(
            str(t.id) for t in timer_tasks(workflow) if t.has_state(SpiffState.WAITING)
        ),
        at=time.time(),
    )


def _instructions(task: Task, props: dict[str, str]) -> str | None:
    variable = props.get("messageVariable")
    value = task.data.get(variable) if variable else None
    return str(value) if value else None


def _answer_by(task: Task, props: dict[str, str]) -> date | None:
    """Read the day a task is due by from the variable its `dueDateVariable` names."""
    variable = props.get("dueDateVariable")
    value = task.data.get(variable) if variable else None
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


_PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)\}")


def _fill(template: str, data: dict[str, Any]) -> str:
    """Put plain text values into a property's `{name}` placeholders; others stay visible."""

    def value(match: re.Match[str]) -> str:
        found = data.get(match.group(1))
        return str(found) if isinstance(found, str | int | float) else match.group(0)

    return _PLACEHOLDER.sub(value, template)[:300]


def _final_end(workflow: BpmnWorkflow) -> Task | None:
    """Return the end event with a requestStatus that the workflow reached, if any."""
    for task in all_tasks(workflow, state=SpiffState.COMPLETED):
        status = task_properties(task).get("requestStatus")
        if status and isinstance(task.task_spec, EndEvent):
            return task
    return None


def _final_status(workflow: BpmnWorkflow) -> RequestStatus:
    """Read the requestStatus property of the end event the workflow reached."""
    end = _final_end(workflow)
    return RequestStatus(task_properties(end)["requestStatus"]) if end else RequestStatus.COMPLETED


def sync(
    session: Session,
    request: Request,
    instance: Instance,
    workflow: BpmnWorkflow,
    *,
    before: Snapshot,
    actor_id: int | None,
    completed_row: TaskRecord | None = None,
    answer_field: str | None = None,
    now: datetime | None = None,
    registry: str,
) -> list[DiagramMessage]:
    """Mirror the workflow into the task index, the timer table and the request's status.

    `before` says what the index held when the workflow was loaded (it changes only in
    the same locked transaction), so nothing needs to be read back from the index.
    Return the messages the diagram asks for (timerMessage, notifyApplicant), in order."""
    said: list[DiagramMessage] = []
    with session.no_autoflush:  # the writes go out in one flush at commit
        now = now or utcnow()
        progressed = _sync_tasks(
            session, request, instance, workflow, before, actor_id, completed_row, now, registry
        )
        _sync_timers(session, request, instance, workflow, before, now, said, registry)
        _sync_status(request, workflow, progressed, answer_field, now, registry)
        said += _applicant_messages(workflow, before)
    return said


def _applicant_messages(workflow: BpmnWorkflow, before: Snapshot) -> list[DiagramMessage]:
    """Return the `notifyApplicant` texts of user tasks that became ready and end events reached."""
    reached = [
        t
        for t in all_tasks(workflow, state=SpiffState.READY, manual=True)
        if str(t.id) not in before.ready
    ]
    reached += [
        t
        for t in all_tasks(workflow, state=SpiffState.COMPLETED)
        if isinstance(t.task_spec, EndEvent) and t.last_state_change >= before.at
    ]
    said = []
    for task in reached:
        template = task_properties(task).get("notifyApplicant")
        if template:
            said.append(DiagramMessage("message", template, dict(task.data)))
    return said


def _sync_tasks(
    session: Session,
    request: Request,
    instance: Instance,
    workflow: BpmnWorkflow,
    before: Snapshot,
    actor_id: int | None,
    completed_row: TaskRecord | None,
    now: datetime,
    registry: str,
) -> bool:
    ready = all_tasks(workflow, state=SpiffState.READY, manual=True)
    ready_ids = {str(t.id) for t in ready}
    for task in ready:
        task_id = str(task.id)
        if task_id in before.ready:
            continue
        props = task_properties(task)
        department = task_department(task, registry) or UNASSIGNED
        name = task.task_spec.bpmn_name or task.task_spec.name
        session.add(
            TaskRecord(
                id=task_id,
                request_id=request.id,
                instance_id=instance.id,
                bpmn_id=task.task_spec.bpmn_id or task.task_spec.name,
                name=name,
                department=department,
                role=props.get("role"),
                form=props.get("formJsonSchemaFilename"),
                instructions=_instructions(task, props),
                state=TaskState.READY,
                due_date=request.due_date,
                answer_by=_answer_by(task, props),
                request_created_at=request.created_at,
                created_at=now,
            )
        )
        audit.record(
            session,
            "task_ready",
            request_id=request.id,
            task=task_id,
            name=name,
            department=department,
        )
    progressed = False
    for task_id in before.ready - ready_ids:
        spiff_task = find_task(workflow, task_id)
        finished = spiff_task is not None and spiff_task.has_state(SpiffState.COMPLETED)
        progressed |= finished
        if finished and spiff_task is not None:
            _record_signature(session, request, spiff_task, actor_id, registry)
        values: dict[str, Any] = {
            "state": TaskState.COMPLETED if finished else TaskState.CANCELLED,
            "completed_at": now,
            "completed_by_id": actor_id if finished else None,
        }
        if completed_row is not None and completed_row.id == task_id:
            for key, value in values.items():
                setattr(completed_row, key, value)
        else:
            session.execute(update(TaskRecord).where(TaskRecord.id == task_id).values(**values))
    return progressed


def _record_signature(
    session: Session, request: Request, task: Task, actor_id: int | None, registry: str
) -> None:
    """Note who signed the answer in a step with a `signature` property, and as what."""
    role = task_properties(task).get("signature")
    if not role or not role.strip():
        return
    audit.record(
        session,
        "answer_signed",
        actor_id=actor_id,
        request_id=request.id,
        task=str(task.id),
        step=task.task_spec.bpmn_id or task.task_spec.name,
        name=task.task_spec.bpmn_name or task.task_spec.name,
        role=_fill(role.strip(), dict(task.data)),
        department=task_department(task, registry),
    )


def _sync_status(
    request: Request,
    workflow: BpmnWorkflow,
    progressed: bool,
    answer_field: str | None,
    now: datetime,
    registry: str,
) -> None:
    before = request.status
    if workflow.is_completed():
        request.status = _final_status(workflow)
        request.closed_at = now
        end = _final_end(workflow)
        variable = task_properties(end).get("answerVariable") if end else None
        if end is not None and variable and end.data.get(variable):
            request.answer = str(end.data[variable])  # the reason, whatever the status
        elif answer_field:
            answer = workflow.data.get(answer_field)
            if answer is None:
                answer = _last_value(workflow, answer_field)
            if answer is not None and request.status == RequestStatus.COMPLETED:
                request.answer = str(answer)
    elif any(
        task_department(t, registry) == APPLICANT_LANE
        for t in all_tasks(workflow, state=SpiffState.READY, manual=True)
    ):
        request.status = RequestStatus.WAITING_FOR_CITIZEN
    elif progressed or request.status != RequestStatus.REGISTERED:
        request.status = RequestStatus.IN_PROGRESS
    if request.status != before:
        request.updated_at = now  # when the status last changed


def _last_value(workflow: BpmnWorkflow, field: str) -> Any:
    latest = None
    for task in all_tasks(workflow, state=SpiffState.COMPLETED):
        if field in task.data and (
            latest is None or task.last_state_change > latest.last_state_change
        ):
            latest = task
    return latest.data.get(field) if latest is not None else None


def _sync_timers(
    session: Session,
    request: Request,
    instance: Instance,
    workflow: BpmnWorkflow,
    before: Snapshot,
    now: datetime,
    said: list[DiagramMessage],
    registry: str,
) -> None:
    for task in timer_tasks(workflow):
        task_id = str(task.id)
        waiting = task.has_state(SpiffState.WAITING)
        if task_id in before.waiting_timers:
            if not waiting:  # fired in this step
                session.execute(
                    update(Timer)
                    .where(Timer.task_id == task_id)
                    .values(status=TimerStatus.FIRED, fired_at=now)
                )
                said.append(on_timer_fired(session, request, task, registry))
            continue
        if not waiting and task.last_state_change < before.at:
            continue  # fired in an earlier step: its row says so already
        due = timer_due(task)
        if due is None:
            continue
        session.add(
            Timer(
                request_id=request.id,
                instance_id=instance.id,
                task_id=task_id,
                bpmn_id=task.task_spec.bpmn_id or task.task_spec.name,
                name=task.task_spec.bpmn_name or "Temporizator",
                department=timer_department(task, registry),
                due_at=due,
                status=TimerStatus.WAITING if waiting else TimerStatus.FIRED,
                fired_at=None if waiting else now,
                created_at=now,
            )
        )
        if waiting:
            defer(session, "fire_timer", task_id, at=due, job_id=f"timer-{task_id}")
        else:  # already due when reached: fired in the same step
            said.append(on_timer_fired(session, request, task, registry))
    # A waiting timer whose task was cancelled (its activity finished first) is done too.
    cancelled = [
        task_id
        for task_id in before.waiting_timers
        if (t := find_task(workflow, task_id)) is None
        or not t.has_state(SpiffState.WAITING | SpiffState.COMPLETED)
    ]
    if cancelled:
        session.execute(
            update(Timer)
            .where(Timer.task_id.in_(cancelled), Timer.status == TimerStatus.WAITING)
            .values(status=TimerStatus.CANCELLED)
        )


def timer_department(task: Task, registry: str) -> str | None:
    """Return the department a timer speaks for: its own `department`, else its activity's."""
    activity = attached_activity(task)
    if "department" in task_properties(task) or activity is None:
        return task_department(task, registry)
    return task_department(activity, registry) or task_department(task, registry)


DEFAULT_TIMER_MESSAGE = (
    "Reamintire: cererea nr. {numar} ({procedura}) are termen legal de răspuns {termen}."
)


def on_timer_fired(session: Session, request: Request, task: Task, registry: str) -> DiagramMessage:
    """Record the timer's firing; return its message for its recipients."""
    props = task_properties(task)
    department = timer_department(task, registry)
    due = timer_due(task)
    audit.record(
        session,
        "timer_fired",
        request_id=request.id,
        timer=str(task.id),
        name=task.task_spec.bpmn_name or "Temporizator",
        due_at=due.isoformat() if due else None,
    )
    return DiagramMessage(
        "reminder",
        props.get("timerMessage") or DEFAULT_TIMER_MESSAGE,
        dict(task.data),
        props.get("timerRecipients") or "department",
        department,
    )
