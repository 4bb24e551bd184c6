"""Bridge days declared or withdrawn by an administrator in Circuit: refused in Romanian for a
past day, a day already free or already declared; the change is audited, the due dates not yet
reached are recomputed at once, and this process's calendar forgets its cached bridge days."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import terms
from engine.circuit import Circuit
from engine.deadlines import bridge_days
from engine.models import BridgeDay, Request, RequestStatus
from engine.platform.errors import BadRequest, Invalid
from engine.platform.timeutil import local_today

OPEN = (RequestStatus.REGISTERED, RequestStatus.IN_PROGRESS, RequestStatus.WAITING_FOR_CITIZEN)
NAME_MAX = 200


def _refuse(field: str, message: str) -> Invalid:
    return Invalid([{"field": field, "message": message}], message)


def parse_day(raw: Any) -> date:
    """Read a day from a form (YYYY-MM-DD), or refuse in Romanian."""
    try:
        return date.fromisoformat(str(raw or "").strip())
    except ValueError:
        raise _refuse("/day", "Alegeți ziua (an-lună-zi, de exemplu 2027-05-31).") from None


def _not_past(day: date, today: date, what: str) -> None:
    if day <= today:
        raise _refuse(
            "/day",
            f"Ziua {day:%d.%m.%Y} a trecut sau este astăzi: nu se mai poate {what}; termenele "
            "care s-au împlinit deja rămân cum au fost.",
        )


def forget_cache(circuit: Circuit) -> None:
    """This process sees the change at once (others within engine.circuit.REFERENCE_TTL)."""
    circuit.reference.bridge_days = None


def declare(
    session: Session,
    circuit: Circuit,
    day: date,
    name: Any,
    actor_id: int | None,
    today: date | None = None,
) -> tuple[BridgeDay, int]:
    """Declare a future working day free; return it and how many due dates moved."""
    today = today or local_today()
    _not_past(day, today, "declara liberă")
    text = name.strip() if isinstance(name, str) else ""
    if not text:
        raise _refuse("/name", "Scrieți denumirea zilei libere și actul care o stabilește.")
    if len(text) > NAME_MAX:
        raise _refuse("/name", f"Denumirea are cel mult {NAME_MAX} de caractere.")
    if session.get(BridgeDay, day) is not None:
        raise _refuse("/day", f"Ziua {day:%d.%m.%Y} este deja declarată liberă.")
    forget_cache(circuit)
    calendar = circuit.calendar(session)
    if not calendar.is_working_day(day):
        holiday = calendar.holiday_name(day)
        why = f"sărbătoare legală ({holiday})" if holiday else "zi de weekend"
        raise _refuse("/day", f"Ziua {day:%d.%m.%Y} este deja nelucrătoare: {why}.")
    try:
        row = bridge_days.add(session, day, text, actor_id)
    except BadRequest as exc:  # declared meanwhile by someone else
        raise _refuse("/day", exc.message) from None
    session.flush()
    forget_cache(circuit)
    return row, recompute(session, circuit, today)


def withdraw(
    session: Session, circuit: Circuit, day: date, actor_id: int | None, today: date | None = None
) -> int:
    """Withdraw a future bridge day; return how many due dates moved."""
    today = today or local_today()
    _not_past(day, today, "retrage")
    if session.get(BridgeDay, day) is None:
        raise _refuse("/day", f"Ziua {day:%d.%m.%Y} nu este declarată liberă.")
    bridge_days.remove(session, day, actor_id)
    session.flush()
    forget_cache(circuit)
    return recompute(session, circuit, today)


def recompute(session: Session, circuit: Circuit, today: date | None = None) -> int:
    """Recompute the due dates of open requests not yet reached; return how many moved."""
    today = today or local_today()
    moved = 0
    for request in session.scalars(
        select(Request).where(Request.status.in_(OPEN), Request.due_date >= today)
    ):
        before = request.due_date
        terms.refresh(session, circuit, request)
        moved += request.due_date != before
    return moved


def upcoming(
    session: Session, today: date | None = None
) -> tuple[list[BridgeDay], list[BridgeDay]]:
    """Return the bridge days still to come and those past, each oldest first."""
    today = today or local_today()
    rows = bridge_days.listed(session)
    return [r for r in rows if r.day > today], [r for r in rows if r.day <= today]
