"""Tests for engine.deadlines.legal_calendar: Romanian working days, holidays and term due dates.

Every weekday quoted in a comment was read off `calendar.month(year, month)`.
Calendar terms are "zile libere": due = start + days + 1, then moved to the next
working day if that day is a Saturday, Sunday, public holiday or bridge day.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import date, datetime
from enum import Enum

import pytest

from engine.deadlines.legal_calendar import (
    BRIDGE_DAY_NAME,
    DeadlineKind,
    LegalCalendar,
    _public_holidays,
    legal_deadline,
)

CAL = LegalCalendar()


# (start, days, expected due date) for calendar-day terms.
CALENDAR_CASES = [
    # The reference example: 10 + 15 + 1 = 26 September 2025, a Friday.
    pytest.param(date(2025, 9, 10), 15, date(2025, 9, 26), id="10-sep-2025-plus-15-is-26-sep"),
    # 10 + 9 + 1 = Sat 20 Sep 2025 -> Sun 21 -> Mon 22 Sep 2025.
    pytest.param(date(2025, 9, 10), 9, date(2025, 9, 22), id="ends-on-saturday"),
    # 1 + 10 + 1 = Sun 12 Oct 2025 -> Mon 13 Oct 2025.
    pytest.param(date(2025, 10, 1), 10, date(2025, 10, 13), id="ends-on-sunday"),
    # 30 Mar + 11 = Fri 10 Apr 2026, Orthodox Good Friday; Sat 11; Sun 12 Easter;
    # Mon 13 Easter Monday -> Tue 14 Apr 2026.
    pytest.param(date(2026, 3, 30), 10, date(2026, 4, 14), id="good-friday-2026"),
    # 7 + 11 = Fri 18 Apr 2025, Good Friday; Sat 19; Sun 20 Easter; Mon 21 Easter
    # Monday -> Tue 22 Apr 2025.
    pytest.param(date(2025, 4, 7), 10, date(2025, 4, 22), id="good-friday-2025"),
    # 9 + 11 = Sun 20 Apr 2025, Orthodox Easter; Mon 21 is Easter Monday -> Tue 22.
    pytest.param(date(2025, 4, 9), 10, date(2025, 4, 22), id="easter-sunday-2025"),
    # 10 + 11 = Mon 21 Apr 2025, Easter Monday -> Tue 22 Apr 2025.
    pytest.param(date(2025, 4, 10), 10, date(2025, 4, 22), id="easter-monday-2025"),
    # 20 May + 11 = Sun 31 May 2026, Rusalii; Mon 1 Jun 2026 is both Rusalii Monday
    # and Children's Day -> Tue 2 Jun 2026.
    pytest.param(date(2026, 5, 20), 10, date(2026, 6, 2), id="rusalii-2026-and-childrens-day"),
    # 29 May + 11 = Mon 9 Jun 2025, Rusalii Monday (Pentecost 2025 is Sun 8 Jun)
    # -> Tue 10 Jun 2025.
    pytest.param(date(2025, 5, 29), 10, date(2025, 6, 10), id="rusalii-monday-2025"),
    # 21 May + 11 = Tue 1 Jun 2027, Children's Day alone (Rusalii 2027 is 20-21 Jun)
    # -> Wed 2 Jun 2027.
    pytest.param(date(2027, 5, 21), 10, date(2027, 6, 2), id="childrens-day-2027"),
    # 20 Apr + 11 = Fri 1 May 2026, Labour Day; Sat 2; Sun 3 -> Mon 4 May 2026.
    pytest.param(date(2026, 4, 20), 10, date(2026, 5, 4), id="labour-day-2026"),
    # 4 + 11 = Fri 15 Aug 2025, Dormition; Sat 16; Sun 17 -> Mon 18 Aug 2025.
    pytest.param(date(2025, 8, 4), 10, date(2025, 8, 18), id="dormition-2025"),
    # 19 + 11 = Mon 30 Nov 2026, St Andrew; Tue 1 Dec National Day -> Wed 2 Dec 2026.
    pytest.param(date(2026, 11, 19), 10, date(2026, 12, 2), id="st-andrew-and-national-day-2026"),
    # 20 Nov + 11 = Mon 1 Dec 2025, National Day -> Tue 2 Dec 2025.
    pytest.param(date(2025, 11, 20), 10, date(2025, 12, 2), id="national-day-2025"),
    # 18 + 11 = Sat 29 Nov 2025; Sun 30 Nov St Andrew; Mon 1 Dec National Day
    # -> Tue 2 Dec 2025.
    pytest.param(
        date(2025, 11, 18),
        10,
        date(2025, 12, 2),
        id="saturday-then-st-andrew-then-national-day-2025",
    ),
    # 14 + 11 = Thu 25 Dec 2025; Fri 26 Christmas; Sat 27; Sun 28 -> Mon 29 Dec 2025.
    pytest.param(date(2025, 12, 14), 10, date(2025, 12, 29), id="christmas-2025"),
    # 21 Dec 2025 + 11 = Thu 1 Jan 2026; Fri 2 Jan holiday; Sat 3; Sun 4
    # -> Mon 5 Jan 2026 (the term crosses New Year).
    pytest.param(date(2025, 12, 21), 10, date(2026, 1, 5), id="new-year-2026"),
    # 15 + 16 = Wed 31 Dec 2025, an ordinary working day: New Year's Eve is no holiday.
    pytest.param(date(2025, 12, 15), 15, date(2025, 12, 31), id="new-years-eve-is-working"),
    # 26 Dec 2025 + 11 = Tue 6 Jan 2026 Epiphany; Wed 7 Jan St John -> Thu 8 Jan 2026.
    pytest.param(date(2025, 12, 26), 10, date(2026, 1, 8), id="epiphany-and-st-john-2026"),
    # 26 Dec 2022 + 11 = Fri 6 Jan 2023: 6-7 January became holidays only in 2024,
    # so the due date stays Fri 6 Jan 2023.
    pytest.param(date(2022, 12, 26), 10, date(2023, 1, 6), id="epiphany-2023-was-working"),
    # 13 + 11 = Fri 24 Jan 2025, Union Day; Sat 25; Sun 26 -> Mon 27 Jan 2025.
    pytest.param(date(2025, 1, 13), 10, date(2025, 1, 27), id="union-day-2025"),
]


@pytest.mark.parametrize(("start", "days", "expected"), CALENDAR_CASES)
def test_calendar_term(start: date, days: int, expected: date) -> None:
    assert CAL.deadline(start, days) == expected
    assert CAL.deadline(start, days, "calendar") == expected
    assert CAL.deadline(start, days, DeadlineKind.CALENDAR) == expected
    assert legal_deadline(start, days) == expected


# (start, working days, expected due date) for working-day terms.
WORKING_CASES = [
    # Fri 12 Sep 2025; Sat 13 and Sun 14 skipped; first working day is Mon 15 Sep.
    pytest.param(date(2025, 9, 12), 1, date(2025, 9, 15), id="friday-plus-1-is-monday"),
    # A Saturday start is not counted either: Sat 13 Sep 2025 + 1 -> Mon 15 Sep.
    pytest.param(date(2025, 9, 13), 1, date(2025, 9, 15), id="saturday-start"),
    # Wed 10 Sep 2025: 11, 12, 15, 16, 17, 18, 19, 22, 23, 24 -> 10th is Wed 24 Sep.
    pytest.param(date(2025, 9, 10), 10, date(2025, 9, 24), id="ten-working-days"),
    # Fri 19 Dec 2025: Mon 22 (1), Tue 23 (2), Wed 24 (3), Thu 25 and Fri 26
    # Christmas, weekend, Mon 29 (4), Tue 30 (5) -> Tue 30 Dec 2025.
    pytest.param(date(2025, 12, 19), 5, date(2025, 12, 30), id="across-christmas-2025"),
    # Thu 9 Apr 2026: Fri 10 Good Friday, Sat 11, Sun 12 Easter, Mon 13 Easter Monday,
    # Tue 14 (1), Wed 15 (2) -> Wed 15 Apr 2026.
    pytest.param(date(2026, 4, 9), 2, date(2026, 4, 15), id="across-easter-2026"),
]


@pytest.mark.parametrize(("start", "days", "expected"), WORKING_CASES)
def test_working_term(start: date, days: int, expected: date) -> None:
    assert CAL.deadline(start, days, DeadlineKind.WORKING) == expected
    assert CAL.deadline(start, days, "working") == expected
    assert CAL.add_working_days(start, days) == expected
    assert legal_deadline(start, days, "working") == expected


def test_bridge_day_moves_calendar_term() -> None:
    # 20 Apr + 11 = Thu 1 May 2025 Labour Day -> Fri 2 May 2025 normally.  With Fri 2 May
    # declared a bridge day, Sat 3 and Sun 4 follow -> Mon 5 May 2025.
    assert legal_deadline(date(2025, 4, 20), 10) == date(2025, 5, 2)
    bridge = {date(2025, 5, 2)}
    assert legal_deadline(date(2025, 4, 20), 10, extra_non_working=bridge) == date(2025, 5, 5)
    assert LegalCalendar(frozenset(bridge)).deadline(date(2025, 4, 20), 10) == date(2025, 5, 5)


def test_bridge_day_moves_reference_example() -> None:
    # The 26 Sep 2025 (Friday) due date moves to Mon 29 Sep 2025 if 26 Sep is a bridge day.
    bridge = [date(2025, 9, 26)]
    assert legal_deadline(date(2025, 9, 10), 15, extra_non_working=bridge) == date(2025, 9, 29)


def test_bridge_day_skipped_by_working_days() -> None:
    # Fri 12 Sep 2025 + 1 working day is Mon 15; with Mon 15 a bridge day it is Tue 16.
    cal = LegalCalendar(frozenset({date(2025, 9, 15)}))
    assert cal.add_working_days(date(2025, 9, 12), 1) == date(2025, 9, 16)
    assert cal.deadline(date(2025, 9, 12), 1, "working") == date(2025, 9, 16)


def test_holiday_name_for_bridge_day_and_holidays() -> None:
    cal = LegalCalendar(frozenset({date(2025, 5, 2), date(2025, 12, 25)}))
    assert cal.holiday_name(date(2025, 5, 2)) == BRIDGE_DAY_NAME
    # A public holiday keeps its own name even if also listed as a bridge day.
    assert cal.holiday_name(date(2025, 12, 25)) == "Crăciunul"
    # Mon 1 Jun 2026 is both Rusalii Monday and Children's Day.
    name = cal.holiday_name(date(2026, 6, 1))
    assert name is not None and "Rusalii" in name and "Copilului" in name
    # An ordinary weekend day has no holiday name.
    assert cal.holiday_name(date(2025, 9, 13)) is None
    assert cal.holiday_name(date(2025, 9, 15)) is None


# Orthodox Easter Sundays: 5 May 2024, 20 Apr 2025, 12 Apr 2026, 2 May 2027.
ORTHODOX_HOLIDAYS = {
    2024: [
        date(2024, 5, 3),
        date(2024, 5, 5),
        date(2024, 5, 6),
        date(2024, 6, 23),
        date(2024, 6, 24),
    ],
    2025: [
        date(2025, 4, 18),
        date(2025, 4, 20),
        date(2025, 4, 21),
        date(2025, 6, 8),
        date(2025, 6, 9),
    ],
    2026: [
        date(2026, 4, 10),
        date(2026, 4, 12),
        date(2026, 4, 13),
        date(2026, 5, 31),
        date(2026, 6, 1),
    ],
    2027: [
        date(2027, 4, 30),
        date(2027, 5, 2),
        date(2027, 5, 3),
        date(2027, 6, 20),
        date(2027, 6, 21),
    ],
}
FIXED_HOLIDAYS = [
    (1, 1),
    (1, 2),
    (1, 6),
    (1, 7),
    (1, 24),
    (5, 1),
    (6, 1),
    (8, 15),
    (11, 30),
    (12, 1),
    (12, 25),
    (12, 26),
]


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027])
def test_labour_code_holidays_are_non_working(year: int) -> None:
    # Labour Code art. 139: every listed day is non-working and named, and no other
    # weekday of the year is a public holiday.
    expected = {date(year, m, d) for m, d in FIXED_HOLIDAYS} | set(ORTHODOX_HOLIDAYS[year])
    for day in expected:
        assert not CAL.is_working_day(day), day
        assert CAL.holiday_name(day) is not None, day
    assert set(_public_holidays(year)) == expected


def test_is_working_day_and_next_working_day() -> None:
    assert CAL.is_working_day(date(2025, 9, 26))  # Friday
    assert not CAL.is_working_day(date(2025, 9, 27))  # Saturday
    assert not CAL.is_working_day(date(2025, 9, 28))  # Sunday
    assert CAL.next_working_day(date(2025, 9, 26)) == date(2025, 9, 26)  # itself
    assert CAL.next_working_day(date(2025, 9, 27)) == date(2025, 9, 29)
    # Fri 10 Apr 2026 Good Friday -> Tue 14 Apr 2026 (weekend, Easter Monday between).
    assert CAL.next_working_day(date(2026, 4, 10)) == date(2026, 4, 14)


def test_add_working_days_zero_is_start() -> None:
    assert CAL.add_working_days(date(2025, 9, 13), 0) == date(2025, 9, 13)


def test_datetime_inputs_are_treated_as_dates() -> None:
    start = datetime(2025, 9, 10, 16, 45)
    assert CAL.deadline(start, 15) == date(2025, 9, 26)
    assert type(CAL.deadline(start, 15)) is date
    cal = LegalCalendar(frozenset({datetime(2025, 9, 26, 0, 0)}))
    assert cal.deadline(date(2025, 9, 10), 15) == date(2025, 9, 29)


def test_kind_strings_are_case_insensitive() -> None:
    assert CAL.deadline(date(2025, 9, 12), 1, "WORKING") == date(2025, 9, 15)
    assert DeadlineKind("calendar") is DeadlineKind.CALENDAR
    assert DeadlineKind.WORKING == "working"
    # A str and an Enum; f-strings and str() give the bare value, safe to store.
    assert isinstance(DeadlineKind.WORKING, str) and isinstance(DeadlineKind.WORKING, Enum)
    assert f"{DeadlineKind.WORKING}" == str(DeadlineKind.WORKING) == "working"


@pytest.mark.parametrize("days", [0, -1, -15])
def test_non_positive_days_rejected(days: int) -> None:
    with pytest.raises(ValueError, match="at least 1 day"):
        CAL.deadline(date(2025, 9, 10), days)
    with pytest.raises(ValueError, match="at least 1 day"):
        legal_deadline(date(2025, 9, 10), days, "working")


@pytest.mark.parametrize("kind", ["business", "", "zile", None, 3])
def test_unknown_kind_rejected(kind: object) -> None:
    with pytest.raises(ValueError, match="unknown deadline kind"):
        CAL.deadline(date(2025, 9, 10), 15, kind)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown deadline kind"):
        legal_deadline(date(2025, 9, 10), 15, kind)  # type: ignore[arg-type]


def test_negative_working_days_rejected() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        CAL.add_working_days(date(2025, 9, 10), -1)


@pytest.mark.parametrize("days", [1.5, "15", True])
def test_non_integer_days_rejected(days: object) -> None:
    with pytest.raises(TypeError):
        CAL.deadline(date(2025, 9, 10), days)  # type: ignore[arg-type]


def test_calendar_is_frozen_and_hashable() -> None:
    cal = LegalCalendar(frozenset({date(2025, 5, 2)}))
    with pytest.raises(FrozenInstanceError):
        cal.extra_non_working = frozenset()  # type: ignore[misc]
    assert cal == LegalCalendar(frozenset({date(2025, 5, 2)}))
    assert hash(cal) == hash(LegalCalendar(frozenset({date(2025, 5, 2)})))


def test_holidays_are_built_once_per_year() -> None:
    _public_holidays(2026)
    before = _public_holidays.cache_info()
    for _ in range(50):
        legal_deadline(date(2026, 3, 30), 10)
    after = _public_holidays.cache_info()
    assert after.misses == before.misses
    assert after.hits > before.hits
