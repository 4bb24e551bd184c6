"""Redis holds only the timers due within the sweep's horizon, scheduled at their time
rounded up to the second; the database holds the rest, and the sweep brings them to RQ.
A timer whose scheduler died is sent by the sweep itself. Real RQ on real Redis, run
in-process; the clock is moved instead of waiting."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from rq import Queue
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from engine import jobs
from engine.circuit import Circuit, install
from engine.models import Timer, TimerStatus
from engine.platform.config import PROJECT_ROOT
from engine.platform.rqueue import HORIZON, QUEUE_NAME
from engine.platform.timeutil import as_aware, moved_clock
from engine.workflow.catalog import Catalog
from tests.support.circuit import make_settings
from tests.support.engine import TRIAGE_TO_URBANISM, complete, ready_task_id, submit_petition

REMINDER_CATALOG = PROJECT_ROOT / "tests" / "data" / "reminder" / "processes"


@pytest.fixture
def rq_jobs(circuit: Circuit) -> Iterator[Circuit]:
    """The test's Circuit sending its jobs to real RQ, on an empty Redis database."""
    circuit.redis().flushdb()
    jobs.use_rq(circuit)
    yield circuit
    circuit.set_dispatcher(None)
    circuit.redis().flushdb()


def triaged(c: Circuit, people: dict[str, int]) -> Timer:
    rid = submit_petition(c, people["citizen"]).id
    complete(c, people["registry"], ready_task_id(c, rid), TRIAGE_TO_URBANISM)
    with c.db.session() as s:
        timer = s.scalar(select(Timer).where(Timer.request_id == rid))
    assert timer is not None and timer.status == TimerStatus.WAITING
    return timer


def scheduled(c: Circuit) -> dict[str, float]:
    registry = ScheduledJobRegistry(queue=Queue(QUEUE_NAME, connection=c.redis()))
    return {k.decode(): v for k, v in c.redis().zrange(registry.key, 0, -1, withscores=True)}


def test_a_timer_days_away_stays_in_the_database_until_the_sweep_brings_it(rq_jobs, people):
    c = rq_jobs
    timer = triaged(c, people)  # the petition's reminder: days away
    key = f"timer-{timer.task_id}"
    due = as_aware(timer.due_at)
    assert scheduled(c) == {}  # nothing in Redis for it
    dispatcher = jobs.rq_dispatcher(c.redis())
    with moved_clock() as clock:
        clock.move_to(due - HORIZON - timedelta(minutes=1))
        jobs.sweep(dispatcher)
        assert key not in scheduled(c)  # not yet within the horizon
        clock.move_to(due - HORIZON + timedelta(minutes=1))
        jobs.sweep(dispatcher)
        # In RQ's scheduler at its due time, rounded up to the second (never before it).
        assert scheduled(c)[key] == int(due.timestamp()) + (1 if due.microsecond else 0)
        assert dispatcher.is_live(key)
        assert jobs.sweep(dispatcher) == 0  # Redis holds it: not sent twice


def test_an_overdue_timer_whose_scheduler_died_is_sent_by_the_sweep(circuit, people):
    settings = make_settings(
        circuit.settings.data_dir,
        circuit.settings.database_url,
        circuit.settings.redis_url,
        processes_dir=REMINDER_CATALOG,
    )
    c = Circuit(settings=settings, db=circuit.db, catalog=Catalog.load(REMINDER_CATALOG))
    install(c)
    c.deploy_all()  # the 4-second reminder
    c.redis().flushdb()
    jobs.use_rq(c)
    try:
        with moved_clock(-timedelta(hours=1)):  # its reminder was due an hour ago
            timer = triaged(c, people)
        key = f"timer-{timer.task_id}"
        assert key in scheduled(c)  # scheduled then; no scheduler has moved it since
        queue = Queue(QUEUE_NAME, connection=c.redis())
        emails = queue.job_ids  # the e-mails' jobs, waiting
        dispatcher = jobs.rq_dispatcher(c.redis())
        assert not dispatcher.is_live(key)
        assert jobs.sweep(dispatcher) == 1
        # Straight to the queue, and out of the scheduler's registry: it runs once.
        assert queue.job_ids == [*emails, key] and key not in scheduled(c)
        assert jobs.fire_timer(timer.task_id) is True
    finally:
        c.set_dispatcher(None)
        c.redis().flushdb()
        install(circuit)
