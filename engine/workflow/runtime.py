"""The runtime: create a workflow, lock and load an instance, advance it, save it."""

from __future__ import annotations

import logging
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import partial
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import ColumnElement, event, orm, select
from sqlalchemy.orm import Session

from engine.deadlines import bridge_days
from engine.deadlines.legal_calendar import LegalCalendar
from engine.models import Instance, Request, TaskRecord
from engine.platform import metrics, timeutil
from engine.platform.errors import CircuitError, ProcessFailure
from engine.platform.timeutil import as_aware, utcnow
from engine.workflow import definitions, loops, spifftasks, taskindex
from engine.workflow import expressions as scripting
from engine.workflow.expressions import make_script_engine
from engine.workflow.functions import use_calendar
from engine.workflow.taskindex import DiagramMessage, Snapshot

log = logging.getLogger(__name__)
SCRIPT_ENGINE = make_script_engine()
# The bound on loops and multi-instance tasks of each workflow's version (catalog entry).
_bounds: weakref.WeakKeyDictionary[BpmnWorkflow, int] = weakref.WeakKeyDictionary()
# The most tasks one engine step may run, however it loops (gateways, loops, instances).
MAX_STEP_TASKS = 2_000
# SpiffWorkflow no longer sees tasks deeper than 1,000 in its tree (each turn of a loop goes
# deeper): past that a looping process would look finished. It is stopped before.
MAX_TASK_DEPTH = 900
# Where a session's legal calendar comes from: the running Circuit's `calendar` (its bridge
# days cached for a while), or by default the bridge days read from the session.
CalendarSource = Callable[[Session], LegalCalendar]
# The calendar each workflow's scripts read, from the session it was loaded in.
_calendars: weakref.WeakKeyDictionary[BpmnWorkflow, Callable[[], LegalCalendar]] = (
    weakref.WeakKeyDictionary()
)


class _EngineClock(datetime):
    """What SpiffWorkflow's timers call `datetime`: the same, but `now()` is the engine's
    clock (engine.platform.timeutil), so a timer is due when Circuit says it is."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _EngineClock:
        instant = timeutil.now()
        if tz is None:  # naive local time, as datetime.now() gives
            moved = instant.astimezone().replace(tzinfo=None)
        else:
            moved = instant.astimezone(tz)
        return cls.combine(moved.date(), moved.time(), moved.tzinfo)


spiff_timer.datetime = _EngineClock


def _use_session(
    workflow: BpmnWorkflow, session: Session | None, calendar: CalendarSource | None
) -> None:
    if session is not None:
        _calendars[workflow] = partial(calendar or bridge_days.calendar, session)


def new_workflow(
    parsed: definitions.ParsedDefinition,
    data: dict[str, Any],
    session: Session | None = None,
    calendar: CalendarSource | None = None,
) -> BpmnWorkflow:
    """Create a workflow on a version's specs with the initial data, run to its wait states."""
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=SCRIPT_ENGINE)
    _use_session(workflow, session, calendar)
    _bounds[workflow] = parsed.max_instances
    for task in workflow.get_tasks(state=SpiffState.READY):
        task.data.update(data)
    run_engine_steps(workflow)
    return workflow


def _step_calendar(workflow: BpmnWorkflow) -> LegalCalendar:
    """Return the legal calendar of the workflow's session, with its bridge days."""
    provider = _calendars.get(workflow)
    return provider() if provider is not None else LegalCalendar()


