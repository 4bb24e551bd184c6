"""Reading SpiffWorkflow tasks: their properties, department, timers, and finding them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState as SpiffState

APPLICANT_LANE = "solicitant"  # the lane of the applicant's own tasks
UNASSIGNED = "nealocat"  # a task whose `{variable}` lane has no value yet
# The lane the diagrams give the registry. Its department is the one CIRCUIT_REGISTRY_DEPARTMENT
# names (`registratura` unless changed), so diagrams need no edit when a city hall renames it.
REGISTRY_LANE = "registratura"


def task_properties(task: Task) -> dict[str, str]:
    """Return the spiffworkflow:properties of a task's spec."""
    extensions = getattr(task.task_spec, "extensions", None) or {}
    props: dict[str, str] = extensions.get("properties", {}) or {}
    return props


def department_code(code: str | None, registry: str) -> str | None:
    """Return the department a lane or property names: the registry lane is `registry`."""
    return registry if code == REGISTRY_LANE else code


def task_department(task: Task, registry: str) -> str | None:
    """Return a task's department: its `department` property, else its lane (`{var}` resolved);
    the registry's lane is the registry department `registry` (the setting)."""
    code = task_properties(task).get("department") or task.task_spec.lane
    if code and code.startswith("{") and code.endswith("}"):
        value = task.data.get(code[1:-1].strip())
        return department_code(str(value), registry) if value else None
    return department_code(code, registry)


def attached_activity(task: Task) -> Task | None:
    """Return the activity a boundary event task is attached to (None for other events)."""
    if not isinstance(task.task_spec, BoundaryEvent) or task.parent is None:
        return None
    for sibling in task.parent.children:
        if not isinstance(sibling.task_spec, BoundaryEvent):
            return sibling
    return None


def all_tasks(workflow: BpmnWorkflow, **filters: Any) -> list[Task]:
    """Return the tasks of the workflow and of its subprocesses that match the filters."""
    tasks = workflow.get_tasks(**filters)  # descends into running subprocesses already
    seen = {t.id for t in tasks}
    for sub in workflow.subprocesses.values():
        for task in sub.get_tasks(**filters):
            if task.id not in seen:
                seen.add(task.id)
                tasks.append(task)
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


def timer_due(task: Task) -> datetime | None:
    """Return the absolute instant a timer task waits for, once it has been reached."""
    value = task._get_internal_data("event_value")
    if value is None:
        return None
    parsed = TimerEventDefinition.parse_time_or_duration(str(value))
    return parsed if isinstance(parsed, datetime) else None


def timer_tasks(workflow: BpmnWorkflow) -> list[Task]:
    """Return the timer event tasks that are waiting or have fired."""
    return [
        t
        for t in all_tasks(workflow, state=SpiffState.WAITING | SpiffState.COMPLETED)
        if isinstance(getattr(t.task_spec, "event_definition", None), TimerEventDefinition)
    ]
