"""Timers fire through a real RQ worker process, and survive Redis losing their jobs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from redis import Redis
from sqlalchemy import select

from engine import jobs
from engine.circuit import Circuit, install
from engine.models import Notification, TaskRecord, TaskState, Timer, TimerStatus
from engine.platform.config import PROJECT_ROOT
from engine.workflow.catalog import Catalog
from tests.support.circuit import make_settings
from tests.support.engine import (
    PETITION,
    TRIAGE_TO_URBANISM,
    complete,
    ready_task_id,
    submit_petition,
)
from tests.support.seed import PASSWORD, PEOPLE

REMINDER_CATALOG = PROJECT_ROOT / "tests" / "data" / "reminder" / "processes"


@pytest.fixture
def rq_circuit(circuit: Circuit, redis_url: str) -> Iterator[Circuit]:
    """The test's Circuit, with the 4-second reminder catalog and jobs sent to real RQ."""
    settings = make_settings(
        circuit.settings.data_dir,
        circuit.settings.database_url,
        redis_url,
        processes_dir=REMINDER_CATALOG,
    )
    c = Circuit(settings=settings, db=circuit.db, catalog=Catalog.load(REMINDER_CATALOG))
    install(c)
    c.deploy_all()  # the 4-second reminder becomes the current version of the petition
    jobs.use_rq(c)
    yield c
    c.set_dispatcher(None)


def start_worker(c: Circuit) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=c.settings.database_url,
        REDIS_URL=c.settings.redis_url or "",
        CIRCUIT_DATA_DIR=str(c.settings.data_dir),
        CIRCUIT_PROCESSES_DIR=str(REMINDER_CATALOG),
        CIRCUIT_SWEEP_SECONDS="1",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "scripts.cli", "worker"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def register_and_triage(c: Circuit, people: dict[str, int]) -> int:
    rid = submit_petition(c, people["citizen"]).id
    complete(c, people["registry"], ready_task_id(c, rid), TRIAGE_TO_URBANISM)
    return rid


def wait_for_fired(c: Circuit, rid: int, worker: subprocess.Popen[bytes]) -> Timer:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with c.db.session() as s:
            timer = s.scalar(
                select(Timer).where(Timer.request_id == rid, Timer.status == TimerStatus.FIRED)
            )
            if timer is not None:
                return timer
        assert worker.poll() is None, worker.stdout.read().decode() if worker.stdout else ""
        time.sleep(0.3)
    raise AssertionError("the reminder did not fire within 60 s")


def stop(worker: subprocess.Popen[bytes]) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.kill()


def reminders(c: Circuit, rid: int) -> list[Notification]:
    with c.db.session() as s:
        return list(
            s.scalars(
                select(Notification).where(
                    Notification.request_id == rid, Notification.kind == "reminder"
                )
            )
        )


@pytest.mark.slow
def test_reminder_fires_through_the_rq_scheduler(rq_circuit, people):
    rid = register_and_triage(rq_circuit, people)
    with rq_circuit.db.session() as s:
        [timer] = s.scalars(select(Timer).where(Timer.request_id == rid)).all()
        assert timer.status == TimerStatus.WAITING and timer.department == "urbanism"
    assert jobs.rq_dispatcher(rq_circuit.redis()).is_live(
        f"timer-{timer.task_id}"
    )  # scheduled in Redis
    worker = start_worker(rq_circuit)
    try:
        fired = wait_for_fired(rq_circuit, rid, worker)
    finally:
        stop(worker)
    assert fired.fired_at is not None
    [note] = reminders(rq_circuit, rid)
    assert note.department == "urbanism" and "Reamintire" in note.message
    # Non-interrupting: the draft is still on the department's desk.
    with rq_circuit.db.session() as s:
        ready = s.scalars(
            select(TaskRecord.name).where(
                TaskRecord.request_id == rid, TaskRecord.state == TaskState.READY
            )
        )
        assert list(ready) == ["Redactare răspuns"]
    # Firing again (a duplicate job) changes nothing.
    assert jobs.fire_timer(fired.task_id) is False
    assert len(reminders(rq_circuit, rid)) == 1


