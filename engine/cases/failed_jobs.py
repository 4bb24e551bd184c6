"""Background jobs that fail: each failure is a row; the job is tried again after a pause that
doubles each time, at most `Settings.job_max_attempts` times, then parked for an administrator
who sees it (`circuit jobs failed`, /administrare/lucrari) and may try it again. Nothing is
dropped: the row stays until the job succeeds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from engine.models import FailedJob, Notification, Timer
from engine.platform.config import Settings
from engine.platform.dispatch import defer
from engine.platform.errors import Conflict, NotFound
from engine.platform.timeutil import as_aware, utcnow

# What an administrator reads for each kind of job.
KINDS = {
    "fire_timer": "Temporizator (termen, reamintire)",
    "send_notification": "E-mail de notificare",
    "send_account_mail": "E-mail despre cont",
}
ERROR_CHARS = 4000  # the end of a traceback says what failed


def job_key(name: str, args: Sequence[Any]) -> str:
    """Return the job's id in RQ: the one the code that asks for it uses."""
    if name == "fire_timer":
        return f"timer-{args[0]}"
    if name == "send_notification":
        return f"notification-{args[0]}"
    return "-".join([name, *(str(a) for a in args if a is not None)])[:100]


def backoff(settings: Settings, attempts: int) -> timedelta:
    """Return the pause before the next try, after `attempts` failed ones."""
    return timedelta(seconds=settings.job_backoff_seconds * 2 ** max(attempts - 1, 0))


def record_failure(
    session: Session, settings: Settings, name: str, args: Sequence[Any], error: str
) -> FailedJob:
    """Count one more failure of a job: schedule its next try, or park it after the last."""
    key = job_key(name, args)
    now = utcnow()
    row = session.scalar(select(FailedJob).where(FailedJob.job_key == key).with_for_update())
    if row is None:
        row = FailedJob(job_key=key, name=name, args=list(args), attempts=0, first_failed_at=now)
        session.add(row)
    row.attempts += 1
    row.error = error[-ERROR_CHARS:]
    row.last_failed_at = now
    if row.attempts >= settings.job_max_attempts:
        row.parked_at, row.next_attempt_at = now, None
    else:
        row.parked_at, row.next_attempt_at = None, now + backoff(settings, row.attempts)
    return row


def succeeded(session: Session, name: str, args: Sequence[Any]) -> None:
    """Forget a job's earlier failures: it has run."""
    session.execute(delete(FailedJob).where(FailedJob.job_key == job_key(name, args)))


def held(session: Session, now: datetime | None = None) -> set[str]:
    """Return the keys of jobs the sweep must not send now: parked, or pausing before a try."""
    now = now or utcnow()
    return set(
        session.scalars(
            select(FailedJob.job_key).where(
                or_(FailedJob.parked_at.is_not(None), FailedJob.next_attempt_at > now)
            )
        )
    )


def due_retries(session: Session, now: datetime | None = None) -> list[FailedJob]:
    """Return failed jobs whose pause is over, to be tried again, oldest first."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(FailedJob)
            .where(FailedJob.parked_at.is_(None), FailedJob.next_attempt_at <= now)
            .order_by(FailedJob.next_attempt_at)
        )
    )


@dataclass(frozen=True)
class FailedJobView:
    """A failed job as an administrator reads it."""

    id: int
    kind: str
    name: str
    args: list[Any]
    request_id: int | None
    attempts: int
    parked: bool
    error: str
    first_failed_at: datetime
    last_failed_at: datetime
    next_attempt_at: datetime | None

    @property
    def last_error_line(self) -> str:
        lines = [line for line in self.error.strip().splitlines() if line.strip()]
        return lines[-1] if lines else ""


def _request_of(session: Session, row: FailedJob) -> int | None:
    if row.name == "fire_timer":
        return session.scalar(select(Timer.request_id).where(Timer.task_id == row.args[0]))
    if row.name == "send_notification":
        return session.scalar(select(Notification.request_id).where(Notification.id == row.args[0]))
    return None


def listing(session: Session, *, parked_only: bool = False) -> list[FailedJobView]:
    """Return failed jobs, parked first, newest failure first."""
    query = select(FailedJob).order_by(
        FailedJob.parked_at.is_(None), FailedJob.last_failed_at.desc()
    )
    if parked_only:
        query = query.where(FailedJob.parked_at.is_not(None))
    return [
        FailedJobView(
            id=row.id,
            kind=KINDS.get(row.name, row.name),
            name=row.name,
            args=list(row.args),
            request_id=_request_of(session, row),
            attempts=row.attempts,
            parked=row.parked_at is not None,
            error=row.error,
            first_failed_at=as_aware(row.first_failed_at),
            last_failed_at=as_aware(row.last_failed_at),
            next_attempt_at=as_aware(row.next_attempt_at) if row.next_attempt_at else None,
        )
        for row in session.scalars(query)
    ]


def retry(session: Session, failed_id: int) -> FailedJob:
    """Try a parked job again now, with its full count of attempts (sent after commit)."""
    row = session.scalar(select(FailedJob).where(FailedJob.id == failed_id).with_for_update())
    if row is None:
        raise NotFound(f"Nu există lucrarea eșuată nr. {failed_id}.")
    if row.parked_at is None:
        raise Conflict(
            f"Lucrarea nr. {failed_id} nu este oprită: se reîncearcă singură "
            f"({row.attempts} încercări eșuate până acum)."
        )
    row.attempts = 0
    row.parked_at = None
    row.next_attempt_at = utcnow()
    defer(session, row.name, *row.args, job_id=row.job_key)
    return row
