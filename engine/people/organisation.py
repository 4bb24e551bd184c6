"""The organisation: departments (the codes diagrams' lanes name) and who works in them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit
from engine.models import Department, Membership, User
from engine.platform.errors import Invalid
from engine.workflow import definitions
from engine.workflow.spifftasks import (
    APPLICANT_LANE,
    UNASSIGNED,
    all_tasks,
    task_department,
    task_properties,
)

if TYPE_CHECKING:
    from engine.circuit import Circuit

CODE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
RESERVED = {APPLICANT_LANE, UNASSIGNED}


def add_department(
    session: Session, code: str, name: str, actor_id: int | None = None
) -> Department:
    """Create a department; Invalid lists every problem with the code and the name."""
    code, name = (code or "").strip(), " ".join((name or "").split())
    errors = []
    if not CODE.match(code):
        errors.append(
            {
                "field": "/code",
                "message": "Codul trebuie să aibă 2–64 de caractere: litere mici fără "
                "diacritice, cifre și „_”, începând cu o literă (de exemplu „stare_civila”).",
            }
        )
    elif code in RESERVED:
        errors.append({"field": "/code", "message": f"Codul „{code}” este rezervat de diagrame."})
    elif session.get(Department, code) is not None:
        errors.append({"field": "/code", "message": f"Compartimentul „{code}” există deja."})
    if not name:
        errors.append({"field": "/name", "message": "Denumirea este obligatorie."})
    elif len(name) > 200:
        errors.append(
            {"field": "/name", "message": "Denumirea poate avea cel mult 200 de caractere."}
        )
    if errors:
        raise Invalid(errors)
    dept = Department(code=code, name=name)
    session.add(dept)
    session.flush()
    audit.record(session, "department_added", actor_id=actor_id, code=code, name=name)
    return dept


def ensure_department(
    session: Session, code: str, name: str, actor_id: int | None = None
) -> Department:
    """Return the department with this code, adding it (add_department) if there is none."""
    dept = session.get(Department, code)
    return dept if dept is not None else add_department(session, code, name, actor_id)


def _active_people() -> object:
    return (
        select(Membership.department_code, func.count(Membership.user_id).label("people"))
        .join(User, User.id == Membership.user_id)
        .where(User.active.is_(True))
        .group_by(Membership.department_code)
        .subquery()
    )


def departments_with_people(session: Session) -> list[tuple[Department, int]]:
    """Return every department, by name, with how many active people work in it."""
    people = _active_people()
    rows = session.execute(
        select(Department, func.coalesce(people.c.people, 0))  # type: ignore[attr-defined]
        .outerjoin(people, people.c.department_code == Department.code)  # type: ignore[attr-defined]
        .order_by(Department.name)
    ).all()
    return [(dept, int(count)) for dept, count in rows]


def people_count(n: int) -> str:
    """Say how many people, as Romanian counts them (1 persoană, 3 persoane, 20 de persoane)."""
    if n == 1:
        return "1 persoană"
    return f"{n} persoane" if n % 100 < 20 else f"{n} de persoane"


def staffed_departments(session: Session) -> list[tuple[str, str]]:
    """Return (code, name) of the departments that have active people, by name.

    Read once per transaction: a form's choices and the routing check that follows agree."""
    transaction = session.get_transaction()
    cached = session.info.get("staffed_departments")
    if cached is not None and cached[0] is transaction:
        return cached[1]  # type: ignore[no-any-return]
    staffed = [(d.code, d.name) for d, count in departments_with_people(session) if count]
    session.info["staffed_departments"] = (transaction, staffed)
    return staffed


def staffed_codes(session: Session, codes: Iterable[str]) -> set[str]:
    """Return which of these department codes have active people."""
    wanted = set(codes)
    if not wanted:
        return set()
    return wanted & {code for code, _ in staffed_departments(session)}


def unstaffed_lanes(session: Session, circuit: Circuit) -> list[tuple[str, str]]:
    """Return (procedure, department code) for every department a current version names
    directly that does not exist or has nobody in it: requests would wait unseen there."""
    catalog = circuit.procedures(session)
    named: dict[str, set[str]] = {}
    for proc in catalog.all():
        version_id = catalog.version_of(proc.id)
        if version_id is not None:
            parsed = definitions.definition(session, version_id)
            named[proc.id] = definitions.departments_named(
                parsed, circuit.settings.registry_department
            )
    staffed = staffed_codes(session, set().union(*named.values()) if named else set())
    return sorted((p, code) for p, codes in named.items() for code in codes - staffed)


def routing_variable(task: Task) -> str | None:
    """Return the variable a task's department is read from (`{var}` lane or property)."""
    code = task_properties(task).get("department") or task.task_spec.lane or ""
    if code.startswith("{") and code.endswith("}"):
        return code[1:-1].strip()
    return None


def check_routing(
    session: Session, workflow: BpmnWorkflow, before: Iterable[str] = (), *, registry: str
) -> None:
    """Refuse a step that routes work, through a variable, to a department with nobody in it.

    `before` holds the ids of tasks already READY; only tasks that became READY are checked."""
    known = set(before)
    routed: dict[str, str] = {}
    for task in all_tasks(workflow, state=SpiffState.READY, manual=True):
        variable = routing_variable(task)
        if str(task.id) in known or variable is None:
            continue
        code = task_department(task, registry)
        if code and code != APPLICANT_LANE:
            routed.setdefault(code, variable)
    if not routed:
        return
    empty = set(routed) - staffed_codes(session, routed)
    if not empty:
        return
    rows = session.execute(select(Department.code, Department.name))
    names = {code: name for code, name in rows}
    errors = []
    for code in sorted(empty):
        label = f"„{names[code]}”" if code in names else f"„{code}”, care nu există"
        errors.append(
            {
                "field": f"/{routed[code]}",
                "message": f"Compartimentul {label} nu are niciun funcționar: "
                "alegeți un compartiment în care lucrează cineva.",
            }
        )
    if errors:
        raise Invalid(errors)
