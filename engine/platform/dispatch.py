"""Background work: jobs are collected during a transaction and sent only after commit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class PendingJob:
    """A job to enqueue once the transaction that asked for it has committed."""

    name: str  # the job function's name in the module the dispatcher names (engine.jobs)
    args: tuple[Any, ...]
    at: datetime | None = None
    job_id: str | None = None


Dispatcher = Callable[[list[PendingJob]], None]


def defer(
    session: Session, name: str, *args: Any, at: datetime | None = None, job_id: str | None = None
) -> None:
    """Ask for a job to run after this session commits (never if it rolls back)."""
    session.info.setdefault("pending_jobs", []).append(PendingJob(name, args, at, job_id))


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
    session.info.setdefault("committed_jobs", []).extend(session.info.pop("pending_jobs", []))


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop("pending_jobs", None)
