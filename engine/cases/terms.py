"""A request's legal term as it moves: extensions an official decides, days the clock stood
still while the request waited for the citizen, and the due date that follows from them.

The due date is always the legal calendar's for the procedure's term plus the days extended
plus the days suspended, counted from the registration date (never a date moved by hand), so
a bridge day declared later moves it the same way. Extensions are kept in the audit trail
(action EXTENDED, with the days and the reason), which is also what the history shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import audit
from engine.cases import queries
from engine.circuit import Circuit
from engine.deadlines.legal_calendar import DeadlineKind, LegalCalendar
from engine.messages import notify
from engine.models import AuditEvent, Request, TaskRecord, TaskState, User
from engine.platform.errors import Conflict, Forbidden, Invalid, NotFound
from engine.platform.timeutil import BUCHAREST, as_aware, local_today
from engine.workflow import versions
from engine.workflow.catalog import Procedure
from engine.workflow.spifftasks import APPLICANT_LANE

EXTENDED = "deadline_extended"
REASON_MAX = 1000


@dataclass(frozen=True)
class Term:
    """The term of one request, with what moved it."""

    due_date: date
    extended_by_days: int
    extensions: int
    suspended_days: int
    waiting_now: bool  # the clock stands still today: the request waits for the citizen
    tacit_approval: bool


def extension_events(session: Session, request_id: int) -> list[AuditEvent]:
    """Return the extensions of a request's term, oldest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.request_id == request_id, AuditEvent.action == EXTENDED)
            .order_by(AuditEvent.id)
        )
    )


def _local(value: Any) -> date:
    return as_aware(value).astimezone(BUCHAREST).date()


def _days_between(calendar: LegalCalendar, start: date, end: date, kind: DeadlineKind) -> int:
    """Days after `start` up to `end`, counted like the term (working days for a working term)."""
    if end <= start:
        return 0
    if kind is DeadlineKind.CALENDAR:
        return (end - start).days
    return sum(
        1 for n in range(1, (end - start).days + 1) if calendar.is_working_day(start + timedelta(n))
    )


def suspension(
    session: Session,
    calendar: LegalCalendar,
    request: Request,
    proc: Procedure,
    today: date | None = None,
) -> tuple[int, bool]:
    """Return the days the request waited for the citizen (counted like its term) and whether
    it waits now; (0, False) for a procedure whose clock does not stop."""
    if not proc.rules.suspend_while_waiting:
        return 0, False
    today = today or local_today()
    rows = session.execute(
        select(TaskRecord.created_at, TaskRecord.completed_at, TaskRecord.state).where(
            TaskRecord.request_id == request.id, TaskRecord.department == APPLICANT_LANE
        )
    ).all()
    total, waiting = 0, False
    for created, completed, state in rows:
        if state == TaskState.READY and not request.status.is_closed:
            end, waiting = today, True
        elif completed is not None:
            end = _local(completed)
        else:  # cancelled with the request: it waited until the request closed
            end = _local(request.closed_at) if request.closed_at else _local(created)
        total += _days_between(calendar, _local(created), end, proc.deadline_kind)
    return total, waiting


def term(
    session: Session,
    calendar: LegalCalendar,
    request: Request,
    proc: Procedure | None,
    today: date | None = None,
) -> Term:
    """Compute a request's term now: the legal date plus extensions plus suspension."""
    if proc is None:  # a procedure gone from the catalog: the stored date stands
        return Term(request.due_date, 0, 0, 0, False, False)
    events = extension_events(session, request.id)
    extended = sum(int(e.detail.get("days") or 0) for e in events)
    suspended, waiting = suspension(session, calendar, request, proc, today)
    due = calendar.deadline(
        request.registration_date, proc.deadline_days + extended + suspended, proc.deadline_kind
    )
    return Term(due, extended, len(events), suspended, waiting, proc.rules.tacit_approval)


