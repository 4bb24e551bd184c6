"""Clock and time zone helpers: Romania's local time for dates, UTC for instants.

Every "now" in the engine comes from one clock, `now()`; tests replace it (`set_clock`,
`moved_clock`) to move time forward instead of sleeping. The workflow engine's timers read
the same clock (engine.workflow.runtime hands it to SpiffWorkflow)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

BUCHAREST = ZoneInfo("Europe/Bucharest")

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The machine's clock, timezone-aware, in UTC."""
    return datetime.now(UTC)


_clock: Clock = system_clock


def now() -> datetime:
    """Return the current instant by the engine's clock, timezone-aware, in UTC."""
    return as_aware(_clock()).astimezone(UTC)


def utcnow() -> datetime:
    """Return the current instant, timezone-aware, in UTC (the engine's clock)."""
    return now()


def set_clock(clock: Clock | None) -> None:
    """Make `clock` the engine's clock for this process (None: the machine's clock again)."""
    global _clock
    _clock = clock or system_clock


class MovableClock:
    """A clock that runs with the machine's, shifted by an offset that tests move."""

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def __call__(self) -> datetime:
        return system_clock() + self.offset

    def move(self, by: timedelta) -> None:
        """Jump forward (or back) by `by`."""
        self.offset += by

    def move_to(self, instant: datetime) -> None:
        """Jump so that it is `instant` now."""
        self.offset = as_aware(instant) - system_clock()


@contextmanager
def moved_clock(offset: timedelta = timedelta(0)) -> Iterator[MovableClock]:
    """Run the engine on a clock `offset` away from the machine's; yield it to move further."""
    clock = MovableClock(offset)
    previous = _clock
    set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(previous)


def local_now() -> datetime:
    """Return the current time in Europe/Bucharest."""
    return now().astimezone(BUCHAREST)


def local_today() -> date:
    """Return today's date in Romania."""
    return local_now().date()


def as_aware(value: datetime) -> datetime:
    """Return a datetime with a time zone (SQLite hands back naive UTC values)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def iso(value: datetime | None) -> str | None:
    """Format an instant as ISO 8601 with offset, in Romania's local time."""
    if value is None:
        return None
    return as_aware(value).astimezone(BUCHAREST).isoformat(timespec="seconds")