@pytest.mark.slow
def test_sweep_re_enqueues_a_timer_that_redis_lost(rq_circuit, people):
    rid = register_and_triage(rq_circuit, people)
    redis: Redis = rq_circuit.redis()
    redis.flushdb()  # Redis loses every job, scheduled ones included
    with rq_circuit.db.session() as s:
        timer = s.scalar(select(Timer).where(Timer.request_id == rid))
        assert timer.status == TimerStatus.WAITING
    assert not jobs.rq_dispatcher(redis).is_live(f"timer-{timer.task_id}")
    worker = start_worker(rq_circuit)
    try:
        fired = wait_for_fired(rq_circuit, rid, worker)
    finally:
        stop(worker)
    assert fired.id == timer.id
    assert len(reminders(rq_circuit, rid)) == 1


def submit_as_citizen(app):
    """Log in through the API as the seeded citizen and submit a petition."""
    web = app.test_client()
    token = web.post(
        "/api/v1/auth/token", json={"email": PEOPLE["citizen"][0], "password": PASSWORD}
    ).get_json()["token"]
    return web.post(
        "/api/v1/requests",
        json={"procedure": "petitie", "data": PETITION},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_the_web_app_sends_its_jobs_to_rq_after_commit(circuit):
    from rq import Queue

    from webapp import create_app

    circuit.set_dispatcher(None)
    app = create_app({"TESTING": True}, circuit=circuit)  # no dispatcher given: RQ
    queue = Queue("circuit", connection=circuit.redis())
    queue.empty()
    r = submit_as_citizen(app)
    assert r.status_code == 201
    funcs = [job.func_name for job in queue.get_jobs()]
    assert funcs == ["engine.jobs.send_notification"]  # the "registered" e-mail, enqueued
    queue.empty()


def test_with_the_queue_unreachable_a_submission_still_registers(circuit, people):
    from redis import Redis

    from webapp import create_app

    circuit.set_dispatcher(jobs.rq_dispatcher(Redis(port=1, socket_connect_timeout=0.5)))  # refused
    app = create_app({"TESTING": True}, circuit=circuit)
    r = submit_as_citizen(app)
    assert r.status_code == 201 and r.get_json()["registration"]["number"] == 1
    with circuit.db.session() as s:
        note = s.scalar(select(Notification).where(Notification.request_id == r.get_json()["id"]))
        assert note is not None and note.emailed_at is None  # kept for the sweep to send


def test_a_reminder_already_due_fires_in_the_same_step_once(circuit, people, tmp_path):
    """A petition triaged after its reminder day: the department is reminded at once."""
    import dataclasses
    import json

    entry = json.loads((circuit.settings.processes_dir / "petitie.json").read_text())
    (tmp_path / "petitie.json").write_text(json.dumps({**entry, "reminder_after_seconds": 0}))
    circuit.settings = dataclasses.replace(circuit.settings, processes_dir=tmp_path)
    circuit.deploy_all()
    rid = register_and_triage(circuit, people)
    with circuit.db.session() as s:
        [timer] = s.scalars(select(Timer).where(Timer.request_id == rid)).all()
        assert timer.status == TimerStatus.FIRED and timer.department == "urbanism"
    [note] = reminders(circuit, rid)
    assert note.department == "urbanism"
    # Drafting is sent back and redone: the new boundary timer is due too, but the
    # department is not reminded twice.
    draft = ready_task_id(circuit, rid)
    complete(
        circuit,
        people["urbanism"],
        draft,
        {"actiune": "propune_raspuns", "raspuns": "Un răspuns destul de lung."},
    )
    complete(
        circuit,
        people["urbanism_head"],
        ready_task_id(circuit, rid),
        {"decizie_sef": "retrimis", "comentariu_sef": "Refaceți."},
    )
    assert len(reminders(circuit, rid)) == 1
    with circuit.db.session() as s:
        statuses = s.scalars(select(Timer.status).where(Timer.request_id == rid)).all()
        assert TimerStatus.WAITING not in statuses and len(statuses) == 3
