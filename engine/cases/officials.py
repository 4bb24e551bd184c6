"""Fair inboxes: deadline marks, claims in order, assignment by the head, redirects, history."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session, joinedload

from engine import audit
from engine.cases import queries
from engine.models import (
    Absence,
    AuditEvent,
    Department,
    Document,
    Membership,
    TaskRecord,
    TaskState,
    User,
)
from engine.platform import bounds
from engine.platform.errors import Conflict, Forbidden, Invalid, NotFound
from engine.platform.timeutil import as_aware, local_today, utcnow
from engine.register import book
from engine.workflow import runtime, spifftasks

AT_RISK_DAYS = 5  # fewer days left than this: the inbox marks the task at risk


@dataclass(frozen=True)
class DeadlineMarks:
    """How close a due date is, as the inbox shows it."""

    days_left: int
    at_risk: bool
    overdue: bool


def marks(due: date, today: date | None = None) -> DeadlineMarks:
    """Return days left until `due` and whether it is at risk (under 5 days) or overdue."""
    left = (due - (today or local_today())).days
    return DeadlineMarks(left, 0 <= left < AT_RISK_DAYS, left < 0)


def older_free_task(session: Session, user: User, row: TaskRecord) -> TaskRecord | None:
    """Return the oldest free READY task of the same department queued before this one."""
    query = select(TaskRecord).where(
        TaskRecord.state == TaskState.READY,
        TaskRecord.department == row.department,
        TaskRecord.claimed_by_id.is_(None),
        tuple_(TaskRecord.request_created_at, TaskRecord.id)
        < tuple_(row.request_created_at, row.id),
    )
    if row.department not in user.head_of:  # tasks reserved for heads are not theirs to take
        query = query.where(TaskRecord.role.is_distinct_from("head"))
    return session.scalar(
        query.options(joinedload(TaskRecord.request))
        .order_by(TaskRecord.request_created_at, TaskRecord.id)
        .limit(1)
    )


def check_claim_order(
    session: Session, user: User, row: TaskRecord, reason: str | None
) -> str | None:
    """Refuse to skip an older free task without a reason; return the reason to record."""
    older = older_free_task(session, user, row)
    if older is None:
        return None
    reason = " ".join((reason or "").split())[:500]
    if not reason:
        req = older.request
        raise Conflict(
            f"În lista compartimentului așteaptă o cerere mai veche, nr. "
            f"{req.registration_display}. Preluați-o pe aceea sau spuneți de ce o săriți.",
            code="out_of_order",
            older_task={
                "id": older.id,
                "request_id": older.request_id,
                "registration": req.registration_display,
                "name": older.name,
            },
        )
    return reason


def _task(session: Session, task_id: str) -> TaskRecord:
    row = session.get(TaskRecord, task_id, options=[joinedload(TaskRecord.request)])
    if row is None:
        raise NotFound("Sarcina nu există.")
    return row


def absence(session: Session, user_id: int, day: date | None = None) -> Absence | None:
    """Return the absence that covers this day (today by default), if any."""
    day = day or local_today()
    return session.scalar(
        select(Absence)
        .where(Absence.user_id == user_id, Absence.starts_on <= day, Absence.ends_on >= day)
        .limit(1)
    )


ABSENCE_PAST_DAYS = 31  # an absence forgotten for a month may still be recorded
ABSENCE_LONGEST = timedelta(days=366)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _iso_day(raw: Any) -> date | None:
    if not isinstance(raw, str) or not _ISO_DAY.fullmatch(raw):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def absence_date_problems(start: Any, end: Any, today: date) -> list[dict[str, str]]:
    """Check an absence's days: ISO dates, in order, at most a year long and a year ahead."""
    errors: list[dict[str, str]] = []
    days: dict[str, date] = {}
    for name, raw in (("from", start), ("to", end)):
        day = _iso_day(raw)
        if day is None:
            errors.append({"field": f"/{name}", "message": "Scrieți data ca AAAA-LL-ZZ."})
        else:
            days[name] = day
    if errors:
        return errors
    first, last = days["from"], days["to"]
    earliest, latest = today - timedelta(days=ABSENCE_PAST_DAYS), _one_year_after(today)
    if first < earliest:
        errors.append(
            {
                "field": "/from",
                "message": f"Absența poate începe cel mai devreme cu {ABSENCE_PAST_DAYS} de zile "
                f"în urmă, pe {earliest:%d.%m.%Y}.",
            }
        )
    if last < first:
        errors.append({"field": "/to", "message": "Absența se termină înainte să înceapă."})
    elif last > latest:
        errors.append(
            {
                "field": "/to",
                "message": "O absență se înregistrează cel mult cu un an înainte: ultima zi "
                f"poate fi cel târziu {latest:%d.%m.%Y}.",
            }
        )
    elif last - first >= ABSENCE_LONGEST:
        errors.append({"field": "/to", "message": "O absență durează cel mult un an."})
    return errors


