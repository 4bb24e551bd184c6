"""The request page's read model: what the portal, the office and the API show of a request."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import issued, operations, queries, stats, terms
from engine.cases.applicant import DEFAULT_REPLY_FORM, reply_form
from engine.circuit import Circuit
from engine.deadlines.legal_calendar import DeadlineKind
from engine.models import AuditEvent, Document, Request, RequestStatus, TaskRecord, TaskState, User
from engine.platform.timeutil import local_today
from engine.workflow import versions
from engine.workflow.catalog import AttachmentSpec, Procedure
from engine.workflow.spifftasks import APPLICANT_LANE


def choices(prop: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return a property's (value, label) choices from `oneOf`/`anyOf` consts or `enum`."""
    options = prop.get("oneOf") or prop.get("anyOf")
    if isinstance(options, list) and all(isinstance(c, dict) and "const" in c for c in options):
        return [(str(c["const"]), str(c.get("title", c["const"]))) for c in options]
    if isinstance(prop.get("enum"), list):
        return [(str(v), str(v)) for v in prop["enum"]]
    return []


def display_value(prop: Mapping[str, Any], value: Any) -> str:
    """Show a stored value the way the form offered it (choice titles, Da/Nu)."""
    if isinstance(value, bool):
        return "Da" if value else "Nu"
    options = dict(choices(prop.get("items", {}) if prop.get("type") == "array" else prop))
    if isinstance(value, list):
        return ", ".join(options.get(str(v), str(v)) for v in value)
    if value is None:
        return ""
    return options.get(str(value), str(value))


def read_title(title: str) -> str:
    """A field's title as a heading over what was sent: "(opțional)" is for the form only."""
    return re.sub(r"\s*\(opțional\)\s*$", "", title, flags=re.IGNORECASE) or title


