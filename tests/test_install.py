"""Circuit installed from a wheel (`pip install .`, not editable) runs the shipped procedures."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
# What a source checkout holds besides the sources: never part of what gets installed.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "instance", "build", "*.egg-info", "__pycache__", ".*_cache", "tests"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _install(tmp_path: Path) -> Path:
    """Install a copy of the checkout, not editable, into a new venv; return its bin folder.

    The dependencies are those of the running environment (a .pth file points at them): the
    test checks what the wheel holds, not what pip downloads (tests/test_dependencies.py
    checks that every imported library is declared).
    """
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    target = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    (target / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    pip = [sys.executable, "-m", "pip", "-q"]
    wheels = tmp_path / "wheels"
    # setuptools builds the wheel in an isolated environment, as for `pip install .`
    subprocess.run(
        [*pip, "wheel", "--no-deps", "-w", wheels, source], check=True, capture_output=True
    )
    subprocess.run(
        [
            *pip,
            "--python",
            venv / "bin" / "python",
            "install",
            "--no-deps",
            "--no-index",
            *wheels.glob("circuit-*.whl"),
        ],
        check=True,
        capture_output=True,
    )
    return venv / "bin"


@pytest.mark.slow
def test_an_installed_circuit_runs_the_demo_from_any_folder(tmp_path):
    bin_dir = _install(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "PYTHONPATH") and not k.startswith("CIRCUIT_")
    }
    demo = subprocess.run(
        [bin_dir / "circuit", "demo"],
        cwd=elsewhere,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr
    shipped = subprocess.run(
        [bin_dir / "python", "-c", "import engine.platform.config as c; print(c.SHIPPED_ROOT)"],
        cwd=elsewhere,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(shipped).is_relative_to(bin_dir.parent), "the procedures of the installed wheel"
    assert (elsewhere / "instance" / "demo-accounts.txt").is_file()
    port = _free_port()
    server = subprocess.Popen(
        [bin_dir / "circuit", "run", "--port", str(port), "--workers", "1"],
        cwd=elsewhere,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/", timeout=2) as r:
                    home = r.read().decode("utf-8")
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "circuit run did not answer in 60 s"
                time.sleep(0.3)
        with urllib.request.urlopen(f"{base}/api/v1/procedures", timeout=10) as r:
            procedures = json.load(r)["procedures"]
        with urllib.request.urlopen(f"{base}/static/circuit.css", timeout=10) as r:
            assert r.status == 200
        os.killpg(server.pid, signal.SIGINT)
        output = server.communicate(timeout=30)[0].decode()
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
    assert "</html>" in home
    assert len(procedures) == len(list((ROOT / "processes").glob("*.json"))) == 7
    assert "Traceback" not in output, output