def add_absence(
    session: Session, actor: User, user_id: Any, start: Any, end: Any, reason: Any
) -> Absence:
    """Record an official's absence: by the official, a head of their department, or an admin."""
    found = bounds.stored_id(user_id)
    if found is None:
        raise Invalid([{"field": "/user_id", "message": "Alegeți un funcționar (id-ul lui)."}])
    target = session.get(User, found)
    if target is None or not target.is_official:
        raise NotFound("Funcționarul nu există.")
    if not (
        actor.is_admin or actor.id == target.id or set(actor.head_of) & set(target.departments)
    ):
        raise Forbidden("Absențele le înregistrează funcționarul, șeful lui sau administratorul.")
    errors = absence_date_problems(start, end, local_today())
    text = " ".join(str(reason or "").split())[:200]
    if not text:
        errors.append({"field": "/reason", "message": "Scrieți motivul (concediu, delegație)."})
    if errors:
        raise Invalid(errors)
    row = Absence(
        user_id=target.id,
        starts_on=date.fromisoformat(start),
        ends_on=date.fromisoformat(end),
        reason=text,
        created_by_id=actor.id,
    )
    session.add(row)
    session.flush()
    audit.record(session, "absence_added", actor_id=actor.id, user=target.id, reason=text)
    return row


def members(session: Session, department: str, *, present_on: date | None = None) -> list[User]:
    """Return the active officials of a department, by name (only those present that day)."""
    query = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.department_code == department, User.active.is_(True))
        .order_by(User.name)
    )
    if present_on is not None:
        away = select(Absence.user_id).where(
            Absence.starts_on <= present_on, Absence.ends_on >= present_on
        )
        query = query.where(User.id.not_in(away))
    return list(session.scalars(query))


def _has_head(session: Session, department: str) -> bool:
    """Say whether an active official heads this department."""
    return (
        session.scalar(
            select(Membership.user_id)
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.department_code == department,
                Membership.is_head.is_(True),
                User.active.is_(True),
            )
            .limit(1)
        )
        is not None
    )


def assign_task(session: Session, head: User, task_id: str, user_id: Any) -> TaskRecord:
    """Give a READY task of the head's department to one of its officials."""
    row = _task(session, task_id)
    if row.department not in head.head_of:
        raise Forbidden("Numai șeful compartimentului repartizează sarcinile lui.")
    if row.state != TaskState.READY:
        raise Conflict("Sarcina a fost deja finalizată.", code="not_ready")
    found = bounds.stored_id(user_id)
    target = session.get(User, found) if found is not None else None
    if target is None or not target.active or row.department not in target.departments:
        raise Invalid(
            [{"field": "/user_id", "message": "Alegeți un funcționar al compartimentului."}]
        )
    if row.role == "head" and row.department not in target.head_of:
        raise Invalid([{"field": "/user_id", "message": "Sarcina este rezervată șefilor."}])
    away = absence(session, target.id)
    if away is not None:
        until = f"{away.ends_on:%d.%m.%Y}"
        message = f"{target.name} lipsește până la {until} ({away.reason}); alegeți pe altcineva."
        raise Invalid([{"field": "/user_id", "message": message}])
    before = row.claimed_by_id
    row.claimed_by_id, row.claimed_at = target.id, utcnow()
    audit.task_event(
        session,
        "task_assigned",
        row,
        actor_id=head.id,
        assigned_to=target.id,
        assigned_to_name=target.name,
        previous=before,
    )
    return row


