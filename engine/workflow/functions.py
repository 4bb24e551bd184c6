"""The functions diagram expressions may call: legal dates, rounding, text, safe builtins.

Each takes and returns plain JSON values (dates are `"YYYY-MM-DD"` strings, instants ISO
8601 strings with Romania's offset), so task data stays serializable. `termen` and
`zi_lucratoare` use the legal calendar of the running Circuit, bridge days included, which
the runtime hands in for each engine step through `use_calendar`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from engine.deadlines.legal_calendar import DeadlineKind, LegalCalendar
from engine.platform.timeutil import BUCHAREST, local_now

MAX_DAYS = 36_600  # a term or a date shift of at most about a century
MAX_DIGITS = 100  # rounding to at most this many decimals (or tens, hundreds... before)

_calendar: ContextVar[Callable[[], LegalCalendar] | None] = ContextVar(
    "circuit_script_calendar", default=None
)


class ScriptFunctionError(ValueError):
    """A function of the expressions was called with values it cannot use."""


@contextmanager
def use_calendar(provider: Callable[[], LegalCalendar]) -> Iterator[None]:
    """Make `termen` and `zi_lucratoare` use the calendar `provider` returns, when first asked."""
    cache: list[LegalCalendar] = []

    def once() -> LegalCalendar:
        if not cache:
            cache.append(provider())
        return cache[0]

    token = _calendar.set(once)
    try:
        yield
    finally:
        _calendar.reset(token)


def current_calendar() -> LegalCalendar:
    """Return the calendar of this engine step (without bridge days outside one)."""
    provider = _calendar.get()
    return provider() if provider is not None else LegalCalendar()


def _day(value: Any, what: str = "data") -> date:
    """Read a `"YYYY-MM-DD"` date, or the Romanian date of an ISO 8601 instant."""
    if isinstance(value, str):
        try:
            if len(value) == 10:
                return date.fromisoformat(value)
            moment_ = datetime.fromisoformat(value)
            if moment_.tzinfo is not None:
                moment_ = moment_.astimezone(BUCHAREST)
            return moment_.date()
        except ValueError:
            pass
    raise ScriptFunctionError(
        f"{what} trebuie să fie o dată „AAAA-LL-ZZ” (de exemplu azi()), nu {value!r:.40}"
    )


def _whole(value: Any, what: str, low: int, high: int) -> int:
    """Return an integer between low and high, or refuse it."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ScriptFunctionError(
            f"{what} trebuie să fie un număr întreg între {low} și {high}, nu {value!r:.40}"
        )
    return value


def azi() -> str:
    """Return today's date in Romania."""
    return local_now().date().isoformat()


def acum() -> str:
    """Return the current instant, ISO 8601 with Romania's offset."""
    return local_now().isoformat(timespec="seconds")


_KINDS = {
    "calendar": DeadlineKind.CALENDAR,
    "calendaristice": DeadlineKind.CALENDAR,
    "working": DeadlineKind.WORKING,
    "lucratoare": DeadlineKind.WORKING,
    "lucrătoare": DeadlineKind.WORKING,
}


def termen(de_la: Any, zile: Any, tip: Any = "calendar") -> str:
    """Return the legal due date of a term of `zile` days from `de_la`."""
    kind = _KINDS.get(str(tip).strip().lower()) if isinstance(tip, str) else None
    if kind is None:
        raise ScriptFunctionError(f"tip trebuie să fie „calendar” sau „lucratoare”, nu {tip!r:.40}")
    days = _whole(zile, "zile", 1, MAX_DAYS)
    return current_calendar().deadline(_day(de_la, "de_la"), days, kind).isoformat()


def zi_lucratoare(zi: Any) -> str:
    """Return `zi` if it is a working day, else the next working day."""
    return current_calendar().next_working_day(_day(zi, "zi")).isoformat()


def adauga_zile(zi: Any, n: Any) -> str:
    """Return the date `n` calendar days after `zi` (before it when n is negative)."""
    return (_day(zi, "zi") + timedelta(days=_whole(n, "n", -MAX_DAYS, MAX_DAYS))).isoformat()


def moment(zi: Any, ora: Any = "09:00") -> str:
    """Return the instant of `zi` at `ora` in Romania, ISO 8601 with its offset."""
    try:
        at = time.fromisoformat(ora) if isinstance(ora, str) else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is not None:
        raise ScriptFunctionError(f"ora trebuie să fie „HH:MM”, de exemplu „09:00”, nu {ora!r:.40}")
    return datetime.combine(_day(zi, "zi"), at, BUCHAREST).isoformat(timespec="seconds")


def _number(value: Any, what: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScriptFunctionError(f"{what} trebuie să fie un număr, nu {value!r:.40}")
    return value


def rotunjire(x: Any, zecimale: Any = 0) -> int | float:
    """Round half up (2.5 to 3, 2.675 to 2.68) to `zecimale` decimals."""
    digits = _whole(zecimale, "zecimale", -MAX_DIGITS, MAX_DIGITS)
    try:
        exact = Decimal(str(_number(x, "x")))
        rounded = exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ScriptFunctionError(f"{x!r:.40} nu se poate rotunji la {digits} zecimale") from exc
    return int(rounded) if digits <= 0 else float(rounded)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ScriptFunctionError(f"{what} trebuie să fie un text, nu {value!r:.40}")
    return value


def lower(s: Any) -> str:
    """Return the text in lower case."""
    return _text(s, "s").lower()


def upper(s: Any) -> str:
    """Return the text in upper case."""
    return _text(s, "s").upper()


def contine(s: Any, sub: Any) -> bool:
    """Tell whether the text `s` contains `sub` (or the list `s` holds the item `sub`)."""
    if isinstance(s, str):
        return _text(sub, "sub") in s
    if isinstance(s, list | tuple | dict):
        return sub in s
    raise ScriptFunctionError(f"s trebuie să fie un text sau o listă, nu {s!r:.40}")


def _round(x: Any, ndigits: Any = None) -> int | float:
    """Round as Python does (half to even), with a bounded number of digits."""
    if ndigits is None:
        return round(_number(x, "x"))
    return round(_number(x, "x"), _whole(ndigits, "ndigits", -MAX_DIGITS, MAX_DIGITS))


def _sum(values: Any) -> int | float:
    """Add up a list of numbers."""
    if not isinstance(values, list | tuple):
        raise ScriptFunctionError(f"sum primește o listă de numere, nu {values!r:.40}")
    total: int | float = 0
    for value in values:
        total += _number(value, "un element al listei")
    return total


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "azi": azi,
    "acum": acum,
    "termen": termen,
    "zi_lucratoare": zi_lucratoare,
    "adauga_zile": adauga_zile,
    "moment": moment,
    "rotunjire": rotunjire,
    "lower": lower,
    "upper": upper,
    "contine": contine,
    "abs": abs,
    "min": min,
    "max": max,
    "round": _round,
    "len": len,
    "sum": _sum,
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
}
