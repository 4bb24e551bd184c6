"""Jinja filters and globals: Romanian dates, status labels, department names, deadlines."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, cast

from flask import Flask, current_app, g

from engine.cases import documents, queries, receipts
from engine.models import RequestStatus, TaskState
from engine.platform import wording
from engine.platform.timeutil import BUCHAREST, as_aware, local_today
from engine.workflow.spifftasks import APPLICANT_LANE, UNASSIGNED
from webapp import db

DEFAULT_SITE_NAME = "Primăria Municipiului Lupeni"
SOON_DAYS = 5

STATUS_LABELS = {
    RequestStatus.REGISTERED.value: "Înregistrată",
    RequestStatus.IN_PROGRESS.value: "În lucru",
    RequestStatus.WAITING_FOR_CITIZEN.value: "Așteaptă completări de la petent",
    RequestStatus.COMPLETED.value: "Soluționată",
    RequestStatus.REJECTED.value: "Clasată",
    RequestStatus.WITHDRAWN.value: "Retrasă",
}
CITIZEN_WAITING = "Așteaptă completări de la dumneavoastră"

TASK_STATE_LABELS = {
    TaskState.READY.value: "În curs",
    TaskState.COMPLETED.value: "Finalizată",
    TaskState.CANCELLED.value: "Anulată",
}

# Lanes that are not departments of the city hall.
PSEUDO_DEPARTMENTS = {APPLICANT_LANE: "Petent", UNASSIGNED: "Nealocat"}


def _value(item: Any) -> str:
    return str(getattr(item, "value", item) or "")


def ro_date(value: date | datetime | None) -> str:
    """Format a date as dd.mm.yyyy (an instant in Romania's local time)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = as_aware(value).astimezone(BUCHAREST).date()
    return f"{value:%d.%m.%Y}"


def ro_datetime(value: datetime | None) -> str:
    """Format an instant as dd.mm.yyyy HH:MM in Europe/Bucharest."""
    if value is None:
        return ""
    return f"{as_aware(value).astimezone(BUCHAREST):%d.%m.%Y %H:%M}"


def status_label(status: Any, citizen: bool = False) -> str:
    """Name a request status in Romanian; the applicant is addressed directly."""
    key = _value(status)
    if citizen and key == RequestStatus.WAITING_FOR_CITIZEN.value:
        return CITIZEN_WAITING
    return STATUS_LABELS.get(key, key)


def task_state_label(state: Any) -> str:
    key = _value(state)
    return TASK_STATE_LABELS.get(key, key)


def department_name(code: str | None) -> str:
    """Return a department's name from its code (the lane name in the diagrams)."""
    if not code:
        return ""
    if code in PSEUDO_DEPARTMENTS:
        return PSEUDO_DEPARTMENTS[code]
    if "department_names" not in g:
        g.department_names = queries.department_names(db.session())
    return cast(str, g.department_names.get(code, code))


def deadline_class(due: date | None, today: date | None = None) -> str:
    """Say how close a due date is: overdue, soon (within 5 days) or ok."""
    if due is None:
        return "ok"
    today = today or local_today()
    if due < today:
        return "overdue"
    if due <= today + timedelta(days=SOON_DAYS):
        return "soon"
    return "ok"


def _days(n: int) -> str:
    """Count days the Romanian way: 1 zi, 2 zile, 20 de zile."""
    if n == 1:
        return "1 zi"
    return f"{n} de zile" if n % 100 >= 20 or n % 100 == 0 else f"{n} zile"


def days_left(due: date | None) -> str:
    """Say how many days are left until a due date, or by how many it is overdue."""
    if due is None:
        return ""
    left = (due - local_today()).days
    if left < 0:
        return f"depășit cu {_days(-left)}"
    if left == 0:
        return "expiră azi"
    return f"{_days(left)} rămase" if left > 1 else "1 zi rămasă"


def deadline_text(days: int, kind: Any) -> str:
    """Say a legal term in words: „30 de zile calendaristice”."""
    unit = "lucrătoare" if _value(kind) == "working" else "calendaristice"
    if days == 1:
        return "1 zi " + ("lucrătoare" if unit == "lucrătoare" else "calendaristică")
    prep = "de " if days % 100 == 0 or days % 100 >= 20 else ""
    return f"{days} {prep}zile {unit}"


def filesize(size: int | None) -> str:
    """Format a byte count the way people read it (KB, MB), with a decimal comma."""
    if size is None:
        return ""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".", ",").replace(",0 MB", " MB")
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} B"


def accept_attr(types: tuple[str, ...] | list[str]) -> str:
    """Turn MIME types into an `accept` attribute, with extensions for older phones."""
    extensions = {
        "application/pdf": ".pdf",
        "image/jpeg": ".jpg,.jpeg",
        "image/png": ".png",
    }
    parts = list(types) + [extensions[t] for t in types if t in extensions]
    return ",".join(parts)


def type_names(types: tuple[str, ...] | list[str]) -> str:
    names = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
    return ", ".join(names.get(t, t.split("/")[-1].upper()) for t in types)


def registration(req: Any) -> str:
    """Show a request's registration the one way Circuit writes it: „nr. 7/28.11.2026”."""
    return receipts.registration_label(req.registration_number, req.registration_date)


def ro_count(n: int, singular: str, plural: str) -> str:
    """Say a count with its noun, thousands grouped: „10.000 de caractere”."""
    text = wording.count(n, singular, plural)
    return text.replace(str(n), f"{n:,}".replace(",", "."), 1)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        ro_date=ro_date,
        ro_datetime=ro_datetime,
        status_label=status_label,
        task_state_label=task_state_label,
        department_name=department_name,
        deadline_class=deadline_class,
        deadline_text=deadline_text,
        days_left=days_left,
        filesize=filesize,
        accept_attr=accept_attr,
        type_names=type_names,
    )
    app.jinja_env.filters.update(registration=registration, ro_count=ro_count)
    app.jinja_env.filters.update(slot_title=documents.slot_title)

    @app.context_processor
    def _site() -> dict[str, Any]:
        return {"site_name": current_app.config.get("CITY_HALL_NAME", DEFAULT_SITE_NAME)}
