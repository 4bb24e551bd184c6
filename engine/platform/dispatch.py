"""Background work: jobs are collected during a transaction and sent only after commit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class PendingJob:
    """A job to enqueue once the transaction that asked for it has committed."""

    name: str  # the job function's name in the module the dispatcher names (engine.jobs)
    args: tuple[Any, ...]
    at: datetime | None = None
    job_id: str | None = None


@dataclass(frozen=True)
class _RowJob:
    """A job about a row added in this transaction, whose id is known once it is flushed."""

    name: str
    row: Any  # a mapped object with a one-column primary key
    job_id_prefix: str

    def resolved(self) -> PendingJob:
        identity = inspect(self.row).identity  # kept when the commit expires the row
        if identity is None:
            raise ValueError(f"{self.name}: the row was never flushed")
        row_id = identity[0]
        return PendingJob(self.name, (row_id,), job_id=f"{self.job_id_prefix}-{row_id}")


Dispatcher = Callable[[list[PendingJob]], None]


def defer(
    session: Session, name: str, *args: Any, at: datetime | None = None, job_id: str | None = None
) -> None:
    """Ask for a job to run after this session commits (never if it rolls back)."""
    session.info.setdefault("pending_jobs", []).append(PendingJob(name, args, at, job_id))


def defer_for_row(session: Session, name: str, row: Any, job_id_prefix: str) -> None:
    """Ask for a job that takes the id of a row this transaction adds, named
    `<job_id_prefix>-<id>`, without flushing the session now to learn the id: the row is
    written with the transaction's other rows, and the id read once it commits."""
    session.info.setdefault("pending_jobs", []).append(_RowJob(name, row, job_id_prefix))


class JobSession(Session):
    """A session that sends the jobs its transaction asked for once the commit is done."""

    def commit(self) -> None:
        super().commit()  # the connection is back in the pool when this returns
        jobs: list[PendingJob] = self.info.pop("committed_jobs", [])
        dispatcher: Dispatcher | None = self.info.get("dispatcher")
        if jobs and dispatcher is not None:
            dispatcher(jobs)


@event.listens_for(Session, "after_commit")
def _mark_committed(session: Session) -> None:
    pending = session.info.pop("pending_jobs", [])
    jobs = [job.resolved() if isinstance(job, _RowJob) else job for job in pending]
    session.info.setdefault("committed_jobs", []).extend(jobs)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop("pending_jobs", None)