def form_summary(schema: Mapping[str, Any], data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return (title, value) pairs of submitted data, read-only, in the form's order."""
    out = []
    for name, prop in schema.get("properties", {}).items():
        if name in data and data[name] not in (None, "", []):
            title = read_title(str(prop.get("title", name)))
            out.append((title, display_value(prop, data[name])))
    return out


@dataclass(frozen=True)
class WaitingFor:
    """What the request waits for from the applicant: a question and the form to answer it."""

    task: TaskRecord
    message: str
    form: dict[str, Any]
    attachments: tuple[AttachmentSpec, ...]
    answer_by: date | None = None  # the task's own term, when the diagram gives one


@dataclass(frozen=True)
class Exchange:
    """One question put to the applicant, and the reply when there is one."""

    task_id: str
    step: str
    question: str | None
    asked_at: datetime
    asked_by: str | None  # the department whose step came just before the question
    state: TaskState
    reply: list[tuple[str, str]] = field(default_factory=list)
    reply_data: dict[str, Any] = field(default_factory=dict)
    replied_at: datetime | None = None
    documents: list[Document] = field(default_factory=list)


@dataclass(frozen=True)
class Deadline:
    """The legal term of a request as the people waiting on it see it."""

    due_date: date
    days_left: int | None  # calendar days from today; None once the request is closed
    overdue: bool
    extended_by_days: int = 0
    suspended_days: int = 0
    waiting_now: bool = False  # the clock stands still: the request waits for the citizen
    tacit_approval_may_apply: bool = False  # overdue, and the procedure's silence approves
    extensions: int = 0
    may_extend: bool = False  # the procedure allows one more extension (not who may)
    working_days: bool = False  # the term is counted in working days

    def sentences(self, *, applicant: bool) -> list[str]:
        """Say the term in words, for the applicant or for officials (tacit approval)."""
        unit = "zile lucrătoare" if self.working_days else "zile"
        whose = "dumneavoastră" if applicant else "petentului"
        out = []
        if self.extended_by_days:
            out.append(f"Termenul a fost prelungit cu {self.extended_by_days} {unit}.")
        if self.waiting_now:
            out.append(
                f"Termenul este suspendat cât timp cererea așteaptă completările {whose}: "
                "fiecare zi de așteptare mută data de mai sus."
            )
        if self.suspended_days:
            out.append(
                f"Cele {self.suspended_days} {unit} în care cererea a așteptat completările "
                f"{whose} nu intră în termen."
                if self.suspended_days != 1
                else f"Ziua în care cererea a așteptat completările {whose} nu intră în termen."
            )
        if self.days_left is not None and not self.waiting_now:
            if self.overdue:
                late = -self.days_left
                out.append(
                    "Termenul a fost depășit cu o zi."
                    if late == 1
                    else f"Termenul a fost depășit cu {late} zile."
                )
            elif self.days_left == 0:
                out.append("Termenul expiră astăzi.")
            else:
                out.append(
                    "Mai este o zi până la termen."
                    if self.days_left == 1
                    else f"Mai sunt {self.days_left} zile până la termen."
                )
        if self.tacit_approval_may_apply and not applicant:
            out.append(
                "Poate interveni aprobarea tacită (OUG 27/2003): o autorizație la care nu s-a "
                "răspuns în termenul legal se consideră acordată."
            )
        return out


@dataclass(frozen=True)
class LateStep:
    """A step completed after its legal term, with the reason the diagram gives."""

    name: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class RequestPage:
    """Everything a request's page shows, built once for every view."""

    request: Request
    procedure: Procedure | None
    submitted: list[tuple[str, str]]
    steps: list[TaskRecord]
    step_data: dict[str, list[tuple[str, str]]]
    waiting_for: WaitingFor | None
    documents: list[Document]
    answer: str | None
    conversation: list[Exchange]
    deadline: Deadline
    late: list[LateStep] = field(default_factory=list)
    # What requests like this one took lately (engine.cases.stats); None with too few answers.
    predicted: stats.Prediction | None = None
    # The verification code of each document the city hall issued, by document id.
    verification_codes: dict[int, str] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return not self.request.status.is_closed

    @property
    def withdrawable(self) -> bool:
        return self.is_open and self.procedure is not None and self.procedure.withdrawable


def deadline(
    request: Request,
    today: date | None = None,
    found: terms.Term | None = None,
    working: bool = False,
) -> Deadline:
    """Say how many days are left of the legal term and whether it has passed, with what
    moved it (extensions, days waiting for the citizen) when `found` says so."""
    found = found or terms.Term(request.due_date, 0, 0, 0, False, False)
    if request.status.is_closed:
        left: int | None = None
        overdue = False
    else:
        left = (found.due_date - (today or local_today())).days
        overdue = left < 0 and not found.waiting_now
    return Deadline(
        found.due_date,
        left,
        overdue,
        extended_by_days=found.extended_by_days,
        suspended_days=found.suspended_days,
        waiting_now=found.waiting_now and left is not None,
        tacit_approval_may_apply=overdue and found.tacit_approval,
        extensions=found.extensions,
        working_days=working,
    )


def _schema(
    session: Session, circuit: Circuit, form: str | None, version_id: int | None
) -> dict[str, Any] | None:
    try:
        return operations.form_schema(session, circuit, form, version_id) if form else None
    except FileNotFoundError:  # a form renamed since: the data is still shown, untitled
        return {"type": "object", "properties": {}}


def _untitled(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(k, display_value({}, v)) for k, v in data.items() if v not in (None, "", [])]


def _conversation(
    session: Session,
    circuit: Circuit,
    request_id: int,
    steps: list[TaskRecord],
    answers: dict[str, dict[str, Any]],
    docs: list[Document],
    version_id: int | None = None,
) -> list[Exchange]:
    replied = session.scalars(
        select(AuditEvent).where(
            AuditEvent.request_id == request_id, AuditEvent.action == "citizen_replied"
        )
    )
    files: dict[str, list[int]] = {
        str(e.detail.get("task")): list(e.detail.get("documents") or []) for e in replied
    }
    by_id = {d.id: d for d in docs}
    out: list[Exchange] = []
    previous: str | None = None
    for step in steps:
        if step.department != APPLICANT_LANE:
            previous = step.department
            continue
        data = answers.get(step.id, {})
        schema = (
            _schema(session, circuit, step.form, version_id) if step.form else DEFAULT_REPLY_FORM
        )
        summary = form_summary(schema, data) if schema and schema.get("properties") else []
        out.append(
            Exchange(
                task_id=step.id,
                step=step.name,
                question=step.instructions,
                asked_at=step.created_at,
                asked_by=previous,
                state=step.state,
                reply=summary or _untitled(data),
                reply_data=data,
                replied_at=step.completed_at if step.state == TaskState.COMPLETED else None,
                documents=[by_id[i] for i in files.get(step.id, []) if i in by_id],
            )
        )
    return out


def _waiting_for(
    session: Session, circuit: Circuit, request: Request, steps: list[TaskRecord]
) -> WaitingFor | None:
    if request.status != RequestStatus.WAITING_FOR_CITIZEN:
        return None
    row = next(
        (s for s in steps if s.department == APPLICANT_LANE and s.state == TaskState.READY), None
    )
    if row is None:
        return None
    schema, specs = reply_form(session, circuit, request, row)
    return WaitingFor(row, row.instructions or row.name, schema, specs, row.answer_by)


def _deadline(
    session: Session, circuit: Circuit, request: Request, proc: Procedure | None
) -> Deadline:
    """The request's term now (a suspension still running moves it day by day; the stored
    date is written again when the suspension ends, engine.cases.terms.refresh)."""
    found = terms.term(session, circuit.calendar(session), request, proc)
    working = proc is not None and proc.deadline_kind is DeadlineKind.WORKING
    out = deadline(request, found=found, working=working)
    rules = proc.rules if proc else None
    more = bool(rules and rules.extension_max_times > found.extensions)
    return dataclasses.replace(out, may_extend=more and not request.status.is_closed)


def _late(session: Session, request_id: int) -> list[LateStep]:
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.request_id == request_id, AuditEvent.action == "step_late")
        .order_by(AuditEvent.id)
    )
    return [
        LateStep(str(e.detail.get("name") or ""), str(e.detail.get("reason") or ""), e.at)
        for e in events
    ]