def store(session: Session, request: Request, due: date) -> bool:
    """Write a new due date on the request and its open tasks (inboxes sort by it)."""
    if request.due_date == due:
        return False
    request.due_date = due
    session.execute(
        update(TaskRecord)
        .where(TaskRecord.request_id == request.id, TaskRecord.state == TaskState.READY)
        .values(due_date=due)
    )
    return True


def refresh(session: Session, circuit: Circuit, request: Request) -> Term | None:
    """Recompute and store an open request's due date (after a reply ended a suspension,
    after a bridge day was declared or withdrawn); None for a closed request."""
    if request.status.is_closed:
        return None
    proc = versions.request_procedure(session, circuit, request.procedure, request.id)
    found = term(session, circuit.calendar(session), request, proc)
    store(session, request, found.due_date)
    return found


def may_extend(session: Session, user: User, request: Request) -> bool:
    """Tell whether this official works the request (holds one of its open steps, or its
    department has one nobody holds) or heads a department it went through."""
    if not user.is_official:
        return False
    rows = session.execute(
        select(TaskRecord.department, TaskRecord.state, TaskRecord.claimed_by_id).where(
            TaskRecord.request_id == request.id, TaskRecord.department != APPLICANT_LANE
        )
    ).all()
    heads, members = set(user.head_of), set(user.departments)
    for department, state, holder in rows:
        if department in heads:
            return True
        if state == TaskState.READY and (
            holder == user.id or (holder is None and department in members)
        ):
            return True
    return False


def _refuse(field: str, message: str) -> Invalid:
    return Invalid([{"field": field, "message": message}], message)


def extend(
    session: Session, circuit: Circuit, user: User, request_id: int, days: Any, reason: Any
) -> Request:
    """Extend a request's term by `days` for `reason`, tell the applicant, record it.

    NotFound for a request the official may not see; Forbidden for one they do not work;
    Conflict where the procedure allows no (further) extension; Invalid for a completed
    request, no reason, or days beyond the legal maximum. Nothing changes on a refusal."""
    if not user.is_official:
        raise NotFound("Cererea nu există.")
    request = queries.request_for(session, user, request_id)
    if not may_extend(session, user, request):
        raise Forbidden(
            "Termenul îl poate prelungi funcționarul care lucrează cererea sau șeful "
            "compartimentului.",
            code="not_yours",
        )
    if request.status.is_closed:
        raise _refuse("/", "Cererea este închisă: termenul ei nu se mai poate prelungi.")
    proc = versions.request_procedure(session, circuit, request.procedure, request.id)
    rules = proc.rules if proc else None
    if proc is None or rules is None or not rules.extendable:
        raise Conflict(
            "Pentru această procedură legea nu prevede prelungirea termenului.",
            code="extension_not_allowed",
        )
    done = extension_events(session, request.id)
    if len(done) >= rules.extension_max_times:
        times = (
            "o dată" if rules.extension_max_times == 1 else f"de {rules.extension_max_times} ori"
        )
        raise Conflict(
            "Termenul acestei cereri a fost deja prelungit; legea permite prelungirea "
            f"doar {times}.",
            code="extension_not_allowed",
        )
    calendar = circuit.calendar(session)
    if rules.extension_within_days is not None:
        limit = calendar.deadline(
            request.registration_date, rules.extension_within_days, proc.deadline_kind
        )
        if local_today() > limit:
            raise Conflict(
                f"Prelungirea trebuia hotărâtă și comunicată până la {limit:%d.%m.%Y} "
                f"({rules.extension_within_days} zile de la înregistrare"
                + (f", {rules.legal_basis}" if rules.legal_basis else "")
                + ").",
                code="extension_too_late",
            )
    errors = []
    if isinstance(days, str) and days.strip().isdigit():
        days = int(days.strip())
    unit = "zile lucrătoare" if proc.deadline_kind is DeadlineKind.WORKING else "zile"
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        errors.append(
            {"field": "/days", "message": "Scrieți cu câte zile se prelungește termenul."}
        )
    elif days > rules.extension_max_days:
        errors.append(
            {
                "field": "/days",
                "message": f"Legea permite prelungirea cu cel mult {rules.extension_max_days} "
                f"{unit}" + (f" ({rules.legal_basis})." if rules.legal_basis else "."),
            }
        )
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        errors.append(
            {"field": "/reason", "message": "Scrieți motivul prelungirii: petentul îl află."}
        )
    elif len(text) > REASON_MAX:
        errors.append(
            {"field": "/reason", "message": f"Motivul are cel mult {REASON_MAX} de caractere."}
        )
    if errors:
        raise Invalid(errors, errors[0]["message"])
    old = request.due_date
    now = term(session, calendar, request, proc)
    due = calendar.deadline(
        request.registration_date,
        proc.deadline_days + now.extended_by_days + days + now.suspended_days,
        proc.deadline_kind,
    )
    # The audit trail is append-only: the event carries the new date from the start.
    audit.record(
        session,
        EXTENDED,
        actor_id=user.id,
        request_id=request.id,
        days=days,
        reason=text,
        old=old.isoformat(),
        new=due.isoformat(),
    )
    session.flush()
    found = term(session, calendar, request, proc)
    store(session, request, found.due_date)
    if rules.extension_notify and request.applicant_id is not None:
        notify.post(
            session,
            request,
            "deadline_extended",
            f"Termenul de răspuns la cererea nr. {request.registration_display} a fost "
            f"prelungit cu {days} {unit}, până la {found.due_date:%d.%m.%Y}. Motivul: {text}",
            user_id=request.applicant_id,
        )
    return request


