"""Deadline warnings, once a working day at the reminder hour: the official holding a
request's step (or its department, when nobody holds it) a few working days before the due
date; the heads of those departments when the due date comes with the request still open;
the secretary general a digest of the overdue requests. The worker's sweep calls `daily`.

Each message names the request and its due date, and goes to each recipient once
(engine.messages.notify.post with `once`): a sweep that runs twice, or a day missed while no
worker ran, repeats nothing and loses nothing."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.circuit import Circuit
from engine.messages import notify
from engine.models import AuditEvent, Notification, Request, RequestStatus, TaskRecord, TaskState
from engine.platform.dispatch import defer
from engine.platform.timeutil import BUCHAREST, utcnow
from engine.workflow.spifftasks import APPLICANT_LANE

MARK = "deadline_warnings_sent"  # audit action: the day's warnings went out
SECRETARY = "secretar"  # the secretary general's department (engine.cases.queries.SUPERVISORS)
DIGEST_LINES = 15


def _ran_on(session: Session, day: date) -> bool:
    last = session.scalar(
        select(AuditEvent).where(AuditEvent.action == MARK).order_by(AuditEvent.id.desc()).limit(1)
    )
    return last is not None and last.detail.get("day") == day.isoformat()


def due_now(circuit: Circuit, session: Session, now: datetime) -> bool:
    """Tell whether today's warnings are due: a working day, at or past the reminder hour,
    and not sent yet today."""
    local = now.astimezone(BUCHAREST)
    if not circuit.calendar(session).is_working_day(local.date()):
        return False
    if local.time().replace(tzinfo=None) < circuit.settings.reminder_hour:
        return False
    return not _ran_on(session, local.date())


def daily(session: Session, circuit: Circuit, now: datetime | None = None) -> int:
    """Send today's warnings if they are due; return how many notifications were posted."""
    now = now or utcnow()
    if not due_now(circuit, session, now):
        return 0
    today = now.astimezone(BUCHAREST).date()
    sent = warn(session, circuit, today)
    audit.record(session, MARK, day=today.isoformat(), notifications=sent)
    return sent


def _open_steps(session: Session, until: date) -> list[tuple[Request, TaskRecord]]:
    """Open requests due by `until` with their officials' READY steps (not the citizen's)."""
    rows = session.execute(
        select(Request, TaskRecord)
        .join(TaskRecord, TaskRecord.request_id == Request.id)
        .where(
            Request.status.in_((RequestStatus.REGISTERED, RequestStatus.IN_PROGRESS)),
            Request.due_date <= until,
            TaskRecord.state == TaskState.READY,
            TaskRecord.department != APPLICANT_LANE,
        )
        .order_by(Request.due_date, Request.id)
    ).all()
    return [(r, t) for r, t in rows]


def warn(session: Session, circuit: Circuit, today: date) -> int:
    """Warn holders before the due date, heads on it, the secretary general past it."""
    calendar = circuit.calendar(session)
    horizon = calendar.add_working_days(today, circuit.settings.escalation_working_days)
    sent = 0
    overdue: dict[int, tuple[Request, set[str]]] = {}
    for request, step in _open_steps(session, horizon):
        number = request.registration_display
        if request.due_date > today:
            text = (
                f"Termen apropiat: cererea nr. {number} („{request.summary}”), pasul "
                f"„{step.name}”, are termenul legal de răspuns {request.due_date:%d.%m.%Y}."
            )
            holder = step.claimed_by_id
            note = notify.post(
                session,
                request,
                "deadline_soon",
                text,
                user_id=holder,
                department=None if holder else step.department,
                once=True,
            )
            sent += note is not None
            continue
        text = (
            f"Termenul legal al cererii nr. {number} („{request.summary}”) este "
            f"{request.due_date:%d.%m.%Y} și cererea este încă deschisă la pasul "
            f"„{step.name}”. Vă rugăm să interveniți."
        )
        for head in notify.heads_of(session, step.department):
            note = notify.post(session, request, "deadline_due", text, user_id=head, once=True)
            sent += note is not None
        if request.due_date < today:
            overdue.setdefault(request.id, (request, set()))[1].add(step.department)
    sent += _digest(session, today, list(overdue.values()))
    return sent


def _digest(session: Session, today: date, overdue: list[tuple[Request, set[str]]]) -> int:
    """One message a day to the secretary general's office listing the overdue requests."""
    if not overdue:
        return 0
    heads = notify.heads_of(session, SECRETARY)
    if not heads:
        return 0
    lines = [
        f"{r.registration_display} „{r.summary[:60]}”: termen {r.due_date:%d.%m.%Y}, "
        f"{(today - r.due_date).days} zile de întârziere ({', '.join(sorted(d))})"
        for r, d in overdue[:DIGEST_LINES]
    ]
    more = len(overdue) - DIGEST_LINES
    text = (
        f"Cereri cu termenul legal depășit la {today:%d.%m.%Y}: {len(overdue)}. "
        + "; ".join(lines)
        + (f"; și încă {more}." if more > 0 else ".")
    )[: notify.MESSAGE_MAX]
    for head in heads:
        note = Notification(
            user_id=head, request_id=None, kind="deadline_digest", message=text, created_at=utcnow()
        )
        session.add(note)
        session.flush()
        defer(session, "send_notification", note.id, job_id=f"notification-{note.id}")
    return len(heads)
