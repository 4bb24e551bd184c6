"""Moving running requests of a procedure to a newer version of its diagram (SpiffWorkflow's
spec diff and migration), refusing a request whose steps the new version lacks unless the
designer maps them; due dates, timers' dates and form data are kept; each move audited."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.circuit import Circuit
from engine.models import Instance, ProcessVersion, Request, RequestStatus, TaskRecord
from engine.models import TaskState as RecordState
from engine.platform.errors import BadRequest
from engine.workflow import definitions, runtime
from engine.workflow.spifftasks import all_tasks, task_department, task_properties

_REACHED = TaskState.COMPLETED | TaskState.READY | TaskState.WAITING | TaskState.STARTED
_LIVE = TaskState.READY | TaskState.WAITING


@dataclass
class Moved:
    """What happened to one request."""

    request_id: int
    registration: str
    from_version: int
    refused: list[str] = field(default_factory=list)  # why not, step by step

    @property
    def ok(self) -> bool:
        return not self.refused


@dataclass
class MigrationReport:
    procedure: str
    to_version: int
    moved: list[Moved] = field(default_factory=list)


def _numbers(session: Session, procedure: str) -> dict[int, int]:
    ids = session.scalars(
        select(ProcessVersion.id)
        .where(ProcessVersion.procedure == procedure)
        .order_by(ProcessVersion.id)
    ).all()
    return {vid: n for n, vid in enumerate(ids, start=1)}


def _step(task: object) -> str:
    spec = getattr(task, "task_spec", None)
    name = getattr(spec, "bpmn_name", None) or getattr(spec, "name", "")
    return f"„{name}” ({getattr(spec, 'name', '')})"


def _mapped(name: str, mapping: Mapping[str, str]) -> str:
    """Return a step's name in the new version: mapped, or SpiffWorkflow's own steps around a
    mapped activity (`id.BoundaryEventSplit`) renamed with it."""
    if name in mapping:
        return mapping[name]
    prefix, dot, rest = name.partition(".")
    return f"{mapping[prefix]}.{rest}" if dot and prefix in mapping else name


def _move_workflow(
    workflow: Any, new_spec: Any, mapping: Mapping[str, str], number: int, refused: list[str]
) -> None:
    """Align one (sub)workflow on its new spec, naming each reached step the new one lacks."""
    diff = WorkflowDiff(
        workflow, SpecDiff(definitions.SERIALIZER.registry, workflow.spec, new_spec)
    )
    task_specs = new_spec.task_specs
    # Diagram steps first, so that SpiffWorkflow's own steps around them need no message.
    tasks = sorted(workflow.tasks.values(), key=lambda t: not getattr(t.task_spec, "bpmn_id", 0))
    for task in tasks:
        name = _mapped(task.task_spec.name, mapping)
        if name in task_specs:
            diff.alignment[task] = task_specs[name]
            continue
        if not task.has_state(_REACHED):
            diff.alignment.pop(task, None)  # a predicted step: dropped when its branch resets
            continue
        if not getattr(task.task_spec, "bpmn_id", None) and refused:
            continue  # SpiffWorkflow's own step around an activity already named
        where = "așteaptă la pasul" if task.has_state(_LIVE) else "a trecut prin pasul"
        refused.append(
            f"cererea {where} {_step(task)}, care nu există în versiunea {number}; "
            f"indicați pasul corespunzător cu --map {name}=PAS_NOU"
        )
    if refused:
        return
    # Timers keep the date they were set to: a duration would otherwise start again.
    kept = {
        t.id: t.internal_data.get("event_value")
        for t in workflow.tasks.values()
        if t.has_state(TaskState.WAITING) and "event_value" in t.internal_data
    }
    migrate_workflow(diff, workflow, new_spec)
    for task_id, value in kept.items():
        task = workflow.tasks.get(task_id)
        if task is not None and task.has_state(TaskState.WAITING):
            task.internal_data["event_value"] = value


def _refresh_index(session: Session, loaded: runtime.LoadedInstance, registry: str) -> None:
    """Give the inbox rows of waiting tasks the new version's name, form and department."""
    for task in all_tasks(loaded.workflow, state=TaskState.READY, manual=True):
        row = session.get(TaskRecord, str(task.id))
        if row is None or row.state != RecordState.READY:
            continue
        props = task_properties(task)
        row.bpmn_id = task.task_spec.bpmn_id or task.task_spec.name
        row.name = task.task_spec.bpmn_name or task.task_spec.name
        row.form = props.get("formJsonSchemaFilename")
        row.role = props.get("role")
        row.department = task_department(task, registry) or row.department