def request_page(
    session: Session, circuit: Circuit, user: User, request_id: int, *, internal: bool = False
) -> RequestPage:
    """Build a request's page for someone who may see it (NotFound for anyone else).

    `internal` adds what each official step was completed with."""
    request = queries.request_for(session, user, request_id)
    version_id = versions.request_version(session, request.id)
    proc = versions.procedure_of(session, circuit, version_id, request.procedure)
    start = _schema(session, circuit, proc.start_form, version_id) if proc else None
    steps = queries.steps(session, request.id)
    answers = queries.step_submissions(session, request.id)
    docs = queries.request_documents(session, request.id)
    step_data: dict[str, list[tuple[str, str]]] = {}
    if internal:
        for step in steps:
            if step.id in answers and step.form and step.department != APPLICANT_LANE:
                schema = _schema(session, circuit, step.form, version_id) or {}
                step_data[step.id] = form_summary(schema, answers[step.id])
    return RequestPage(
        request=request,
        procedure=proc,
        submitted=form_summary(start, request.data or {}) if start else [],
        steps=steps,
        step_data=step_data,
        waiting_for=_waiting_for(session, circuit, request, steps),
        documents=docs,
        answer=request.answer,
        conversation=_conversation(session, circuit, request.id, steps, answers, docs, version_id),
        deadline=_deadline(session, circuit, request, proc),
        late=_late(session, request.id),
        predicted=None
        if request.status.is_closed
        else stats.prediction(session, circuit.calendar(session), request),
        verification_codes=issued.codes_by_document(
            session, [d.id for d in docs if d.kind == "issued"]
        ),
    )