def run_engine_steps(
    workflow: BpmnWorkflow, task: Task | None = None, *, refresh_timers: bool = False
) -> None:
    """Run `task` (a completed user task), due timers if asked, and the engine steps after.

    The whole step has scripting.STEP_SECONDS and runs at most MAX_STEP_TASKS tasks; loops
    and multi-instance tasks are bounded by the version's `max_instances` (engine.workflow.loops);
    scripts see the legal calendar."""
    running: list[Task] = [task] if task is not None else []
    ran = [0]

    def started(next_task: Task) -> None:
        running[:] = [next_task]
        _check_step(next_task)

    def finished(done: Task) -> None:
        ran[0] += 1
        if ran[0] > MAX_STEP_TASKS or done.depth > MAX_TASK_DEPTH:
            raise WorkflowTaskException(  # a cycle through gateways, however fast each turn
                "Pasul a rulat prea multe sarcini sau a trecut de prea multe ori prin aceeași "
                "buclă a diagramei și a fost oprit.",
                task=done,
            )
        _check_step(done)

    try:
        with (
            metrics.engine_step() as count_tasks,
            scripting.time_limit(),
            loops.max_instances(_bounds.get(workflow)),
            use_calendar(partial(_step_calendar, workflow)),
        ):
            if refresh_timers:
                workflow.refresh_timers()
            if task is not None:
                task.run()
            workflow.do_engine_steps(will_complete_task=started, did_complete_task=finished)
            count_tasks(ran[0])
    except CircuitError:
        raise
    except Exception as exc:
        log.exception("workflow step failed")
        spec = getattr(exc, "task_spec", None) or (running[0].task_spec if running else None)
        failure = ProcessFailure(
            "Procedura nu a putut continua din cauza unei erori în diagrama ei. "
            "Nu s-a salvat nimic; administratorul trebuie să corecteze diagrama.",
            element=getattr(spec, "bpmn_id", None),
        )
        failure.technical = _technical(exc)
        raise failure from exc


def _technical(exc: BaseException) -> str:
    """The exception's type and message, one line, bounded: what an administrator reads."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text[:1000]


def _check_step(task: Task) -> None:
    """Stop the step once its time is up, between any two tasks the engine runs."""
    try:
        scripting.check_time()
    except scripting.StepTimeout as exc:  # a loop with no expression to stop it
        raise WorkflowTaskException(str(exc), task=task, exception=exc) from exc


class NoSuchInstance(LookupError):
    """The instance to lock does not exist (or the timer that names it)."""


@dataclass
class LoadedInstance:
    """An instance row locked for this transaction, with its workflow restored."""

    row: Instance
    workflow: BpmnWorkflow
    before: Snapshot
    # The instance's request, read by the lock's statement (held here: the session keeps
    # objects weakly, and reading it again would be another statement).
    request: Request | None = None


def lock(session: Session, instance_id: int | ColumnElement[int]) -> Instance:
    """Lock the instance row until commit (FOR UPDATE; SQLite holds the write lock anyway).

    Its request is read in the same statement, after the lock, so what was read of it
    before is brought up to date. `instance_id` may be a scalar subquery (the instance of a
    timer), so that finding and locking the instance is one statement."""
    return _lock(session, instance_id)[0]


def _lock(session: Session, instance_id: int | ColumnElement[int]) -> tuple[Instance, Request]:
    found = session.execute(
        select(Instance, Request)
        .join(Request, Request.id == Instance.request_id)
        .where(Instance.id == instance_id)
        .with_for_update(of=Instance)
        .options(orm.defer(Request.data))  # the form data is not needed to advance
        .execution_options(populate_existing=True)
    ).first()
    if found is None:
        raise NoSuchInstance(f"instance {instance_id} does not exist")
    return found[0], found[1]


# The workflows this process saved last, by instance: the next step on the same instance
# takes its workflow from here instead of deserialising the state, when the revision and
# time read under the instance's lock are those it was saved with (no other process or
# transaction has written it since). An entry is taken out while in use and put back only
# once the transaction that saved it commits, so a rolled-back step leaves nothing behind.
SAVED_WORKFLOWS = 256
_saved: OrderedDict[tuple[str, int], tuple[int, datetime, BpmnWorkflow]] = OrderedDict()
_saved_lock = threading.Lock()


def _saved_key(session: Session, instance_id: int) -> tuple[str, int]:
    return (str(session.get_bind().engine.url), instance_id)  # ids are per database


def _take_saved(session: Session, row: Instance) -> BpmnWorkflow | None:
    with _saved_lock:
        hit = _saved.pop(_saved_key(session, row.id), None)
    if hit is None or hit[0] != row.revision or hit[1] != as_aware(row.updated_at):
        return None
    return hit[2]


def remember(session: Session, row: Instance, workflow: BpmnWorkflow) -> None:
    """Keep this workflow as the instance's, as saved, once the session commits."""
    entry = (row.revision, as_aware(row.updated_at), workflow)
    session.info.setdefault("saved_workflows", {})[_saved_key(session, row.id)] = entry


