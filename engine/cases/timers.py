"""Firing timers, what the worker does when one is due: idempotent, under the instance lock,
with the query the sweep uses to find timers whose job was lost."""

from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.cases import operations
from engine.cases.stuckreason import stuck_reason
from engine.circuit import Circuit
from engine.messages import notify
from engine.models import Timer, TimerStatus
from engine.platform.errors import ProcessFailure
from engine.platform.timeutil import utcnow
from engine.workflow import runtime, spifftasks, versions


def fire_timer(session: Session, circuit: Circuit, task_id: str) -> bool:
    """Fire a due timer (by its task id); False when already fired, cancelled or not due.

    Its instance is found and locked in one statement, the timer read after the lock."""
    instance_of = select(Timer.instance_id).where(Timer.task_id == task_id).scalar_subquery()
    try:
        loaded = runtime.load(session, instance_of, circuit.calendar)
    except runtime.NoSuchInstance:
        return False  # no such timer
    timer = session.scalar(
        select(Timer).where(Timer.task_id == task_id).execution_options(populate_existing=True)
    )
    if timer is None or timer.status != TimerStatus.WAITING:
        return False  # fired or cancelled, perhaps by another worker while we waited
    task = spifftasks.find_task(loaded.workflow, timer.task_id)
    request = loaded.request
    assert request is not None and request.id == timer.request_id
    proc = versions.bundle(session, circuit, loaded.row.process_version_id).procedure
    if task is None or not task.has_state(SpiffState.WAITING):
        # The row outlived its timer (the index and the instance disagree): close it.
        fired = task is not None and task.has_state(SpiffState.COMPLETED)
        timer.status = TimerStatus.FIRED if fired else TimerStatus.CANCELLED
        return False
    before = request.status
    try:
        runtime.run_engine_steps(loaded.workflow, refresh_timers=True)
        if task.has_state(SpiffState.WAITING):
            return False  # not due yet by the workflow's clock
        said = runtime.advance(
            session,
            loaded,
            request,
            answer_field=proc.answer_field if proc else None,
            registry=circuit.settings.registry_department,
        )
    except ProcessFailure as failure:  # kept in the audit once this transaction is undone
        stuck_reason(session, circuit, failure, request.id, "timer", timer.task_id, None)
        raise
    notify.diagram_messages(session, request, said, proc.title if proc else None)
    if request.status != before and request.status.is_closed:
        # A timer that ends the request (no completion in time) answers it like any other end.
        operations.closed_by_timer(session, circuit, request, before, loaded.workflow, said, proc)
    elif request.status != before:  # a term that moved the request on: the applicant is told
        audit.record(
            session,
            "status_changed",
            request_id=request.id,
            old=before.value,
            new=request.status.value,
        )
        notify.request_status(session, request)
    return True


def waiting_until(
    session: Session, until: datetime, limit: int = 5_000
) -> list[tuple[str, datetime]]:
    """Return the task ids and due times of waiting timers due by `until`, oldest first."""
    rows = session.execute(
        select(Timer.task_id, Timer.due_at)
        .where(Timer.status == TimerStatus.WAITING, Timer.due_at <= until)
        .order_by(Timer.due_at, Timer.id)
        .limit(limit)
    )
    return [(task_id, due) for task_id, due in rows]


def due_timers(session: Session, now: datetime | None = None, limit: int = 500) -> list[Timer]:
    """Return waiting timers whose time has come."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(Timer)
            .where(Timer.status == TimerStatus.WAITING, Timer.due_at <= now)
            .order_by(Timer.due_at)
            .limit(limit)
        )
    )
