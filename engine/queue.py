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

    name: str  # a function name in engine.jobs
    args: tuple[Any, ...]
    at: datetime | None = None
    job_id: str | None = None


Dispatcher = Callable[[list[PendingJob]], None]


def defer(
    session: Session, name: str, *args: Any, at: datetime | None = None, job_id: str | None = None
) -> None:
    """Ask for a job to run after this session commits (never if it rolls back)."""
    session.info.setdefault("pending_jobs", []).append(PendingJob(name, args, at, job_id))


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    jobs: list[PendingJob] = session.info.pop("pending_jobs", [])
    dispatcher: Dispatcher | None = session.info.get("dispatcher")
    if jobs and dispatcher is not None:
        dispatcher(jobs)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop("pending_jobs", None)