# A diagram that extends the term itself (Law 544's "prelungire" branch) leaves the new due
# date, ISO, in this variable and the reason in DIAGRAM_REASON; the request's term follows it.
DIAGRAM_TERM = "termen_prelungit"
DIAGRAM_REASON = "motiv_prelungire"
# Optional: the whole term in days after the extension (30 for Law 544). A date alone cannot
# say it when the 30th day falls on a weekend: 29, 30 and 31 days may all end on Monday.
DIAGRAM_TERM_DAYS = "termen_prelungit_zile"


def adopt_diagram_extension(
    session: Session,
    circuit: Circuit,
    request: Request,
    proc: Procedure | None,
    data: dict[str, Any],
    actor_id: int | None,
) -> bool:
    """Record the extension a diagram decided (its `termen_prelungit`) as the request's own,
    once: the due date moves there and inboxes and pages stop calling it overdue. The
    diagram told the applicant itself, so nobody is notified here."""
    value = data.get(DIAGRAM_TERM)
    if proc is None or request.status.is_closed or not isinstance(value, str):
        return False
    try:
        target = date.fromisoformat(value[:10])
    except ValueError:
        return False
    if extension_events(session, request.id):
        return False
    calendar = circuit.calendar(session)
    found = term(session, calendar, request, proc)
    if target <= found.due_date:
        return False
    total = data.get(DIAGRAM_TERM_DAYS)
    if isinstance(total, int) and not isinstance(total, bool) and total > proc.deadline_days:
        days: int | None = total - proc.deadline_days
    else:  # the fewest days that reach the diagram's date
        base = proc.deadline_days + found.suspended_days
        days = next(
            (
                d
                for d in range(1, (target - request.registration_date).days + 1)
                if calendar.deadline(request.registration_date, base + d, proc.deadline_kind)
                >= target
            ),
            None,
        )
    if days is None:
        return False
    reason = str(data.get(DIAGRAM_REASON) or "").strip() or "Prelungire hotărâtă în diagramă."
    audit.record(
        session,
        EXTENDED,
        actor_id=actor_id,
        request_id=request.id,
        days=days,
        reason=reason[:REASON_MAX],
        old=request.due_date.isoformat(),
        new=target.isoformat(),
        source="diagram",
    )
    session.flush()
    store(session, request, term(session, calendar, request, proc).due_date)
    return True