def migrate(
    session: Session,
    circuit: Circuit,
    procedure: str,
    to_number: int,
    mapping: Mapping[str, str] | None = None,
    *,
    actor_id: int | None = None,
) -> MigrationReport:
    """Move every running request of a procedure on an older version to version `to_number`.

    Each request moves whole or not at all (a savepoint each); the caller commits, or rolls
    back for a dry run."""
    numbers = _numbers(session, procedure)
    if not numbers:
        raise BadRequest(f"Procedura „{procedure}” nu există.")
    by_number = {n: vid for vid, n in numbers.items()}
    target_id = by_number.get(to_number)
    if target_id is None:
        raise BadRequest(
            f"Procedura „{procedure}” nu are versiunea {to_number}; "
            f"are versiunile 1–{len(numbers)}."
        )
    target = definitions.definition(session, target_id)
    mapping = dict(mapping or {})
    for old, new in mapping.items():
        if new not in target.spec.task_specs and not any(
            new in s.task_specs for s in target.subprocess_specs.values() if s
        ):
            raise BadRequest(
                f"--map {old}={new}: pasul „{new}” nu există în versiunea {to_number}."
            )
    report = MigrationReport(procedure, to_number)
    rows = session.execute(
        select(Instance.id, Instance.process_version_id, Request)
        .join(Request, Request.id == Instance.request_id)
        .where(
            Instance.process_version_id.in_([v for v in numbers if v < target_id]),
            Instance.completed.is_(False),
            Request.status.in_(RequestStatus.open()),  # a withdrawn request is not moved
        )
        .order_by(Instance.id)
    ).all()
    for instance_id, version_id, request in rows:
        number = (
            f"nr. {request.registration_display}"
            if request.registration_number
            else f"#{request.id}"
        )
        moved = Moved(request.id, f"{number} „{request.summary}”", numbers[version_id])
        report.moved.append(moved)
        jobs = list(session.info.get("pending_jobs", []))
        savepoint = session.begin_nested()
        try:
            _migrate_one(session, circuit, instance_id, target, to_number, mapping, moved)
        except Exception as exc:  # one request that cannot move leaves the others
            moved.refused.append(f"nu a putut fi mutată: {getattr(exc, 'message', exc)}")
        if moved.ok:
            savepoint.commit()
            audit.record(
                session,
                "request_migrated",
                actor_id=actor_id,
                request_id=request.id,
                procedure=procedure,
                from_version=moved.from_version,
                to_version=to_number,
                mapping=mapping,
            )
        else:
            savepoint.rollback()
            session.info["pending_jobs"] = jobs
    return report


def _migrate_one(
    session: Session,
    circuit: Circuit,
    instance_id: int,
    target: definitions.ParsedDefinition,
    number: int,
    mapping: Mapping[str, str],
    moved: Moved,
) -> None:
    loaded = runtime.load(session, instance_id, circuit.calendar)
    workflow = loaded.workflow
    _move_workflow(workflow, target.spec, mapping, number, moved.refused)
    for sp_id, sub in list(workflow.subprocesses.items()):
        new_spec = target.subprocess_specs.get(sub.spec.name)
        if new_spec is None:
            moved.refused.append(
                f"subprocesul „{sub.spec.name}” ({sp_id}) nu există în versiunea {number}"
            )
            continue
        _move_workflow(sub, new_spec, mapping, number, moved.refused)
    if moved.refused:
        return
    workflow.subprocess_specs = target.subprocess_specs
    definitions.load_workflow(definitions.dump_workflow(workflow), target)  # it must load again
    loaded.row.process_version_id = target.version_id
    request = session.get(Request, loaded.row.request_id)
    assert request is not None
    runtime.advance(session, loaded, request, registry=circuit.settings.registry_department)
    _refresh_index(session, loaded, circuit.settings.registry_department)


def parse_mapping(lines: list[str]) -> dict[str, str]:
    """Read `OLD=NEW` pairs (ids of steps); refuse a malformed one by its text."""
    mapping = {}
    for line in lines:
        if not line.strip():
            continue
        old, sep, new = line.strip().partition("=")
        if not sep or not old.strip() or not new.strip():
            said = f"„{line.strip()}”: scrieți PAS_VECHI=PAS_NOU (id-urile din diagrame)."
            raise BadRequest(said)
        mapping[old.strip()] = new.strip()
    return mapping
