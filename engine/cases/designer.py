"""The designer's view of a procedure: its versions, how many requests run on each, and the
diagram of one version with how many requests wait at each step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.models import (
    Instance,
    ProcedureRecord,
    ProcessVersion,
    Request,
    RequestStatus,
    TaskRecord,
    TaskState,
    Timer,
    TimerStatus,
)
from engine.platform.errors import NotFound
from engine.workflow.render import RenderError, render_bpmn


@dataclass(frozen=True)
class VersionRow:
    """One deployed version of a procedure, numbered from 1 in deployment order."""

    id: int
    number: int
    filename: str
    content_hash: str
    created_at: datetime
    running: int  # requests whose instance runs on it and has not ended
    current: bool


@dataclass(frozen=True)
class WaitingStep:
    """A step of the version where requests wait (a user task or a timer)."""

    element_id: str
    name: str
    count: int


@dataclass(frozen=True)
class ProcedureDesign:
    """What the designer page shows of a procedure."""

    procedure: str
    versions: list[VersionRow]
    shown: VersionRow
    svg: str | None
    problem: str | None  # why the diagram could not be drawn
    waiting: list[WaitingStep]


def procedure_versions(session: Session, procedure: str) -> list[VersionRow]:
    """Return a procedure's versions, oldest first, with the requests running on each."""
    current = session.scalar(
        select(ProcedureRecord.current_version_id).where(ProcedureRecord.id == procedure)
    )
    running = dict(
        session.execute(
            select(Instance.process_version_id, func.count())
            .join(ProcessVersion, ProcessVersion.id == Instance.process_version_id)
            .join(Request, Request.id == Instance.request_id)
            .where(
                ProcessVersion.procedure == procedure,
                Instance.completed.is_(False),
                Request.status.in_(RequestStatus.open()),
            )
            .group_by(Instance.process_version_id)
        ).all()
    )
    rows = session.execute(
        select(
            ProcessVersion.id,
            ProcessVersion.filename,
            ProcessVersion.content_hash,
            ProcessVersion.created_at,
        )
        .where(ProcessVersion.procedure == procedure)
        .order_by(ProcessVersion.id)
    ).all()
    return [
        VersionRow(vid, n, filename, digest, created, int(running.get(vid, 0)), vid == current)
        for n, (vid, filename, digest, created) in enumerate(rows, start=1)
    ]


def waiting_steps(session: Session, version_id: int) -> list[WaitingStep]:
    """Return how many running requests of a version wait at each task or timer."""
    tasks = session.execute(
        select(TaskRecord.bpmn_id, func.min(TaskRecord.name), func.count())
        .join(Instance, Instance.id == TaskRecord.instance_id)
        .where(Instance.process_version_id == version_id, TaskRecord.state == TaskState.READY)
        .group_by(TaskRecord.bpmn_id)
    ).all()
    timers = session.execute(
        select(Timer.bpmn_id, func.min(Timer.name), func.count())
        .join(Instance, Instance.id == Timer.instance_id)
        .where(Instance.process_version_id == version_id, Timer.status == TimerStatus.WAITING)
        .group_by(Timer.bpmn_id)
    ).all()
    counts: dict[str, WaitingStep] = {}
    for bpmn_id, name, count in [*tasks, *timers]:
        before = counts.get(bpmn_id)
        total = int(count) + (before.count if before else 0)
        counts[bpmn_id] = WaitingStep(bpmn_id, name or bpmn_id, total)
    return sorted(counts.values(), key=lambda w: (-w.count, w.name))


def procedure_design(
    session: Session, procedure: str, version_number: int | None = None
) -> ProcedureDesign:
    """Build the designer page of a procedure, for one version (the current by default)."""
    versions = procedure_versions(session, procedure)
    if not versions:
        raise NotFound("Procedura nu există.")
    if version_number is None:
        shown = next((v for v in versions if v.current), versions[-1])
    else:
        found = [v for v in versions if v.number == version_number]
        if not found:
            raise NotFound("Versiunea nu există.")
        shown = found[0]
    waiting = waiting_steps(session, shown.id)
    version = session.get(ProcessVersion, shown.id)
    svg, problem = None, None
    if version is not None:
        try:
            svg = render_bpmn(
                version.source,
                process_id=version.process_id,
                counts={w.element_id: w.count for w in waiting},
            ).svg
        except RenderError as exc:
            problem = exc.message
    return ProcedureDesign(procedure, versions, shown, svg, problem, waiting)


def procedures_overview(session: Session) -> list[tuple[str, list[VersionRow]]]:
    """Return every procedure ever deployed with its versions, by id."""
    ids = session.scalars(
        select(ProcessVersion.procedure).distinct().order_by(ProcessVersion.procedure)
    ).all()
    return [(pid, procedure_versions(session, pid)) for pid in ids]
