"""Prometheus metrics: the instruments the code counts with, and their exposition.

Counters and histograms live in this process's registry, or, when PROMETHEUS_MULTIPROC_DIR
is set before the first import (gunicorn's workers and the RQ worker of `circuit run`), in
files that folder shares between the processes, added up at each scrape. Values that are
state rather than events (queue depth, timers waiting and late, today's registrations) are
read when scraped, by the collector the web app hands to `exposition`."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.orm import Session

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
disable_created_metrics()  # a `_created` series beside each counter is noise to a county

# Page views and API calls take milliseconds; an upload or a PDF takes seconds.
_LATENCY = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "circuit_http_requests",
    "HTTP requests answered, by method, route (the URL rule, not the path) and status",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "circuit_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route",
    ["method", "route"],
    buckets=_LATENCY,
)
ENGINE_STEPS = Counter(
    "circuit_engine_steps",
    "Workflow steps run (a task completed or timers refreshed, then the engine's steps), "
    "by outcome",
    ["outcome"],
)
ENGINE_STEP_SECONDS = Histogram(
    "circuit_engine_step_duration_seconds",
    "Time the workflow engine took for one step",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0),
)
ENGINE_TASKS = Counter("circuit_engine_tasks", "BPMN tasks the engine ran inside steps")
REGISTRATIONS = Counter(
    "circuit_registrations",
    "Lines written in the register (committed), by direction (in, out)",
    ["direction"],
)
JOBS = Counter(
    "circuit_jobs", "Background jobs run by the worker, by job and outcome", ["job", "outcome"]
)


def multiprocess_dir() -> Path | None:
    """Return the folder shared by the processes' metrics, if this process uses one."""
    value = os.environ.get(MULTIPROC_ENV)
    return Path(value) if value else None


def fresh_multiprocess_dir(path: Path) -> Path:
    """Empty (or create) the folder the processes of one server will share, before they start:
    files of processes from an earlier run would add old counts to the new ones."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(mode=0o700, parents=True)
    return path


def process_gone(pid: int) -> None:
    """Tell the shared metrics a process has ended (gunicorn's child_exit), if they are shared."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(pid)


@contextmanager
def engine_step() -> Iterator[Callable[[int], None]]:
    """Time one workflow step; the block calls the yielded function with the tasks it ran."""
    ran = [0]
    started = time.perf_counter()
    outcome = "failed"
    try:
        yield lambda n: ran.__setitem__(0, n)
        outcome = "ok"
    finally:
        ENGINE_STEP_SECONDS.observe(time.perf_counter() - started)
        ENGINE_STEPS.labels(outcome).inc()
        if ran[0]:
            ENGINE_TASKS.inc(ran[0])


def on_commit(session: Session, count: Callable[[], None]) -> None:
    """Count something once the session's transaction commits (never if it rolls back)."""
    session.info.setdefault("metrics_pending", []).append(count)


@event.listens_for(Session, "after_commit")
def _count_committed(session: Session) -> None:
    for count in session.info.pop("metrics_pending", []):
        count()


@event.listens_for(Session, "after_rollback")
def _drop_rolled_back(session: Session) -> None:
    session.info.pop("metrics_pending", None)


def exposition(state: Iterable[Collector] = ()) -> bytes:
    """Return the metrics in Prometheus's text format: the counted ones (of every process
    sharing the folder, or of this one) and those the `state` collectors read now."""
    if multiprocess_dir() is not None:
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
        body = generate_latest(counted)
    else:
        body = generate_latest(REGISTRY)
    now = CollectorRegistry(auto_describe=False)
    for collector in state:
        now.register(collector)
    return body + generate_latest(now)


def serve_worker_metrics(port: int, host: str = "127.0.0.1") -> None:
    """Expose this process's metrics on their own port (a worker with no web app beside it)."""
    from prometheus_client import start_http_server

    if multiprocess_dir() is not None:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        start_http_server(port, host, registry=registry)
    else:
        start_http_server(port, host)
