"""Two `circuit run` processes on two ports, one database and one Redis, behave as one
system: numbers gap-free across both, a task done on one gone from the other's inbox, a
timer fired once, a session made on one valid on the other.

The nodes share what docs/running-a-county.md says they must: DATABASE_URL, REDIS_URL,
SECRET_KEY and the keys and documents folders (CIRCUIT_KEYS_DIR, CIRCUIT_DOCUMENTS_DIR);
each has a data directory of its own. On SQLite (the default run) both open the same file,
as two nodes on one machine would; with DATABASE_URL they share that PostgreSQL."""

from __future__ import annotations

import dataclasses
import http.cookiejar
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from engine.models import Notification, RegistryEntry, Timer, TimerStatus
from engine.platform.config import PROJECT_ROOT
from engine.register.chain import verify_chain
from tests.support.engine import PETITION, TRIAGE_TO_URBANISM
from tests.support.seed import PASSWORD, PEOPLE
from tests.support.web import csrf_from

pytestmark = pytest.mark.slow  # starts two servers, each with its web processes and a worker

REMINDER_CATALOG = PROJECT_ROOT / "tests" / "data" / "reminder" / "processes"
SUBMISSIONS = 16


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    """One `circuit run`, spoken to over HTTP."""

    def __init__(self, port: int, proc: subprocess.Popen[bytes]) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.proc = proc

    def call(self, method: str, path: str, token: str | None = None, body=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def token(self, who: str) -> str:
        status, body = self.call(
            "POST", "/api/v1/auth/token", body={"email": PEOPLE[who][0], "password": PASSWORD}
        )
        assert status == 200, body
        return body["token"]

    def tasks(self, token: str) -> list[dict]:
        status, body = self.call("GET", "/api/v1/tasks", token)
        assert status == 200, body
        return body["tasks"]


def _samples(node: Node) -> dict:
    with urllib.request.urlopen(f"{node.base}/metrics", timeout=30) as r:
        text = r.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _start(tmp: Path, name: str, env: dict[str, str]) -> tuple[Node, subprocess.Popen[bytes]]:
    port = _free_port()
    environ = {**os.environ, **env, "CIRCUIT_DATA_DIR": str(tmp / name)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "scripts.cli", "run", "--port", str(port), "--workers", "2"],
        cwd=PROJECT_ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return Node(port, proc), proc


def _wait_ready(node: Node) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{node.base}/readyz", timeout=2) as r:
                if json.load(r)["status"] == "ready":
                    return
        except OSError:
            pass
        assert node.proc.poll() is None, node.proc.stdout.read().decode()
        assert time.monotonic() < deadline, "circuit run did not get ready in 90 s"
        time.sleep(0.3)


@pytest.fixture
def nodes(circuit, backend, redis_url, tmp_path):
    """Two nodes on the test's database and Redis (the seeded people are in it)."""
    shared = {
        "DATABASE_URL": backend.url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "two-nodes-share-this-key-0123456789abcdef",
        "CIRCUIT_KEYS_DIR": str(tmp_path / "keys"),
        "CIRCUIT_DOCUMENTS_DIR": str(tmp_path / "documents"),
        "CIRCUIT_PROCESSES_DIR": str(REMINDER_CATALOG),  # the petition reminds in 4 s
        "CIRCUIT_SWEEP_SECONDS": "1",  # both workers sweep for due timers every second
        "CIRCUIT_SUBMISSION_LIMIT": "1000 per hour",
    }
    started = [_start(tmp_path, name, shared) for name in ("node-a", "node-b")]
    try:
        for node, _ in started:
            _wait_ready(node)
        yield [node for node, _ in started]
    finally:
        outputs = []
        for _, proc in started:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
        for _, proc in started:
            try:
                outputs.append(proc.communicate(timeout=60)[0].decode())
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                outputs.append(proc.communicate()[0].decode())
        for output in outputs:
            assert "Traceback" not in output, output


def test_two_nodes_behave_as_one(nodes, circuit, tmp_path):
    a, b = nodes
    citizen = a.token("citizen")  # a token made on one node works on the other
    registry_a, registry_b = a.token("registry"), b.token("registry")

    # Concurrent submissions, half on each node: the register's numbers have no gap.
    def submit(i: int) -> tuple[int, dict]:
        node = (a, b)[i % 2]
        return node.call(
            "POST",
            "/api/v1/requests",
            citizen,
            {"procedure": "petitie", "data": {**PETITION, "subiect": f"Cererea {i}"}},
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(submit, range(SUBMISSIONS)))
    assert [status for status, _ in answers] == [201] * SUBMISSIONS, answers
    numbers = sorted(body["registration"]["number"] for _, body in answers)
    assert numbers == list(range(1, SUBMISSIONS + 1))
    with circuit.db.session() as s:
        stored = sorted(s.scalars(select(RegistryEntry.number)))
    assert stored == numbers
    # Both nodes chained their lines with the one register key they share: the chain holds.
    circuit.settings = dataclasses.replace(circuit.settings, keys_root=tmp_path / "keys")
    with circuit.db.session() as s:
        check = verify_chain(s)
    assert check.ok and check.entries == SUBMISSIONS, check.reason

    # A task completed on A is gone from B's inbox at once (no cache between them).
    seen_on_b = b.tasks(registry_b)
    assert len(seen_on_b) == SUBMISSIONS
    task = seen_on_b[0]
    status, body = a.call(
        "POST", f"/api/v1/tasks/{task['id']}/complete", registry_a, {"data": TRIAGE_TO_URBANISM}
    )
    assert status == 200, body
    assert task["id"] not in {t["id"] for t in b.tasks(registry_b)}
    status, _ = b.call(
        "POST", f"/api/v1/tasks/{task['id']}/complete", registry_b, {"data": TRIAGE_TO_URBANISM}
    )
    assert status in (404, 409)  # B refuses to complete it again

    # The reminder (4 s after triage) fires once, though both workers sweep for it.
    rid = task["request_id"]
    deadline = time.monotonic() + 60
    while True:
        with circuit.db.session() as s:
            timers = s.scalars(select(Timer).where(Timer.request_id == rid)).all()
        if any(t.status == TimerStatus.FIRED for t in timers):
            break
        assert time.monotonic() < deadline, "the reminder did not fire within 60 s"
        time.sleep(0.3)
    time.sleep(3)  # time for a second firing, were there one: three sweeps of each worker
    with circuit.db.session() as s:
        reminders = s.scalars(
            select(Notification).where(
                Notification.request_id == rid, Notification.kind == "reminder"
            )
        ).all()
    assert len(reminders) == 1, [r.message for r in reminders]

    # Each node's /metrics adds up its gunicorn processes and its worker (multiprocess mode):
    # the registrations of both nodes, and the timer fired by one of their workers.
    scraped = [_samples(node) for node in (a, b)]
    incoming = ("circuit_registrations_total", (("direction", "in"),))
    registered = sum(m.get(incoming, 0) for m in scraped)
    assert registered == SUBMISSIONS
    fired = (("job", "fire_timer"), ("outcome", "ok"))
    assert sum(m.get(("circuit_jobs_total", fired), 0) for m in scraped) >= 1
    created = (("method", "POST"), ("route", "/api/v1/requests"), ("status", "201"))
    assert sum(m.get(("circuit_http_requests_total", created), 0) for m in scraped) == SUBMISSIONS

    # A web session made on A is valid on B.
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with browser.open(f"{a.base}/autentificare", timeout=30) as r:
        csrf = csrf_from(r.read().decode())
    form = {"email": PEOPLE["citizen"][0], "password": PASSWORD, "csrf_token": csrf}
    with browser.open(
        f"{a.base}/autentificare", data=urllib.parse.urlencode(form).encode(), timeout=30
    ) as r:
        assert r.status == 200 and "/autentificare" not in r.url
    # Cookies are per host, not per port: the jar sends A's cookie to B too.
    with browser.open(f"{b.base}/cereri", timeout=30) as r:
        page = r.read().decode()
        assert r.status == 200 and "/autentificare" not in r.url
    assert "Cererea 1" in page or "Petiție" in page
