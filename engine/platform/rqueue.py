"""RQ: the dispatcher that enqueues jobs after commit, and the worker with its sweep."""

from __future__ import annotations

import logging
import threading

from redis import Redis
from rq import Queue, SimpleWorker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from engine.platform.dispatch import PendingJob
from engine.platform.timeutil import as_aware, utcnow

log = logging.getLogger(__name__)
QUEUE_NAME = "circuit"
LIVE = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED}


class RQDispatcher:
    """Send pending jobs to RQ; a job that cannot be sent is left to the sweep."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.queue = Queue(QUEUE_NAME, connection=redis)

    def __call__(self, jobs: list[PendingJob]) -> None:
        for job in jobs:
            try:
                self.send(job)
            except Exception:  # Redis down: the database row stays, the sweep retries
                log.exception("could not enqueue %s%s", job.name, job.args)

    def send(self, job: PendingJob) -> None:
        func = f"engine.jobs.{job.name}"
        if job.at is not None and as_aware(job.at) > utcnow():
            self.queue.enqueue_at(as_aware(job.at), func, *job.args, job_id=job.job_id)
        else:
            self.queue.enqueue(func, *job.args, job_id=job.job_id)

    def is_live(self, job_id: str) -> bool:
        """Tell whether Redis still holds this job, waiting or running."""
        try:
            return Job.fetch(job_id, connection=self.redis).get_status() in LIVE
        except NoSuchJobError:
            return False


def schedule_sweeps(dispatcher: RQDispatcher, interval: float, stop: threading.Event) -> None:
    """Run the timer sweep every `interval` seconds until stopped."""
    from engine import jobs

    while not stop.wait(interval):
        try:
            jobs.sweep(dispatcher)
        except Exception:
            log.exception("timer sweep failed")


def run_worker(redis: Redis, *, sweep_interval: float = 15.0, burst: bool = False) -> None:
    """Work the Circuit queue with RQ's scheduler, sweeping lost timers alongside."""
    dispatcher = RQDispatcher(redis)
    stop = threading.Event()
    sweeper = threading.Thread(
        target=schedule_sweeps,
        args=(dispatcher, sweep_interval, stop),
        name="timer-sweep",
        daemon=True,
    )
    sweeper.start()
    try:
        from engine import jobs

        jobs.sweep(dispatcher)
        worker = SimpleWorker([dispatcher.queue], connection=redis)
        worker.work(with_scheduler=True, burst=burst, logging_level="INFO")
    finally:
        stop.set()