def redirect_task(
    session: Session, user: User, task_id: str, department: Any, reason: Any
) -> TaskRecord:
    """Move a READY task to another department's inbox, with the reason in the history."""
    row = _task(session, task_id)
    if row.claimed_by_id != user.id and row.department not in user.head_of:
        raise Forbidden("Redirecționează cine a preluat sarcina sau șeful compartimentului.")
    if row.state != TaskState.READY:
        raise Conflict("Sarcina a fost deja finalizată.", code="not_ready")
    errors = []
    target = session.get(Department, department) if isinstance(department, str) else None
    if target is None or target.code == row.department:
        errors.append({"field": "/department", "message": "Alegeți alt compartiment al primăriei."})
    elif not members(session, target.code):  # the task would wait where nobody sees it
        errors.append(
            {
                "field": "/department",
                "message": f"Compartimentul „{target.name}” nu are niciun funcționar: "
                "alegeți un compartiment în care lucrează cineva.",
            }
        )
    elif row.role == "head" and not _has_head(session, target.code):
        errors.append(
            {
                "field": "/department",
                "message": f"Sarcina este rezervată șefilor, iar compartimentul „{target.name}” "
                "nu are șef: alegeți un compartiment care are.",
            }
        )
    reason = " ".join(str(reason or "").split())[:500]
    if len(reason) < 5:
        errors.append({"field": "/reason", "message": "Spuneți de ce redirecționați sarcina."})
    if errors:
        raise Invalid(errors)
    assert target is not None
    loaded = runtime.load(session, row.instance_id)  # the lane's variable follows the redirect
    task = spifftasks.find_task(loaded.workflow, row.id)
    if task is None or not task.has_state(SpiffState.READY):
        raise Conflict("Sarcina a fost deja finalizată de altcineva.", code="not_ready")
    lane = task.task_spec.lane or ""
    if lane.startswith("{") and lane.endswith("}"):
        task.data[lane[1:-1].strip()] = target.code
        runtime.save(session, loaded)
    source = row.department
    row.department, row.claimed_by_id, row.claimed_at = target.code, None, None
    audit.record(
        session,
        "task_redirected",
        actor_id=user.id,
        request_id=row.request_id,
        task=row.id,
        name=row.name,
        department=target.code,
        source=source,
        reason=reason,
    )
    return row


ACTIONS = {
    "request_registered": "Înregistrată",
    "document_registered": "Document înregistrat în registru",
    "request_joined": "Conexată la o petiție anterioară",
    "task_ready": "Sarcină nouă în lista compartimentului",
    "task_claimed": "Sarcină preluată",
    "task_released": "Sarcină eliberată",
    "task_assigned": "Sarcină repartizată de șef",
    "task_redirected": "Sarcină redirecționată",
    "request_forwarded": "Transmisă autorității competente",
    "task_completed": "Sarcină finalizată",
    "step_late": "Pas finalizat după termenul legal",
    "answer_signed": "Răspuns semnat",
    "four_eyes_waived": "Principiul celor patru ochi nu s-a putut aplica",
    "status_changed": "Stare schimbată",
    "deadline_extended": "Termen prelungit",
    "request_closed": "Cerere închisă",
    "answer_dispatched": "Răspuns expediat",
    "process_error": "Eroare în diagramă: pasul nu a rulat",
    "stuck_retried": "Pas reluat de administrator",
    "stuck_ended": "Cerere blocată încheiată de administrator",
}
# A request's status as the history names it (the portal's labels, in lower case).
STATUS_WORDS = {
    "registered": "înregistrată",
    "in_progress": "în lucru",
    "waiting_for_citizen": "așteaptă completări de la petent",
    "completed": "soluționată",
    "rejected": "clasată",
    "withdrawn": "retrasă",
}


