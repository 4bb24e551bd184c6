"""RQ: the dispatcher that enqueues jobs after commit, and the worker with its sweep."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from redis import Redis
from rq import Queue, SimpleWorker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from engine.platform import logs, metrics
from engine.platform.dispatch import PendingJob
from engine.platform.timeutil import as_aware, system_clock, utcnow

log = logging.getLogger(__name__)
QUEUE_NAME = "circuit"
LIVE = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}
# RQ stops a job after its timeout (180 s by default); one Redis says is still running well
# past that lost its worker (SIGKILL, a machine gone) and is sent again.
STALE_AFTER = 300.0


class RQDispatcher:
    """Send pending jobs to RQ; a job that cannot be sent is left to the sweep.

    `module` is the module whose functions the jobs name (RQ stores `<module>.<name>`)."""

    def __init__(self, redis: Redis, module: str, stale_after: float = STALE_AFTER) -> None:
        self.redis = redis
        self.module = module
        self.stale_after = stale_after
        self.queue = Queue(QUEUE_NAME, connection=redis)

    def __call__(self, jobs: list[PendingJob]) -> None:
        for k, job in enumerate(jobs):
            try:
                self.send(job)
            except Exception:  # Redis down: the database rows stay, the sweep sends them
                log.exception("could not enqueue %s%s", job.name, job.args)
                if len(jobs) > k + 1:  # nor wait again for each of the rest
                    log.error("%d more job(s) left to the sweep", len(jobs) - k - 1)
                return

    def send(self, job: PendingJob) -> None:
        func = f"{self.module}.{job.name}"
        # The request that asked for the job, so the worker's lines carry its id too.
        meta = {"request_id": rid} if (rid := logs.request_id.get()) else None
        if job.at is not None and as_aware(job.at) > utcnow():
            self.queue.enqueue_at(as_aware(job.at), func, *job.args, job_id=job.job_id, meta=meta)
        else:
            self.queue.enqueue(func, *job.args, job_id=job.job_id, meta=meta)

    def is_live(self, job_id: str) -> bool:
        """Tell whether Redis still holds this job, waiting or running (and not for so long
        that its worker must have died)."""
        try:
            job = Job.fetch(job_id, connection=self.redis)
        except NoSuchJobError:
            return False
        status = job.get_status()
        if status == JobStatus.STARTED and job.started_at is not None:
            running = system_clock() - as_aware(job.started_at)  # RQ's clock is the machine's
            return running <= timedelta(seconds=self.stale_after)
        return status in LIVE


class CircuitWorker(SimpleWorker):
    """RQ's worker in this process, logging each job under the id of the request that
    enqueued it, and counting the jobs it runs."""

    def perform_job(self, job: Job, queue: Queue, execution: Any) -> bool:
        request = logs.request_id.set((job.meta or {}).get("request_id"))
        current = logs.job_id.set(job.id)
        ok = False
        try:
            ok = bool(super().perform_job(job, queue, execution))
            return ok
        finally:
            name = (job.func_name or "?").rsplit(".", 1)[-1]
            metrics.JOBS.labels(name, "ok" if ok else "failed").inc()
            logs.job_id.reset(current)
            logs.request_id.reset(request)


Sweep = Callable[[RQDispatcher], int]


def schedule_sweeps(
    dispatcher: RQDispatcher, sweep: Sweep, interval: float, stop: threading.Event
) -> None:
    """Run the sweep every `interval` seconds until stopped."""
    while not stop.wait(interval):
        try:
            sweep(dispatcher)
        except Exception:
            log.exception("timer sweep failed")


def run_worker(
    dispatcher: RQDispatcher, sweep: Sweep, *, sweep_interval: float = 15.0, burst: bool = False
) -> None:
    """Work the Circuit queue with RQ's scheduler, running `sweep` (lost jobs) alongside."""
    stop = threading.Event()
    sweeper = threading.Thread(
        target=schedule_sweeps,
        args=(dispatcher, sweep, sweep_interval, stop),
        name="timer-sweep",
        daemon=True,
    )
    sweeper.start()
    try:
        sweep(dispatcher)
        worker = CircuitWorker([dispatcher.queue], connection=dispatcher.redis)
        worker.work(with_scheduler=True, burst=burst, logging_level="INFO")
    finally:
        stop.set()


def queue_depths(redis: Redis) -> dict[str, int]:
    """Count the Circuit queue's jobs by state: waiting, scheduled (timers), running, failed."""
    from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

    queue = Queue(QUEUE_NAME, connection=redis)
    return {
        "queued": queue.count,
        "scheduled": ScheduledJobRegistry(queue=queue).count,
        "started": StartedJobRegistry(queue=queue).count,
        "failed": FailedJobRegistry(queue=queue).count,
    }
