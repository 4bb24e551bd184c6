"""What `circuit run` and `circuit worker` set up for an operator: shared metrics, logs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from engine.platform.metrics import MULTIPROC_ENV, fresh_multiprocess_dir


def shared_metrics(data_dir: Path, env: Mapping[str, str]) -> dict[str, str]:
    """Return the environment that makes the web server's processes and the worker count
    into one folder (the operator's PROMETHEUS_MULTIPROC_DIR, else one in the data
    directory), emptied first: /metrics then adds up all of them."""
    folder = Path(env.get(MULTIPROC_ENV) or data_dir / "metrics")
    return {MULTIPROC_ENV: str(fresh_multiprocess_dir(folder))}


def prepare_worker(env: Mapping[str, str]) -> None:
    """Log the worker's lines (RQ's too) in CIRCUIT_LOG_FORMAT with the ids of the request and
    job; expose its metrics on CIRCUIT_WORKER_METRICS_PORT if set (a worker with no web
    server sharing its PROMETHEUS_MULTIPROC_DIR, as in deploy/)."""
    from engine.platform import logs
    from engine.platform.metrics import serve_worker_metrics

    logs.configure(env)
    port = env.get("CIRCUIT_WORKER_METRICS_PORT")
    if port:
        serve_worker_metrics(int(port), env.get("CIRCUIT_WORKER_METRICS_HOST", "127.0.0.1"))