def _label(action: str, detail: dict[str, Any]) -> str:
    """Name an event; a status change says from what to what."""
    label = ACTIONS.get(action, action)
    if action == "status_changed" and detail.get("new"):
        old, new = detail.get("old"), detail["new"]
        words = [STATUS_WORDS.get(str(v), str(v)) for v in (old, new) if v]
        label += ": " + " → ".join(words)
    if action == "deadline_extended" and detail.get("days"):
        label += f" cu {detail['days']} zile"
        if detail.get("new"):
            label += f", până la {date.fromisoformat(str(detail['new'])):%d.%m.%Y}"
    if action == "answer_dispatched":  # the channel, day and postal reference, as recorded
        label += f" {book.DISPATCH_CHANNELS.get(str(detail.get('channel')), '')}".rstrip()
        if detail.get("sent_on"):
            label += f" la {date.fromisoformat(str(detail['sent_on'])):%d.%m.%Y}"
        if detail.get("reference"):
            label += f", ref. {detail['reference']}"
    return label


DETAIL_KEYS = (
    "name",
    "department",
    "source",
    "authority",
    "reason",
    "assigned_to_name",
    "old",
    "new",
)


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((as_aware(end) - as_aware(start)).total_seconds() / 3600, 1)


def history(
    session: Session, user: User, request_id: int, *, log_access: bool = True
) -> dict[str, Any]:
    """Return every step, claim, redirect, message and document of a request, with who and why.

    A page that already logged the official's look passes `log_access=False`."""
    if not user.is_official and not user.is_admin:
        raise NotFound("Cererea nu există.")
    find = queries.request_for if log_access else queries._visible_request
    request = find(session, user, request_id)
    audit = session.scalars(
        select(AuditEvent).where(AuditEvent.request_id == request.id).order_by(AuditEvent.id)
    ).all()
    documents = session.scalars(select(Document).where(Document.request_id == request.id)).all()
    tasks = queries.steps(session, request.id)
    # The names of those who acted on this request only (a county has 100,000s of accounts);
    # the steps come with theirs.
    people = {e.actor_id for e in audit} | {d.uploaded_by_id for d in documents}
    people.discard(None)
    names: dict[int | None, str] = (
        {i: n for i, n in session.execute(select(User.id, User.name).where(User.id.in_(people)))}
        if people
        else {}
    )
    events = []
    for e in audit:
        detail = {k: e.detail[k] for k in DETAIL_KEYS if e.detail.get(k) is not None}
        events.append(
            {"at": e.at, "action": e.action, "label": _label(e.action, e.detail),
             "by": names.get(e.actor_id), **detail}
        )  # fmt: skip
    for d in documents:
        events.append(
            {"at": d.created_at, "action": "document", "label": "Document", "name": d.name,
             "kind": d.kind, "by": names.get(d.uploaded_by_id), "sha256": d.sha256}
        )  # fmt: skip
    events.sort(key=lambda ev: as_aware(ev["at"]))
    steps = [
        {"id": t.id, "name": t.name, "department": t.department, "state": t.state.value,
         "started_at": t.created_at, "completed_at": t.completed_at,
         "completed_by": t.completed_by.name if t.completed_by else None,
         "claimed_by": t.claimed_by.name if t.claimed_by else None,
         "hours": _hours(t.created_at, t.completed_at)}
        for t in tasks
    ]  # fmt: skip
    return {"request_id": request.id, "events": events, "steps": steps}


def overview(session: Session, user: User) -> list[dict[str, Any]]:
    """Count per department the open tasks, those at risk and those overdue (administrators)."""
    if not user.is_admin:
        raise Forbidden("Privirea de ansamblu este pentru administratori.")
    today = local_today()
    rows = session.execute(
        select(TaskRecord.department, TaskRecord.due_date, func.count())
        .where(TaskRecord.state == TaskState.READY)
        .group_by(TaskRecord.department, TaskRecord.due_date)
    ).all()
    out: dict[str, dict[str, Any]] = {}
    for dept, due, n in rows:
        slot = out.setdefault(dept, {"department": dept, "open": 0, "at_risk": 0, "overdue": 0})
        m = marks(due, today)
        slot["open"] += n
        slot["at_risk"] += n if m.at_risk else 0
        slot["overdue"] += n if m.overdue else 0
    return sorted(out.values(), key=lambda s: (-s["overdue"], -s["at_risk"], s["department"]))
