"""Timers survive faults: a worker killed mid-firing, Redis emptied, a race with an official,
a day without any worker. Real RQ workers on real Redis, and the test's database."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select

from engine import jobs
from engine.circuit import Circuit, install
from engine.models import Instance, Notification, TaskRecord, TaskState, Timer, TimerStatus
from engine.platform.config import PROJECT_ROOT
from engine.platform.timeutil import as_aware, moved_clock
from engine.workflow import runtime
from engine.workflow.catalog import Catalog
from tests.support.circuit import make_settings
from tests.support.engine import TRIAGE_TO_URBANISM, complete, ready_task_id, submit_petition
from tests.support.worker import kill_worker, start_worker, stop_worker, wait_until

REMINDER_CATALOG = PROJECT_ROOT / "tests" / "data" / "reminder" / "processes"
DRAFT = {"actiune": "propune_raspuns", "raspuns": "Un răspuns destul de lung pentru petent."}


@pytest.fixture
def rq_circuit(circuit: Circuit, redis_url: str) -> Iterator[Circuit]:
    """The test's Circuit with the 4-second reminder catalog, its jobs sent to real RQ."""
    settings = make_settings(
        circuit.settings.data_dir,
        circuit.settings.database_url,
        redis_url,
        processes_dir=REMINDER_CATALOG,
    )
    c = Circuit(settings=settings, db=circuit.db, catalog=Catalog.load(REMINDER_CATALOG))
    install(c)
    c.deploy_all()
    c.redis().flushdb()  # nothing left over from another test
    jobs.use_rq(c)
    yield c
    c.set_dispatcher(None)
    c.redis().flushdb()


def triaged(c: Circuit, people: dict[str, int]) -> int:
    rid = submit_petition(c, people["citizen"]).id
    complete(c, people["registry"], ready_task_id(c, rid), TRIAGE_TO_URBANISM)
    return rid


def timer_of(c: Circuit, rid: int) -> Timer:
    with c.db.session() as s:
        timer = s.scalar(select(Timer).where(Timer.request_id == rid))
        assert timer is not None
        return timer


def reminders(c: Circuit, rid: int) -> int:
    with c.db.session() as s:
        return len(
            s.scalars(
                select(Notification.id).where(
                    Notification.request_id == rid, Notification.kind == "reminder"
                )
            ).all()
        )


def fired(c: Circuit, rids: list[int]) -> list[Timer]:
    with c.db.session() as s:
        rows = s.scalars(
            select(Timer).where(Timer.request_id.in_(rids), Timer.status != TimerStatus.WAITING)
        ).all()
        return list(rows) if len(rows) == len(rids) else []


def unsent(c: Circuit) -> list[int]:
    with c.db.session() as s:
        return list(s.scalars(select(Notification.id).where(Notification.emailed_at.is_(None))))


def job_status(c: Circuit, job_id: str) -> JobStatus | None:
    try:
        return Job.fetch(job_id, connection=c.redis()).get_status()
    except NoSuchJobError:
        return None


@pytest.mark.slow
def test_a_worker_killed_while_firing_leaves_the_timer_to_fire_once(rq_circuit, people):
    c = rq_circuit
    with moved_clock(timedelta(seconds=20)):  # its reminder is due 24 s from now
        rid = triaged(c, people)
    timer = timer_of(c, rid)
    key = f"timer-{timer.task_id}"
    worker = start_worker(c, REMINDER_CATALOG)
    try:
        wait_until(lambda: not unsent(c), worker)  # the e-mails first (one writer on SQLite)
        # Hold the instance (a long step elsewhere): the worker's firing starts and waits.
        with c.db.transaction() as s:
            runtime.lock(s, timer.instance_id)
            wait_until(lambda: job_status(c, key) == JobStatus.STARTED, worker)
            time.sleep(0.5)  # inside fire_timer, waiting for the lock
            kill_worker(worker)  # and its RQ scheduler: both gone, the lock left behind
        assert timer_of(c, rid).status == TimerStatus.WAITING  # nothing half-done
        assert reminders(c, rid) == 0
        # Redis still says the job runs; a new worker sees it ran too long and fires again.
        assert job_status(c, key) == JobStatus.STARTED
        worker = start_worker(c, REMINDER_CATALOG, CIRCUIT_JOB_STALE_SECONDS="2")
        wait_until(lambda: fired(c, [rid]), worker)
        time.sleep(3)  # more sweeps pass: a second firing would show
    finally:
        stop_worker(worker)
    done = timer_of(c, rid)
    assert done.status == TimerStatus.FIRED and reminders(c, rid) == 1


