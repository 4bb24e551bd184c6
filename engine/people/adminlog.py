"""The administrators' log: who added, renamed, moved, closed or reopened people and
departments, and when, read from the audit trail in words."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.models import AuditEvent, User
from engine.people.organisation import department_names
from engine.platform.wording import count

PER_PAGE = 50
ACTIONS = {
    "user_created": "Cont creat",
    "user_renamed": "Nume schimbat",
    "user_roles_changed": "Compartimente și roluri schimbate",
    "user_deactivated": "Cont dezactivat",
    "user_reactivated": "Cont reactivat",
    "department_added": "Compartiment adăugat",
    "department_renamed": "Compartiment redenumit",
    "department_deactivated": "Compartiment dezactivat",
    "department_reactivated": "Compartiment reactivat",
    "bridge_day_added": "Zi liberă declarată",
    "bridge_day_removed": "Zi liberă retrasă",
}


@dataclass(frozen=True)
class Entry:
    """One change as the log shows it."""

    at: datetime
    by: str
    label: str
    subject: str
    detail: str


@dataclass(frozen=True)
class LogPage:
    entries: list[Entry]
    page: int
    pages: int


def _roles(value: Any, names: dict[str, str]) -> str:
    if not isinstance(value, dict):
        return ""
    heads = set(value.get("heads") or [])
    depts = [
        names.get(c, c) + (" (șef)" if c in heads else "") for c in value.get("departments") or []
    ]
    parts = depts + (["administrator"] if value.get("admin") else [])
    return ", ".join(parts) or "niciun rol"


def _detail(action: str, d: dict[str, Any], names: dict[str, str]) -> str:
    if action in ("user_renamed", "department_renamed"):
        return f"„{d.get('old', '')}” → „{d.get('new', '')}”"
    if action == "user_roles_changed":
        return f"{_roles(d.get('old'), names)} → {_roles(d.get('new'), names)}"
    if action == "user_created":
        roles = {"departments": d.get("departments"), "heads": d.get("heads")}
        return _roles(roles | {"admin": d.get("admin")}, names)
    if action == "user_deactivated":
        released = int(d.get("released") or 0)
        tasks = count(released, "sarcină preluată s-a întors", "sarcini preluate s-au întors")
        back = f"; {tasks} în lista compartimentului" if released else ""
        return f"sesiunile și tokenurile API au fost închise{back}"
    return ""


def _subject(action: str, d: dict[str, Any], people: dict[int, str]) -> str:
    if action.startswith("bridge_day_"):
        day = str(d.get("day", ""))
        shown = ".".join(reversed(day.split("-"))) if day.count("-") == 2 else day
        return f"{shown} {d.get('name', '')}".strip()
    if action.startswith("department_"):
        return f"{d.get('name', '')} ({d.get('code', '')})"
    return str(d.get("name") or people.get(d.get("user") or 0, ""))


def read(session: Session, page: int = 1) -> LogPage:
    """Return a page of the administrators' changes, newest first."""
    wanted = AuditEvent.action.in_(ACTIONS)
    total = int(session.scalar(select(func.count()).select_from(AuditEvent).where(wanted)) or 0)
    pages = max(1, math.ceil(total / PER_PAGE))
    number = min(max(page, 1), pages)
    events = session.scalars(
        select(AuditEvent)
        .where(wanted)
        .order_by(AuditEvent.id.desc())
        .offset((number - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    ids = {e.actor_id for e in events} | {e.detail.get("user") for e in events}
    ids = {i for i in ids if isinstance(i, int)}
    rows = session.execute(select(User.id, User.name).where(User.id.in_(ids)))
    people = {uid: name for uid, name in rows}
    names = department_names(session)
    entries = [
        Entry(
            at=e.at,
            by=people.get(e.actor_id, "") if e.actor_id else "linia de comandă",
            label=ACTIONS[e.action],
            subject=_subject(e.action, e.detail, people),
            detail=_detail(e.action, e.detail, names),
        )
        for e in events
    ]
    return LogPage(entries, number, pages)
