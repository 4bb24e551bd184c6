"""RQ: the dispatcher that enqueues jobs after commit, and the worker with its sweep."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from redis.client import Pipeline
from rq import Queue, SimpleWorker
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry
from rq.utils import str_to_date

from engine.platform import heap, logs, metrics
from engine.platform.dispatch import PendingJob
from engine.platform.timeutil import as_aware, system_clock, utcnow

log = logging.getLogger(__name__)
QUEUE_NAME = "circuit"
LIVE = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}
# RQ stops a job after its timeout (180 s by default); one Redis says is still running well
# past that lost its worker (SIGKILL, a machine gone) and is sent again.
STALE_AFTER = 300.0
# Redis holds only the jobs due before this horizon; a job for later (a timer due next week)
# stays a database row, which the sweep brings into RQ once it comes within the horizon
# (the worker makes it at least a few sweeps long). Redis then holds minutes of timers, not a
# year of them, and the sweep is the one that sends them, in due order.
HORIZON = timedelta(minutes=10)
# RQ's scheduler moves a scheduled job into the queue within a second of its time; one still
# waiting this long after it has no scheduler (one killed holds RQ's lock for a minute, and
# a worker retries the lock only at its maintenance): the sweep sends it itself.
SCHEDULER_GRACE = 10.0
# How often a worker cleans RQ's registries and, if no scheduler runs (its holder died),
# tries to take the scheduler's lock (RQ's default is ten minutes).
MAINTENANCE_INTERVAL = 60


def _whole_second_after(at: datetime) -> datetime:
    """Round up to a whole second: RQ scores a scheduled job by its time in whole seconds
    (truncated) and its scheduler sends it once that second starts, so a job due at
    12:00:00.9 would otherwise run at 12:00:00.1, find its timer not yet due and wait for a
    sweep."""
    return at if at.microsecond == 0 else at.replace(microsecond=0) + timedelta(seconds=1)


class RQDispatcher:
    """Send pending jobs to RQ; a job that cannot be sent is left to the sweep.

    `module` is the module whose functions the jobs name (RQ stores `<module>.<name>`)."""

    def __init__(
        self,
        redis: Redis,
        module: str,
        stale_after: float = STALE_AFTER,
        horizon: timedelta = HORIZON,
    ) -> None:
        self.redis = redis
        self.module = module
        self.stale_after = stale_after
        self.horizon = horizon
        self.queue = Queue(QUEUE_NAME, connection=redis)
        self.scheduled = ScheduledJobRegistry(queue=self.queue)

    def __call__(self, jobs: list[PendingJob]) -> None:
        """Send a transaction's jobs in one round trip to Redis (RQ's own commands for each
        job, queued in one pipeline); if Redis fails, the database rows stay and the sweep
        sends them."""
        try:
            with self.redis.pipeline() as pipe:
                pipe.multi()  # RQ puts a caller's pipeline in MULTI mode if it is not yet
                for job in jobs:
                    self.send(job, pipeline=pipe)
                pipe.execute()
        except Exception:
            log.exception(
                "could not enqueue %d job(s), left to the sweep: %s",
                len(jobs),
                ", ".join(f"{job.name}{job.args}" for job in jobs[:10]),
            )

    def send(self, job: PendingJob, pipeline: Pipeline | None = None) -> bool:
        """Send a job to RQ; False when it is due beyond the horizon (left to the sweep).

        A job due later waits in RQ's scheduler, which moves it into the queue at its time,
        oldest first. One already due goes straight to the queue (out of the scheduler's
        registry, if it was there), so a sweep that sends overdue timers, oldest first, is
        their one sender and they fire in due order. With a pipeline, the commands wait in it
        until its caller executes it."""
        func = f"{self.module}.{job.name}"
        # The request that asked for the job, so the worker's lines carry its id too.
        meta = {"request_id": rid} if (rid := logs.request_id.get()) else None
        at = as_aware(job.at) if job.at is not None else None
        now = utcnow()
        if at is not None and at > now:
            if at > now + self.horizon:
                return False
            self.queue.enqueue_at(
                _whole_second_after(at),
                func,
                *job.args,
                job_id=job.job_id,
                meta=meta,
                pipeline=pipeline,
            )
            return True
        if at is not None and job.job_id is not None:  # not moved again by the scheduler
            self.scheduled.remove(job.job_id, pipeline=pipeline)
        self.queue.enqueue(func, *job.args, job_id=job.job_id, meta=meta, pipeline=pipeline)
        return True

    def live(self, job_ids: list[str]) -> set[str]:
        """Return those of these jobs Redis still holds, waiting or running (and not for so
        long that their worker or their scheduler must have died): one round trip for a
        thousand."""
        found: set[str] = set()
        now = system_clock()  # RQ's clock is the machine's
        late = now.timestamp() - SCHEDULER_GRACE
        for start in range(0, len(job_ids), 1000):
            chunk = job_ids[start : start + 1000]
            with self.redis.pipeline(transaction=False) as pipe:
                for job_id in chunk:
                    pipe.hmget(Job.key_for(job_id), ["status", "started_at"])
                    pipe.zscore(self.scheduled.key, job_id)
                replies = pipe.execute()
            for k, job_id in enumerate(chunk):
                (status, started), score = replies[2 * k], replies[2 * k + 1]
                try:
                    state = JobStatus(status.decode())
                except (AttributeError, ValueError):  # no such job (None), or a state unknown
                    continue
                if state == JobStatus.STARTED and started:
                    running = now - as_aware(str_to_date(started))
                    if running > timedelta(seconds=self.stale_after):
                        continue
                if state == JobStatus.SCHEDULED and (score is None or score < late):
                    continue
                if state in LIVE:
                    found.add(job_id)
        return found

    def is_live(self, job_id: str) -> bool:
        """Tell whether Redis still holds this job, waiting or running (and not for so long
        that its worker must have died)."""
        return job_id in self.live([job_id])


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
        worker = CircuitWorker(
            [dispatcher.queue],
            connection=dispatcher.redis,
            maintenance_interval=MAINTENANCE_INTERVAL,
        )
        heap.freeze_startup_objects()
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
