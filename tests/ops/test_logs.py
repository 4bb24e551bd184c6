"""Structured logs: one JSON object per line, a request id that follows a request into the
jobs it enqueues and into the worker's lines, and no secret in any line."""

from __future__ import annotations

import io
import json
import logging

import pytest
from rq import Queue

from engine import jobs
from engine.platform import logs
from engine.platform.rqueue import QUEUE_NAME
from tests.support.api import submit
from tests.support.seed import PASSWORD, PEOPLE


@pytest.fixture
def json_log():
    """The root logger writing JSON lines to a buffer, as `circuit worker` does."""
    stream = io.StringIO()
    logs.configure({"CIRCUIT_LOG_FORMAT": "json"}, level=logging.INFO, stream=stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line]
    root = logging.getLogger()
    for h in [h for h in root.handlers if getattr(h, "circuit", False)]:
        root.removeHandler(h)
    root.setLevel(logging.WARNING)


def test_a_sane_request_id_is_kept_and_an_odd_one_replaced(client):
    r = client.get("/healthz", headers={"X-Request-Id": "proxy-7f3a9c21"})
    assert r.headers["X-Request-Id"] == "proxy-7f3a9c21"
    for odd in ("x", "<script>alert(1)</script>", "a" * 200, "two words here"):
        r = client.get("/healthz", headers={"X-Request-Id": odd})
        given = r.headers["X-Request-Id"]
        assert given != odd and len(given) == 32 and int(given, 16) >= 0
    first = client.get("/").headers["X-Request-Id"]
    assert first != client.get("/").headers["X-Request-Id"]


def test_the_request_id_follows_into_the_job_and_the_worker_log(client, api_for, circuit, json_log):
    # The real RQ path: jobs go to Redis after commit, the worker runs them in burst mode.
    queue = Queue(QUEUE_NAME, connection=circuit.redis())
    queue.empty()
    circuit.set_dispatcher(jobs.rq_dispatcher(circuit.redis()))
    headers = {**api_for("citizen"), "X-Request-Id": "req-0123456789abcdef"}
    r = submit(client, headers)
    assert r.status_code == 201, r.get_json()
    assert r.headers["X-Request-Id"] == "req-0123456789abcdef"
    enqueued = queue.get_jobs()
    assert enqueued, "the submission asked for no job"
    assert {j.meta.get("request_id") for j in enqueued} == {"req-0123456789abcdef"}

    jobs.work(circuit, burst=True)
    lines = json_log()
    ran = [line for line in lines if line.get("job_id") in {j.id for j in enqueued}]
    assert ran, lines
    assert all(line["request_id"] == "req-0123456789abcdef" for line in ran)
    for line in lines:
        assert {"time", "level", "logger", "message"} <= line.keys()


def test_json_access_lines_name_the_route_and_the_request(app, client, circuit, json_log):
    import dataclasses

    circuit.settings = dataclasses.replace(circuit.settings, log_format="json")
    r = client.get("/api/v1/requests/424242", headers={"X-Request-Id": "abcdef0123456789"})
    assert r.status_code in (401, 404)
    [line] = [line for line in json_log() if line["logger"] == "circuit.access"]
    assert line["request_id"] == "abcdef0123456789"
    assert line["route"].startswith("/api/v1/requests/<") and "424242" not in json.dumps(line)
    assert line["status"] == r.status_code and line["duration_ms"] >= 0


def test_no_secret_reaches_a_log_line(client, json_log):
    log = logging.getLogger("engine.test")
    log.warning("login failed password=%s for 1800101221144", "hunter2-secret")
    log.warning('payload {"parola": "Parola-Mea-1", "token": "abc.def"}')
    log.warning("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.sig and cookie=session%3Dxyz")
    try:
        raise ValueError("cnp 2850412123456 refused")
    except ValueError:
        log.exception("failed")
    # A real login, right and wrong, through the API and the form.
    email = PEOPLE["citizen"][0]
    client.post("/api/v1/auth/token", json={"email": email, "password": "Greșită-Parola-9"})
    token = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert token.status_code == 200
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in json_log())
    for secret in (
        "hunter2-secret",
        "1800101221144",
        "Parola-Mea-1",
        "abc.def",
        "eyJhbGciOiJIUzI1NiJ9",
        "session%3Dxyz",
        "2850412123456",
        "Greșită-Parola-9",
        PASSWORD,
        token.get_json()["token"],
    ):
        assert secret not in text
    assert "***" in text and "login failed" in text
