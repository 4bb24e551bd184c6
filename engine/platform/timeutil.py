"""Clock and time zone helpers: Romania's local time for dates, UTC for instants."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BUCHAREST = ZoneInfo("Europe/Bucharest")


def utcnow() -> datetime:
    """Return the current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


def local_now() -> datetime:
    """Return the current time in Europe/Bucharest."""
    return datetime.now(BUCHAREST)


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
