"""Workflow instances: create, load under a lock, save, and mirror into indexed tables."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import orm, select, update
from sqlalchemy.orm import Session

from engine import audit, definitions
from engine.errors import ProcessFailure
from engine.models import (
    Instance,
    Notification,
    Request,
    RequestStatus,
    TaskRecord,
    TaskState,
    Timer,
    TimerStatus,
)
from engine.queue import defer
from engine.scripting import make_script_engine
from engine.timeutil import utcnow

log = logging.getLogger(__name__)
SCRIPT_ENGINE = make_script_engine()
APPLICANT_LANE = "solicitant"


def task_properties(task: Task) -> dict[str, str]:
    """Return the spiffworkflow:properties of a task's spec."""
    extensions = getattr(task.task_spec, "extensions", None) or {}
    props: dict[str, str] = extensions.get("properties", {}) or {}
    return props


def task_department(task: Task) -> str | None:
    """Return the department code of a task: its lane, or `{var}` resolved from task data."""
    lane = task.task_spec.lane
    if lane and lane.startswith("{") and lane.endswith("}"):
        value = task.data.get(lane[1:-1].strip())
        return str(value) if value else None
    return lane


def _all_tasks(workflow: BpmnWorkflow, **filters: Any) -> list[Task]:
    tasks = workflow.get_tasks(**filters)
    for sub in workflow.subprocesses.values():
        tasks.extend(sub.get_tasks(**filters))
    return tasks


def find_task(workflow: BpmnWorkflow, task_id: str) -> Task | None:
    """Return the task with this id anywhere in the workflow, or None."""
    try:
        uuid = UUID(task_id)
    except ValueError:
        return None
    task = workflow.tasks.get(uuid)
    if task is None:
        for sub in workflow.subprocesses.values():
            task = sub.tasks.get(uuid)
            if task is not None:
                break
    return task


def new_workflow(parsed: definitions.ParsedDefinition, data: dict[str, Any]) -> BpmnWorkflow:
    """Create a workflow on a version's specs with the initial data, run to its wait states."""
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=SCRIPT_ENGINE)
    for task in workflow.get_tasks(state=SpiffState.READY):
        task.data.update(data)
    advance(workflow)
    return workflow


def advance(workflow: BpmnWorkflow, task: Task | None = None) -> None:
    """Run `task` (a completed user task) and the engine steps after it."""
    try:
        if task is not None:
            task.run()
        workflow.do_engine_steps()
    except SpiffWorkflowException as exc:
        log.exception("workflow step failed")
        raise ProcessFailure(
            "Procedura nu a putut continua din cauza unei erori în diagrama ei. "
            "Nu s-a salvat nimic; administratorul trebuie să corecteze diagrama.",
            element=getattr(getattr(exc, "task_spec", None), "bpmn_id", None),
        ) from exc


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
            str(t.id) for t in _all_tasks(workflow, state=SpiffState.READY, manual=True)
        ),
        waiting_timers=frozenset(
            str(t.id) for t in _timer_tasks(workflow) if t.has_state(SpiffState.WAITING)
        ),
        at=time.time(),
    )


@dataclass
class LoadedInstance:
    """An instance row locked for this transaction, with its workflow restored."""

    row: Instance
    workflow: BpmnWorkflow
    before: Snapshot


def lock(session: Session, instance_id: int) -> Instance:
    """Lock the instance row until commit (FOR UPDATE; SQLite holds the write lock anyway).

    Its request is read in the same statement, after the lock, so what was read of it
    before is brought up to date."""
    found = session.execute(
        select(Instance, Request)
        .join(Request, Request.id == Instance.request_id)
        .where(Instance.id == instance_id)
        .with_for_update(of=Instance)
        .options(orm.defer(Request.data))  # the form data is not needed to advance
        .execution_options(populate_existing=True)
    ).first()
    if found is None:
        raise LookupError(f"instance {instance_id} does not exist")
    return found[0]


def load(session: Session, instance_id: int) -> LoadedInstance:
    """Lock an instance and restore its workflow."""
    row = lock(session, instance_id)
    parsed = definitions.definition(session, row.process_version_id)
    workflow = definitions.load_workflow(row.state, parsed)
    workflow.script_engine = SCRIPT_ENGINE
    return LoadedInstance(row, workflow, snapshot(workflow))


def save(session: Session, loaded: LoadedInstance) -> None:
    """Write the workflow back and bump the revision."""
    loaded.row.state = definitions.dump_workflow(loaded.workflow)
    loaded.row.revision += 1
    loaded.row.completed = loaded.workflow.is_completed()
    loaded.row.updated_at = utcnow()


def _timer_due(task: Task) -> datetime | None:
    value = task._get_internal_data("event_value")
    if value is None:
        return None
    parsed = TimerEventDefinition.parse_time_or_duration(str(value))
    return parsed if isinstance(parsed, datetime) else None


def _instructions(task: Task, props: dict[str, str]) -> str | None:
    variable = props.get("messageVariable")
    value = task.data.get(variable) if variable else None
    return str(value) if value else None


