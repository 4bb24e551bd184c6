"""One clock for the engine: tests move time instead of sleeping, and timers obey it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from engine import jobs
from engine.models import Notification, Timer, TimerStatus
from engine.platform import timeutil
from engine.platform.timeutil import as_aware, moved_clock
from tests.support.engine import TRIAGE_TO_URBANISM, complete, ready_task_id, submit_petition


def test_moving_the_clock_moves_now_today_and_back():
    real = timeutil.now()
    with moved_clock(timedelta(days=3)) as clock:
        assert timeutil.now() - real >= timedelta(days=3)
        clock.move_to(datetime(2027, 1, 4, 7, 0, tzinfo=UTC))  # 09:00 in Bucharest
        assert timeutil.local_today().isoformat() == "2027-01-04"
        assert timeutil.local_now().hour == 9
    assert timeutil.now() - real < timedelta(days=1)  # the machine's clock again


def test_a_reminder_fires_when_the_clock_reaches_it_not_before(circuit, people):
    rid = submit_petition(circuit, people["citizen"]).id
    complete(circuit, people["registry"], ready_task_id(circuit, rid), TRIAGE_TO_URBANISM)
    with circuit.db.session() as s:
        [timer] = s.scalars(select(Timer).where(Timer.request_id == rid)).all()
        task_id, due = timer.task_id, as_aware(timer.due_at)
    assert due > timeutil.now() + timedelta(days=10)
    assert jobs.fire_timer(task_id) is False  # not due: nothing happens
    with moved_clock() as clock:
        clock.move_to(due + timedelta(minutes=1))
        assert jobs.fire_timer(task_id) is True
    with circuit.db.session() as s:
        timer = s.scalar(select(Timer).where(Timer.task_id == task_id))
        assert timer.status == TimerStatus.FIRED
        assert as_aware(timer.fired_at) >= due  # stamped by the moved clock
        notes = s.scalars(
            select(Notification).where(
                Notification.request_id == rid, Notification.kind == "reminder"
            )
        ).all()
        assert len(notes) == 1 and notes[0].department == "urbanism"
