"""What an operator watches, read from the tables when the metrics are scraped: timers
waiting and late, and the register's lines of today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.models import RegistryEntry, Timer, TimerStatus
from engine.platform.timeutil import BUCHAREST, as_aware, utcnow

# A timer still waiting this long after its time is late: the sweep (every 15 s by default)
# re-enqueues lost ones, so one late for a minute means no worker is firing them.
LATE_AFTER = timedelta(seconds=60)


@dataclass(frozen=True)
class OperatingState:
    timers_waiting: int  # waiting, their time not yet come
    timers_due: int  # waiting, their time come
    timers_late: int  # waiting, due more than LATE_AFTER ago
    registrations_today: int  # lines of the register dated today (Romania's local date)


def operating_state(session: Session, now: datetime | None = None) -> OperatingState:
    """Count the waiting timers by whether they are due or late, and today's registrations."""
    now = as_aware(now or utcnow())
    waiting = Timer.status == TimerStatus.WAITING
    total, due, late = session.execute(
        select(
            func.count(),
            func.count().filter(Timer.due_at <= now),
            func.count().filter(Timer.due_at <= now - LATE_AFTER),
        ).where(waiting)
    ).one()
    today = now.astimezone(BUCHAREST).date()
    registered = session.scalar(select(func.count()).where(RegistryEntry.registered_on == today))
    return OperatingState(
        timers_waiting=int(total) - int(due),
        timers_due=int(due),
        timers_late=int(late),
        registrations_today=int(registered or 0),
    )