def _final_status(workflow: BpmnWorkflow) -> RequestStatus:
    """Read the requestStatus property of the end event the workflow reached."""
    for task in _all_tasks(workflow, state=SpiffState.COMPLETED):
        status = task_properties(task).get("requestStatus")
        if status and isinstance(task.task_spec, EndEvent):
            return RequestStatus(status)
    return RequestStatus.COMPLETED


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
) -> None:
    """Mirror the workflow into the task index, the timer table and the request's status.

    `before` says what the index held when the workflow was loaded (it changes only in
    the same locked transaction), so nothing needs to be read back from the index."""
    with session.no_autoflush:  # the writes go out in one flush at commit
        now = now or utcnow()
        progressed = _sync_tasks(
            session, request, instance, workflow, before, actor_id, completed_row, now
        )
        _sync_timers(session, request, instance, workflow, before, now)
        _sync_status(request, workflow, progressed, answer_field, now)


def _sync_tasks(
    session: Session,
    request: Request,
    instance: Instance,
    workflow: BpmnWorkflow,
    before: Snapshot,
    actor_id: int | None,
    completed_row: TaskRecord | None,
    now: datetime,
) -> bool:
    ready = _all_tasks(workflow, state=SpiffState.READY, manual=True)
    ready_ids = {str(t.id) for t in ready}
    for task in ready:
        task_id = str(task.id)
        if task_id in before.ready:
            continue
        props = task_properties(task)
        department = task_department(task) or "nealocat"
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


def _sync_status(
    request: Request,
    workflow: BpmnWorkflow,
    progressed: bool,
    answer_field: str | None,
    now: datetime,
) -> None:
    before = request.status
    if workflow.is_completed():
        request.status = _final_status(workflow)
        request.closed_at = now
        if answer_field:
            answer = workflow.data.get(answer_field)
            if answer is None:
                answer = _last_value(workflow, answer_field)
            if answer is not None and request.status == RequestStatus.COMPLETED:
                request.answer = str(answer)
    elif any(
        task_department(t) == APPLICANT_LANE
        for t in _all_tasks(workflow, state=SpiffState.READY, manual=True)
    ):
        request.status = RequestStatus.WAITING_FOR_CITIZEN
    elif progressed or request.status != RequestStatus.REGISTERED:
        request.status = RequestStatus.IN_PROGRESS
    if request.status != before:
        request.updated_at = now  # when the status last changed


def _last_value(workflow: BpmnWorkflow, field: str) -> Any:
    latest = None
    for task in _all_tasks(workflow, state=SpiffState.COMPLETED):
        if field in task.data and (
            latest is None or task.last_state_change > latest.last_state_change
        ):
            latest = task
    return latest.data.get(field) if latest is not None else None


def _timer_tasks(workflow: BpmnWorkflow) -> list[Task]:
    return [
        t
        for t in _all_tasks(workflow, state=SpiffState.WAITING | SpiffState.COMPLETED)
        if isinstance(getattr(t.task_spec, "event_definition", None), TimerEventDefinition)
    ]


def _sync_timers(
    session: Session,
    request: Request,
    instance: Instance,
    workflow: BpmnWorkflow,
    before: Snapshot,
    now: datetime,
) -> None:
    for task in _timer_tasks(workflow):
        task_id = str(task.id)
        waiting = task.has_state(SpiffState.WAITING)
        if task_id in before.waiting_timers:
            if not waiting:  # fired in this step
                session.execute(
                    update(Timer)
                    .where(Timer.task_id == task_id)
                    .values(status=TimerStatus.FIRED, fired_at=now)
                )
                on_timer_fired(session, request, task, now)
            continue
        if not waiting and task.last_state_change < before.at:
            continue  # fired in an earlier step: its row says so already
        due = _timer_due(task)
        if due is None:
            continue
        session.add(
            Timer(
                request_id=request.id,
                instance_id=instance.id,
                task_id=task_id,
                bpmn_id=task.task_spec.bpmn_id or task.task_spec.name,
                name=task.task_spec.bpmn_name or "Temporizator",
                department=task_department(task),
                due_at=due,
                status=TimerStatus.WAITING if waiting else TimerStatus.FIRED,
                fired_at=None if waiting else now,
                created_at=now,
            )
        )
        if waiting:
            defer(session, "fire_timer", task_id, at=due, job_id=f"timer-{task_id}")
        else:  # already due when reached: fired in the same step
            on_timer_fired(session, request, task, now)
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


def on_timer_fired(session: Session, request: Request, task: Task, now: datetime) -> None:
    """Tell the department once that a deadline is near (idempotent)."""
    department = task_department(task)
    due = _timer_due(task)
    audit.record(
        session,
        "timer_fired",
        request_id=request.id,
        timer=str(task.id),
        name=task.task_spec.bpmn_name or "Temporizator",
        due_at=due.isoformat() if due else None,
    )
    exists = session.scalar(
        select(Notification.id).where(
            Notification.request_id == request.id,
            Notification.kind == "reminder",
            Notification.department == department,
        )
    )
    pending = any(
        isinstance(n, Notification)
        and (n.request_id, n.kind, n.department) == (request.id, "reminder", department)
        for n in session.new
    )
    if exists is not None or pending:
        return
    message = (
        f"Reamintire: cererea nr. {request.registration_display} ({request.summary}) "
        f"are termen legal de răspuns {request.due_date:%d.%m.%Y}."
    )
    note = Notification(
        department=department,
        request_id=request.id,
        kind="reminder",
        message=message,
        created_at=utcnow(),
    )
    session.add(note)
    session.flush()
    defer(session, "send_notification", note.id, job_id=f"notification-{note.id}")
