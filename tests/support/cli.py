"""The `circuit` command run as a separate process, as an administrator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from engine.platform.config import PROJECT_ROOT as ROOT


def circuit(
    args: list[str], data_dir: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environ.update(CIRCUIT_DATA_DIR=str(data_dir), **env)
    return subprocess.run(
        [sys.executable, "-m", "scripts.cli", *args],
        input=stdin,
        text=True,
        capture_output=True,
        cwd=ROOT,
        env=environ,
        timeout=120,
    )
