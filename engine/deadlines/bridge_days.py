"""Bridge days (zile libere punte) the Government adds each year, kept as data."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.deadlines.legal_calendar import LegalCalendar
from engine.models import BridgeDay
from engine.platform.errors import BadRequest


def add(session: Session, day: date, name: str, actor_id: int | None = None) -> BridgeDay:
    """Declare a non-working day; terms ending on it move to the next working day."""
    if session.get(BridgeDay, day) is not None:
        raise BadRequest(f"Ziua {day:%d.%m.%Y} este deja declarată liberă.")
    row = BridgeDay(day=day, name=name.strip() or "Zi liberă")
    session.add(row)
    audit.record(session, "bridge_day_added", actor_id=actor_id, day=day.isoformat(), name=name)
    return row


def remove(session: Session, day: date, actor_id: int | None = None) -> None:
    """Withdraw a bridge day declared by mistake."""
    row = session.get(BridgeDay, day)
    if row is None:
        raise BadRequest(f"Ziua {day:%d.%m.%Y} nu este declarată liberă.")
    session.delete(row)
    audit.record(session, "bridge_day_removed", actor_id=actor_id, day=day.isoformat())


def listed(session: Session) -> list[BridgeDay]:
    """Return every declared bridge day, oldest first."""
    return list(session.scalars(select(BridgeDay).order_by(BridgeDay.day)))


def declared(session: Session) -> frozenset[date]:
    """Return the days declared non-working, for the legal calendar."""
    return frozenset(session.scalars(select(BridgeDay.day)))


def calendar(session: Session) -> LegalCalendar:
    """Return the legal calendar with the bridge days declared, read now."""
    return LegalCalendar(extra_non_working=declared(session))
