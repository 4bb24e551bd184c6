"""Romanian legal calendar: working days, public holidays and the due dates of terms.

Rules implemented here:

* A term in calendar days is counted in "zile libere" (Civil Procedure Code art. 181,
  Civil Code art. 2551-2554): neither the day it starts nor the day it ends is counted,
  so a term of N days starting on S can still be met on S + N + 1.  If that day is not a
  working day, the term ends on the next working day.
* A term in working days ends on the N-th working day after the start day.
* Non-working days are Saturdays, Sundays, the public holidays of Labour Code art. 139
  (taken from the ``holidays`` package) and the bridge days ("zile libere punte") the
  Government grants each year, which callers pass in as data.

Pure Python: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType

import holidays

__all__ = [
    "BRIDGE_DAY_NAME",
    "DeadlineKind",
    "LegalCalendar",
    "legal_deadline",
]

BRIDGE_DAY_NAME = "Zi liberă (punte)"

_ONE_DAY = timedelta(days=1)

# Fixed-date holidays of Labour Code art. 139 as in force since 2024 (6-7 January were
# added by Law 52/2023 from 2024 on).  `holidays` 0.109 already has every one of them
# for 2024-2027 (checked date by date, together with the movable Orthodox Good Friday,
# Easter Sunday/Monday and Pentecost Sunday/Monday); this table only guards against an
# older or regressed `holidays` release dropping a fixed date.  Entries the package
# already has keep the package's name.
_FIXED_HOLIDAYS_SINCE_2024: tuple[tuple[int, int, str], ...] = (
    (1, 1, "Anul Nou"),
    (1, 2, "Anul Nou"),
    (1, 6, "Botezul Domnului - Boboteaza"),
    (1, 7, "Soborul Sfântului Proroc Ioan Botezătorul"),
    (1, 24, "Ziua Unirii Principatelor Române"),
    (5, 1, "Ziua Muncii"),
    (6, 1, "Ziua Copilului"),
    (8, 15, "Adormirea Maicii Domnului"),
    (11, 30, "Sfântul Apostol Andrei, cel Întâi chemat, Ocrotitorul României"),
    (12, 1, "Ziua Națională a României"),
    (12, 25, "Crăciunul"),
    (12, 26, "Crăciunul"),
)


class DeadlineKind(StrEnum):
    """How the days of a term are counted."""

    CALENDAR = "calendar"
    WORKING = "working"


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> Mapping[date, str]:
    """Return Romania's public holidays of one year, mapped to their Romanian names."""
    # Building a `holidays` object is slow, so each year is built once per process and
    # frozen; a term crossing New Year simply consults two cached years.
    found = holidays.country_holidays("RO", years=year, language="ro")
    table: dict[date, str] = dict(found.items())
    if year >= 2024:
        for month, day, name in _FIXED_HOLIDAYS_SINCE_2024:
            table.setdefault(date(year, month, day), name)
    return MappingProxyType(table)


def _as_date(day: date) -> date:
    """Return the calendar date of a date or datetime."""
    return day.date() if isinstance(day, datetime) else day


def _parse_kind(kind: DeadlineKind | str) -> DeadlineKind:
    """Return the DeadlineKind named by `kind`, or raise ValueError."""
    if isinstance(kind, DeadlineKind):
        return kind
    if isinstance(kind, str):
        try:
            return DeadlineKind(kind.strip().lower())
        except ValueError:
            pass
    raise ValueError(f"unknown deadline kind {kind!r}; expected 'calendar' or 'working'")


def _check_days(days: int) -> None:
    """Raise unless `days` is a whole number of days, at least 1."""
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError(f"a term's length must be an integer number of days, got {days!r}")
    if days < 1:
        raise ValueError(f"a term must be at least 1 day long, got {days}")


@dataclass(frozen=True)
class LegalCalendar:
    """Romanian working-day calendar, plus the bridge days an administrator added."""

    extra_non_working: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        """Freeze the bridge days into a frozenset of plain dates."""
        frozen = frozenset(_as_date(day) for day in self.extra_non_working)
        object.__setattr__(self, "extra_non_working", frozen)

    def is_working_day(self, day: date) -> bool:
        """Tell whether public offices work on `day`."""
        day = _as_date(day)
        return (
            day.weekday() < 5
            and day not in self.extra_non_working
            and day not in _public_holidays(day.year)
        )

    def next_working_day(self, day: date) -> date:
        """Return `day` if it is a working day, else the first working day after it."""
        day = _as_date(day)
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def deadline(
        self, start: date, days: int, kind: DeadlineKind | str = DeadlineKind.CALENDAR
    ) -> date:
        """Return the last day on which a term of `days` days starting on `start` is met."""
        kind = _parse_kind(kind)
        _check_days(days)
        start = _as_date(start)
        if kind is DeadlineKind.WORKING:
            return self.add_working_days(start, days)
        # Zile libere: skip the start day, count N days, and the day after them is the
        # last one the term can be met on; a non-working last day moves to the next one.
        return self.next_working_day(start + timedelta(days=days + 1))

    def add_working_days(self, start: date, n: int) -> date:
        """Return the n-th working day after `start` (`start` itself when n is 0)."""
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"the number of working days must be an integer, got {n!r}")
        if n < 0:
            raise ValueError(f"the number of working days cannot be negative, got {n}")
        day = _as_date(start)
        while n > 0:
            day += _ONE_DAY
            if self.is_working_day(day):
                n -= 1
        return day

    def holiday_name(self, day: date) -> str | None:
        """Return the name of the public holiday or bridge day on `day`, else None."""
        day = _as_date(day)
        name = _public_holidays(day.year).get(day)
        if name is not None:
            return name
        if day in self.extra_non_working:
            return BRIDGE_DAY_NAME
        return None


def legal_deadline(
    start: date,
    days: int,
    kind: DeadlineKind | str = "calendar",
    extra_non_working: Iterable[date] = (),
) -> date:
    """Return the due date of a term of `days` days starting on `start`."""
    return LegalCalendar(frozenset(extra_non_working)).deadline(start, days, kind)