@pytest.mark.slow
def test_redis_emptied_every_pending_timer_still_fires(rq_circuit, people):
    c = rq_circuit
    rids = [triaged(c, people) for _ in range(8)]
    c.redis().flushdb()  # Redis restarted empty: every scheduled job gone
    assert not c.redis().keys("rq:job:*")
    worker = start_worker(c, REMINDER_CATALOG)
    try:
        rows = wait_until(lambda: fired(c, rids), worker)
    finally:
        stop_worker(worker)
    assert {t.status for t in rows} == {TimerStatus.FIRED}
    assert [reminders(c, rid) for rid in rids] == [1] * len(rids)


@pytest.mark.slow
def test_after_a_day_without_worker_overdue_timers_fire_in_due_order(rq_circuit, people):
    c = rq_circuit
    rids: list[int] = []
    for minutes in (10, 20, 30, 40, 50):  # yesterday; each request made earlier, so due earlier
        with moved_clock(-timedelta(days=1, minutes=minutes)):
            rids.append(triaged(c, people))
            if len(rids) == 3:  # its draft is finished at once: nothing left to remind of
                complete(c, people["urbanism"], ready_task_id(c, rids[-1]), DRAFT)
    done_rid = rids[2]
    with c.db.session() as s:  # the drafting reminder is cancelled; the approval has its own
        cancelled, approval = s.scalars(
            select(Timer).where(Timer.request_id == done_rid).order_by(Timer.id)
        ).all()
    assert cancelled.status == TimerStatus.CANCELLED and approval.status == TimerStatus.WAITING
    waiting = [rid for rid in rids if rid != done_rid]
    worker = start_worker(c, REMINDER_CATALOG)
    try:
        rows = wait_until(lambda: fired(c, waiting), worker)
        wait_until(lambda: job_status(c, f"timer-{cancelled.task_id}") == JobStatus.FINISHED)
        wait_until(lambda: reminders(c, done_rid) == 1, worker)  # the approval's reminder
    finally:
        stop_worker(worker)
    # Every overdue timer fired, once, oldest due first: the worker's first sweep sends them
    # all to the queue in due order (RQ's scheduler has none left to move), one worker
    # takes them in that order.
    assert all(t.fired_at is not None for t in rows)
    by_due = [t.request_id for t in sorted(rows, key=lambda t: as_aware(t.due_at))]
    by_firing = [t.request_id for t in sorted(rows, key=lambda t: as_aware(t.fired_at))]
    assert by_due == list(reversed(waiting))
    assert by_firing == by_due
    assert [reminders(c, rid) for rid in waiting] == [1] * len(waiting)
    # The reminder of the finished draft ran in the worker and did nothing.
    ran = Job.fetch(f"timer-{cancelled.task_id}", connection=c.redis())
    assert ran.return_value() is False
    with c.db.session() as s:
        again = s.get(Timer, cancelled.id)
        assert again.status == TimerStatus.CANCELLED and again.fired_at is None


def test_a_timer_and_an_official_at_the_same_moment_lose_no_update(circuit, people):
    """The reminder fires while the official finishes the draft: both land, or the reminder
    finds the draft done and does nothing; the official's work is never lost."""
    outcomes = []
    for _ in range(3):
        rid = triaged(circuit, people)
        timer = timer_of(circuit, rid)
        draft = ready_task_id(circuit, rid)
        with circuit.db.session() as s:
            revision = s.get(Instance, timer.instance_id).revision
        start = threading.Barrier(2)
        errors: list[BaseException] = []
        result: list[bool] = []

        def fire(
            start: threading.Barrier = start,
            task_id: str = timer.task_id,
            result: list[bool] = result,
            errors: list[BaseException] = errors,
        ) -> None:
            try:
                start.wait()
                result.append(jobs.fire_timer(task_id))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        with moved_clock() as clock:
            clock.move_to(as_aware(timer.due_at) + timedelta(minutes=1))
            firing = threading.Thread(target=fire)
            firing.start()
            start.wait()
            complete(circuit, people["urbanism"], draft, DRAFT)
            firing.join()
        assert not errors
        with circuit.db.session() as s:
            row = s.scalar(select(Timer).where(Timer.task_id == timer.task_id))
            instance = s.get(Instance, timer.instance_id)
            ready = s.scalars(
                select(TaskRecord.name).where(
                    TaskRecord.request_id == rid, TaskRecord.state == TaskState.READY
                )
            ).all()
        assert ready == ["Aprobare răspuns"]  # the official's completion is kept
        assert row.status in (TimerStatus.FIRED, TimerStatus.CANCELLED)
        # Whichever went first, the department is reminded at most once (the completion's
        # own step may fire a reminder already due; the job then finds nothing to do).
        assert reminders(circuit, rid) <= 1
        # Each save that happened is counted: none overwrote another.
        assert instance.revision == revision + (2 if result == [True] else 1)
        if result == [True]:
            assert reminders(circuit, rid) == 1
        outcomes.append(result)
    assert len(outcomes) == 3
