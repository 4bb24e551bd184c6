"""A real RQ worker process (`circuit worker`) for the Circuit of a test, and waiting on it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.circuit import Circuit
from engine.platform.config import PROJECT_ROOT


def start_worker(c: Circuit, processes_dir: Path, **env: str) -> subprocess.Popen[bytes]:
    """Start `circuit worker` on the test's database and Redis, sweeping every second.

    In a process group of its own: RQ's scheduler is a child process, and killing the worker
    must kill it too (an orphaned scheduler would go on moving the next tests' jobs)."""
    environ = dict(os.environ)
    environ.update(
        DATABASE_URL=c.settings.database_url,
        REDIS_URL=c.settings.redis_url or "",
        CIRCUIT_DATA_DIR=str(c.settings.data_dir),
        CIRCUIT_PROCESSES_DIR=str(processes_dir),
        CIRCUIT_SWEEP_SECONDS="1",
        **env,
    )
    return subprocess.Popen(
        [sys.executable, "-m", "scripts.cli", "worker"],
        env=environ,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def kill_worker(worker: subprocess.Popen[bytes]) -> None:
    """Kill a worker and its scheduler at once (SIGKILL), as a machine gone would."""
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()


def stop_worker(worker: subprocess.Popen[bytes]) -> str:
    """Stop a worker (SIGTERM, then SIGKILL); return what it printed."""
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            kill_worker(worker)
    return worker.stdout.read().decode(errors="replace") if worker.stdout else ""


def wait_until(
    check: Callable[[], Any], worker: subprocess.Popen[bytes] | None = None, limit: float = 60
) -> Any:
    """Poll `check` until it returns something true (a generous limit: not a timing test)."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        result = check()
        if result:
            return result
        if worker is not None and worker.poll() is not None:
            raise AssertionError(f"the worker stopped: {stop_worker(worker)}")
        time.sleep(0.2)
    said = stop_worker(worker) if worker is not None else ""
    raise AssertionError(f"not done within {limit} s; the worker said: {said}")