@event.listens_for(Session, "after_commit")
def _keep_saved(session: Session) -> None:
    saved = session.info.pop("saved_workflows", None)
    if not saved:
        return
    with _saved_lock:
        for key, entry in saved.items():
            _saved[key] = entry
            _saved.move_to_end(key)
        while len(_saved) > SAVED_WORKFLOWS:
            _saved.popitem(last=False)


@event.listens_for(Session, "after_rollback")
def _drop_saved(session: Session) -> None:
    session.info.pop("saved_workflows", None)


def load(
    session: Session, instance_id: int | ColumnElement[int], calendar: CalendarSource | None = None
) -> LoadedInstance:
    """Lock an instance and restore its workflow (its scripts read `calendar(session)`)."""
    row, request = _lock(session, instance_id)
    parsed = definitions.definition(session, row.process_version_id)
    workflow = _take_saved(session, row) or definitions.load_workflow(row.state, parsed)
    workflow.script_engine = SCRIPT_ENGINE
    _use_session(workflow, session, calendar)
    _bounds[workflow] = parsed.max_instances
    return LoadedInstance(row, workflow, taskindex.snapshot(workflow), request)


def save(session: Session, loaded: LoadedInstance) -> None:
    """Write the workflow back and bump the revision."""
    loaded.row.state = definitions.dump_workflow(loaded.workflow)
    loaded.row.revision += 1
    loaded.row.completed = loaded.workflow.is_completed()
    loaded.row.updated_at = utcnow()
    remember(session, loaded.row, loaded.workflow)


def advance(
    session: Session,
    loaded: LoadedInstance,
    request: Request,
    *,
    task: Task | None = None,
    actor_id: int | None = None,
    completed_row: TaskRecord | None = None,
    answer_field: str | None = None,
    refresh_timers: bool = False,
    registry: str,
) -> list[DiagramMessage]:
    """Advance a locked instance (a completed task, or due timers), save it, update the index.

    Completing a task and firing a timer both come through here. Return the messages the
    diagram asks to send, for the caller to post (the workflow knows no message)."""
    run_engine_steps(loaded.workflow, task, refresh_timers=refresh_timers)
    save(session, loaded)
    return taskindex.sync(
        session,
        request,
        loaded.row,
        loaded.workflow,
        before=loaded.before,
        actor_id=actor_id,
        completed_row=completed_row,
        answer_field=answer_field,
        registry=registry,
    )


def step_rule(workflow: BpmnWorkflow, task: Task, name: str) -> bool | None:
    """Evaluate a user task's rule property (`check`, `lateWhen`) on its data, as completed.

    None when the task has no such rule; the expression sees the legal calendar like scripts."""
    text = spifftasks.task_properties(task).get(name)
    if not text or not text.strip():
        return None
    try:
        with scripting.time_limit(), use_calendar(partial(_step_calendar, workflow)):
            return bool(scripting.evaluate(text, dict(task.data)))
    except Exception as exc:
        log.exception("rule %s failed", name)
        failure = ProcessFailure(
            f"Regula „{name}” a pasului nu a putut fi evaluată. Nu s-a salvat nimic; "
            "administratorul trebuie să corecteze diagrama.",
            element=task.task_spec.bpmn_id,
        )
        failure.technical = _technical(exc)
        raise failure from exc
