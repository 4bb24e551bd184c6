"""RQ jobs: thin adapters that take ids, open a transaction and call engine functions.

This module also composes the worker: RQ names a job by its function here
(`engine.jobs.<name>`, the names of jobs already waiting in Redis, so they stay), and a job
started by RQ with bare ids finds the process's Circuit through engine.circuit.current().
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from redis import Redis
from sqlalchemy.orm import Session

from engine.archive import hook, ocr, store
from engine.cases import escalation, failed_jobs, timers
from engine.circuit import Circuit, current
from engine.messages import notify
from engine.people import account_mail
from engine.platform import rqueue
from engine.platform.dispatch import PendingJob
from engine.platform.rqueue import RQDispatcher
from engine.platform.timeutil import utcnow

log = logging.getLogger(__name__)
MODULE = __name__  # "engine.jobs": what RQ stores as each job's function path


def _guarded(name: str, args: tuple[Any, ...], work: Callable[[Session], bool]) -> bool:
    """Run a job's work in one transaction; when it fails, roll it back and record the
    failure in another (retried later with backoff, then parked: engine.cases.failed_jobs)."""
    circuit = current()
    try:
        with circuit.db.transaction() as session:
            done = work(session)
            failed_jobs.succeeded(session, name, args)
        return done
    except Exception:
        log.exception("job %s%s failed", name, args)
        error = traceback.format_exc()
    with circuit.db.transaction() as session:
        row = failed_jobs.record_failure(session, circuit.settings, name, args, error)
        if row.parked_at is not None:
            log.error("job %s%s parked after %d attempts", name, args, row.attempts)
    return False


def fire_timer(task_id: str) -> bool:
    """Fire one timer (idempotent: a second run finds it fired and does nothing)."""
    circuit = current()
    return _guarded(
        "fire_timer", (task_id,), lambda session: timers.fire_timer(session, circuit, task_id)
    )


def send_notification(notification_id: int) -> bool:
    """E-mail a notification to its recipients, once."""
    circuit = current()
    return _guarded(
        "send_notification",
        (notification_id,),
        lambda session: notify.send(session, circuit.settings, notification_id),
    )


def send_account_mail(kind: str, user_id: int, email: str | None = None) -> bool:
    """E-mail a link or a warning about an account (signed at sending time, never stored)."""
    circuit = current()
    return _guarded(
        "send_account_mail",
        (kind, user_id, email),
        lambda session: account_mail.send(session, circuit.settings, kind, user_id, email),
    )


def sweep(dispatcher: RQDispatcher) -> int:
    """Send RQ the timers due within the dispatcher's horizon and the unsent e-mails whose
    job Redis does not hold, oldest first, and failed jobs whose pause is over; jobs parked
    or pausing after a failure wait.

    Timers further off stay rows only: the database is the truth, and this is how they reach
    RQ's scheduler, a few sweeps before their time. Overdue ones (after a day without a
    worker, or lost by Redis, or whose scheduler died) it sends to the queue itself, oldest
    first, so they fire in due order."""
    circuit = current()
    with circuit.db.transaction() as session:
        escalation.daily(session, circuit)  # deadline warnings, once a working day
    with circuit.db.transaction(for_write=False) as session:  # reads only: beside any writer
        held = failed_jobs.held(session)
        pending = [
            PendingJob("fire_timer", (task_id,), due, f"timer-{task_id}")
            for task_id, due in timers.waiting_until(session, utcnow() + dispatcher.horizon)
        ]
        # Without SMTP mail goes to the outbox, so a lost job is re-sent either way.
        pending += [
            PendingJob("send_notification", (n,), None, f"notification-{n}")
            for n in notify.unsent(session)
        ]
        pending = [job for job in pending if job.job_id not in held]
        listed = {job.job_id for job in pending}
        pending += [
            PendingJob(row.name, tuple(row.args), None, row.job_key)
            for row in failed_jobs.due_retries(session)
            if row.job_key not in listed
        ]
        # Scans waiting for OCR, where this machine can read them (their job was lost).
        if ocr.available():
            pending += [
                PendingJob("archive_ocr", (d,), None, f"archive-ocr-{d}")
                for d in ocr.awaiting_ids(session)
            ]
    live = dispatcher.live([job.job_id for job in pending if job.job_id is not None])
    sent = 0
    for job in pending:
        if job.job_id not in live and dispatcher.send(job):
            sent += 1
    if sent:
        log.info("sweep sent %d job(s)", sent)
    return sent


def rq_dispatcher(redis: Redis) -> RQDispatcher:
    """Return the dispatcher that sends this module's jobs to RQ."""
    return RQDispatcher(redis, MODULE)


def use_rq(circuit: Circuit) -> RQDispatcher:
    """Send the Circuit's jobs to RQ after each commit, on its Redis."""
    dispatcher = rq_dispatcher(circuit.redis())
    circuit.set_dispatcher(dispatcher)
    return dispatcher


def work(
    circuit: Circuit,
    *,
    sweep_interval: float = 15.0,
    burst: bool = False,
    stale_after: float = rqueue.STALE_AFTER,
) -> None:
    """Run the worker of this Circuit: its jobs from RQ, the sweep alongside.

    A job that Redis says has been running for more than `stale_after` seconds lost its
    worker (killed): the sweep sends it again (firing is idempotent)."""
    dispatcher = use_rq(circuit)
    dispatcher.stale_after = stale_after
    # Each timer reaches RQ a few sweeps before its time, whatever the sweeps' interval.
    dispatcher.horizon = max(rqueue.HORIZON, timedelta(seconds=4 * sweep_interval))
    rqueue.run_worker(dispatcher, sweep, sweep_interval=sweep_interval, burst=burst)


# The archive: every file Circuit stores is indexed after its commit (engine.archive.hook),
# and scans without text are read by OCR here, in the worker, outside any transaction.
assert hook.INDEX_DOCUMENT_JOB == "archive_index_document"


def archive_index_document(document_id: int) -> bool:
    """Put a stored document in the archive (idempotent: once per content)."""
    circuit = current()
    with circuit.db.transaction() as session:
        return store.index_document(session, circuit.settings, document_id) is not None


def archive_index_entry(entry_id: int) -> int:
    """Put a register entry's scans in the archive."""
    circuit = current()
    with circuit.db.transaction() as session:
        return len(store.index_entry(session, circuit.settings, entry_id))


def archive_ocr(archive_id: int) -> bool:
    """Read a scan with Tesseract and keep its text (a missing Tesseract leaves it waiting)."""
    circuit = current()
    with circuit.db.session(for_write=False) as session:
        found = ocr.pending_file(session, circuit.settings, archive_id)
    if found is None:
        return False
    try:
        text: str | None = ocr.read(*found)
    except ocr.OcrUnavailable:
        log.warning("OCR unavailable; archive document %s keeps waiting", archive_id)
        return False
    except (ocr.OcrFailed, OSError, ValueError):
        log.exception("OCR could not read archive document %s", archive_id)
        text = None
    with circuit.db.transaction() as session:
        return ocr.save_text(session, archive_id, text)
