"""The organisation: departments (the codes diagrams' lanes name) and who works in them."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import Subquery, delete, event, func, select
from sqlalchemy.orm import ORMExecuteState, Session

from engine import audit
from engine.models import Department, Membership, TaskRecord, TaskState, User
from engine.platform.errors import Conflict, Forbidden, Invalid, NotFound
from engine.platform.wording import count
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


def _name_problem(name: str) -> str | None:
    if not name:
        return "Denumirea este obligatorie."
    if len(name) > 200:
        return "Denumirea poate avea cel mult 200 de caractere."
    return None


def add_department(
    session: Session, code: str, name: str, actor_id: int | None = None
) -> Department:
    """Create a department; Invalid lists every problem with the code and the name."""
    code, name = (code or "").strip(), " ".join((name or "").split())
    errors = []
    existing = session.get(Department, code) if CODE.match(code) else None
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
    elif existing is not None and not existing.active:
        errors.append(
            {
                "field": "/code",
                "message": f"Compartimentul „{code}” există deja, dezactivat: "
                "reactivați-l din pagina lui.",
            }
        )
    elif existing is not None:
        errors.append({"field": "/code", "message": f"Compartimentul „{code}” există deja."})
    problem = _name_problem(name)
    if problem:
        errors.append({"field": "/name", "message": problem})
    if errors:
        raise Invalid(errors)
    dept = Department(code=code, name=name, active=True)
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


def _active_people() -> Subquery:
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
        select(Department, func.coalesce(people.c.people, 0))
        .outerjoin(people, people.c.department_code == Department.code)
        .order_by(Department.name)
    ).all()
    return [(dept, int(count)) for dept, count in rows]


def people_count(n: int) -> str:
    """Say how many people, as Romanian counts them (1 persoană, 3 persoane, 20 de persoane)."""
    if n == 1:
        return "1 persoană"
    return f"{n} persoane" if n % 100 < 20 else f"{n} de persoane"


# The staffed departments, per database, kept across transactions by this process: people
# join or leave a department a few times a month, and each task completed would ask. A
# change to departments, memberships or people made through any session of this process
# clears it when it commits; another process (another node) sees the change within
# ROSTER_TTL seconds.
ROSTER_TTL = 5.0
_ROSTER_TABLES = (Department, Membership, User)
_roster: dict[str, tuple[float, list[tuple[str, str]]]] = {}


def forget_roster() -> None:
    """Drop the kept roster of every database (after a change made outside the ORM)."""
    _roster.clear()


@event.listens_for(Session, "after_flush")
def _roster_flushed(session: Session, _context: object) -> None:
    changed = itertools.chain(session.new, session.dirty, session.deleted)
    if any(isinstance(obj, _ROSTER_TABLES) for obj in changed):
        session.info["roster_changed"] = True


@event.listens_for(Session, "do_orm_execute")
def _roster_bulk(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is not None:
        if issubclass(state.bind_mapper.class_, _ROSTER_TABLES):
            state.session.info["roster_changed"] = True


@event.listens_for(Session, "after_commit")
def _roster_committed(session: Session) -> None:
    if session.info.pop("roster_changed", False):
        forget_roster()


@event.listens_for(Session, "after_rollback")
def _roster_rolled_back(session: Session) -> None:
    session.info.pop("roster_changed", None)


def staffed_departments(session: Session) -> list[tuple[str, str]]:
    """Return (code, name) of the departments that have active people, by name.

    Read once per transaction (a form's choices and the routing check that follows agree),
    and kept across transactions (above) unless this one changed who works where."""
    transaction = session.get_transaction()
    cached = session.info.get("staffed_departments")
    if cached is not None and cached[0] is transaction:
        return cast(list[tuple[str, str]], cached[1])
    key = str(session.get_bind().engine.url)
    kept = _roster.get(key)
    pending = itertools.chain(session.new, session.dirty, session.deleted)
    changing = session.info.get("roster_changed") or any(
        isinstance(obj, _ROSTER_TABLES) for obj in pending
    )
    if kept is not None and time.monotonic() - kept[0] <= ROSTER_TTL and not changing:
        staffed = kept[1]
    else:
        read_at = time.monotonic()
        staffed = [(d.code, d.name) for d, count in departments_with_people(session) if count]
        if not changing:
            _roster[key] = (read_at, staffed)
    session.info["staffed_departments"] = (transaction, staffed)
    return staffed


def staffed_codes(session: Session, codes: Iterable[str]) -> set[str]:
    """Return which of these department codes have active people."""
    wanted = set(codes)
    if not wanted:
        return set()
    return wanted & {code for code, _ in staffed_departments(session)}


def departments_by_procedure(session: Session, circuit: Circuit) -> dict[str, set[str]]:
    """Return, per procedure of the catalog, the department codes its current version's lanes
    and `department` properties name directly (not `{variable}`, not the applicant)."""
    catalog = circuit.procedures(session)
    named: dict[str, set[str]] = {}
    for proc in catalog.all():
        version_id = catalog.version_of(proc.id)
        if version_id is not None:
            parsed = definitions.definition(session, version_id)
            named[proc.id] = definitions.departments_named(
                parsed, circuit.settings.registry_department
            )
    return named


def unstaffed_lanes(session: Session, circuit: Circuit) -> list[tuple[str, str]]:
    """Return (procedure, department code) for every department a current version names
    directly that does not exist or has nobody in it: requests would wait unseen there."""
    named = departments_by_procedure(session, circuit)
    staffed = staffed_codes(session, set().union(*named.values()) if named else set())
    return sorted((p, code) for p, codes in named.items() for code in codes - staffed)


def unstaffed_by_procedure(session: Session, circuit: Circuit) -> dict[str, list[str]]:
    """Return {procedure: [department code, ...]} for the procedures that cannot be worked
    to their end because a department their diagram names has nobody in it."""
    out: dict[str, list[str]] = {}
    for procedure, code in unstaffed_lanes(session, circuit):
        out.setdefault(procedure, []).append(code)
    return out


def procedure_unstaffed(session: Session, circuit: Circuit, version_id: int) -> list[str]:
    """Return the departments one procedure version names that have nobody in them."""
    parsed = definitions.definition(session, version_id)
    named = definitions.departments_named(parsed, circuit.settings.registry_department)
    return sorted(named - staffed_codes(session, named))


def department_names(session: Session) -> dict[str, str]:
    """Return {code: name} of every department."""
    return {code: name for code, name in session.execute(select(Department.code, Department.name))}


def unavailable_reason(session: Session, codes: Iterable[str]) -> str:
    """Say, in plain words, why a procedure cannot be submitted: who has nobody in it."""
    names = department_names(session)
    labels = [f"„{names.get(code, code)}”" for code in sorted(codes)]
    if len(labels) == 1:
        which = f"compartimentul {labels[0]} nu are"
    else:
        which = f"compartimentele {', '.join(labels[:-1])} și {labels[-1]} nu au"
    return f"Cererea momentan nu poate fi depusă: {which} încă personal."


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


def require_admin(actor: User) -> None:
    """Refuse anyone but an active administrator."""
    if not (actor.is_admin and actor.active):
        raise Forbidden("Numai administratorii schimbă compartimentele și personalul.")


def department(session: Session, code: str) -> Department:
    """Return a department by its code, or NotFound."""
    dept = session.get(Department, code) if isinstance(code, str) else None
    if dept is None:
        raise NotFound("Compartimentul nu există.")
    return dept


def active_departments(session: Session) -> list[Department]:
    """Return the departments people can be put in, by name."""
    query = select(Department).where(Department.active.is_(True)).order_by(Department.name)
    return list(session.scalars(query))


def open_tasks(session: Session) -> dict[str, int]:
    """Return {department code: how many tasks wait in its inbox (claimed or not)}."""
    rows = session.execute(
        select(TaskRecord.department, func.count())
        .where(TaskRecord.state == TaskState.READY)
        .group_by(TaskRecord.department)
    )
    return {code: int(n) for code, n in rows}


def needed_by(session: Session, circuit: Circuit) -> dict[str, list[str]]:
    """Return {department code: titles of the catalog procedures whose diagrams name it}."""
    titles = {p.id: p.title for p in circuit.procedures(session).all()}
    out: dict[str, list[str]] = {}
    for procedure, codes in departments_by_procedure(session, circuit).items():
        for code in codes:
            out.setdefault(code, []).append(titles.get(procedure, procedure))
    return {code: sorted(names) for code, names in out.items()}


@dataclass(frozen=True)
class DepartmentRow:
    """A department as the administrators' list shows it."""

    department: Department
    people: int
    open_tasks: int
    procedures: list[str]

    @property
    def needs_people(self) -> bool:
        """Whether a procedure sends work here and nobody works here: a problem to fix."""
        return self.department.active and not self.people and bool(self.procedures)


def departments_overview(session: Session, circuit: Circuit) -> list[DepartmentRow]:
    """Return every department with its people, open tasks and the procedures needing it:
    first those a procedure needs and nobody works in, then the active ones, by name."""
    tasks, needs = open_tasks(session), needed_by(session, circuit)
    rows = [
        DepartmentRow(dept, people, tasks.get(dept.code, 0), needs.get(dept.code, []))
        for dept, people in departments_with_people(session)
    ]
    return sorted(rows, key=lambda r: (not r.needs_people, not r.department.active))


def rename_department(session: Session, actor: User, code: str, name: str) -> Department:
    """Give a department a new name; its code, which the diagrams name, stays."""
    require_admin(actor)
    dept = department(session, code)
    name = " ".join((name or "").split())
    problem = _name_problem(name)
    if problem:
        raise Invalid([{"field": "/name", "message": problem}])
    if name != dept.name:
        audit.record(
            session, "department_renamed", actor_id=actor.id, code=code, old=dept.name, new=name
        )
        dept.name = name
    return dept


def deactivation_problems(session: Session, circuit: Circuit, dept: Department) -> list[str]:
    """Say, in Romanian, what keeps a department from being closed (empty when nothing)."""
    problems = []
    people = dict((d.code, n) for d, n in departments_with_people(session)).get(dept.code, 0)
    if people:
        problems.append(
            f"în el lucrează {people_count(people)} (scoateți-le din compartiment "
            "sau dezactivați-le mai întâi)"
        )
    tasks = open_tasks(session).get(dept.code, 0)
    if tasks:
        problems.append(
            f"are {count(tasks, 'sarcină deschisă', 'sarcini deschise')} "
            "(redirecționați-le sau finalizați-le mai întâi)"
        )
    procedures = needed_by(session, circuit).get(dept.code, [])
    if procedures:
        listed = ", ".join(f"„{p}”" for p in procedures)
        problems.append(f"diagramele acestor proceduri îi trimit lucrări: {listed}")
    return problems


def deactivate_department(session: Session, circuit: Circuit, actor: User, code: str) -> Department:
    """Close a department nobody works in, with no open task and that no procedure needs."""
    require_admin(actor)
    dept = department(session, code)
    if not dept.active:
        return dept
    problems = deactivation_problems(session, circuit, dept)
    if problems:
        raise Conflict(
            f"Compartimentul „{dept.name}” nu poate fi dezactivat: {'; '.join(problems)}.",
            code="department_in_use",
        )
    # Deactivated people keep their departments to be reactivated in them; not in this one.
    inactive = select(User.id).where(User.active.is_(False))
    session.execute(
        delete(Membership)
        .where(Membership.department_code == code, Membership.user_id.in_(inactive))
        .execution_options(synchronize_session=False)
    )
    dept.active = False
    audit.record(session, "department_deactivated", actor_id=actor.id, code=code, name=dept.name)
    return dept


def reactivate_department(session: Session, actor: User, code: str) -> Department:
    """Open a closed department again (it gets work once someone is put in it)."""
    require_admin(actor)
    dept = department(session, code)
    if not dept.active:
        dept.active = True
        audit.record(
            session, "department_reactivated", actor_id=actor.id, code=code, name=dept.name
        )
    return dept
