"""What citizens and officials do to requests: register, claim, complete, reply."""

from __future__ import annotations

import copy
from datetime import datetime, time, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState as SpiffState
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from engine import audit
from engine.cases import dispatch, documents, foureyes, issued, officials, representation, terms
from engine.cases.stuckreason import stuck_reason
from engine.circuit import Circuit
from engine.deadlines.legal_calendar import LegalCalendar
from engine.messages import notify
from engine.models import (
    Instance,
    Request,
    RequestStatus,
    TaskRecord,
    TaskState,
    User,
)
from engine.people import mydata, organisation
from engine.platform.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ProcessFailure,
)
from engine.platform.timeutil import BUCHAREST, utcnow
from engine.register import chain, conexare
from engine.workflow import definitions, forms, runtime, spifftasks, taskindex, versions
from engine.workflow.catalog import AttachmentSpec, Catalog, Procedure
from engine.workflow.taskindex import DiagramMessage


def form_options(session: Session, circuit: Circuit) -> dict[str, list[tuple[str, str]]]:
    """Return the live choices that forms may ask for with `x-options`: departments that
    have people in them (the registry, which routes, is not a choice)."""
    registry_code = circuit.settings.registry_department
    departments = organisation.staffed_departments(session)
    return {"departments": [(c, n) for c, n in departments if c != registry_code]}


def form_schema(
    session: Session, circuit: Circuit, filename: str, version_id: int | None = None
) -> dict[str, Any]:
    """Return a form's JSON Schema, as the version has it, with its live choices filled in."""
    schema = versions.form(session, circuit, filename, version_id)
    if not forms.has_options(schema):
        return schema
    return forms.with_options(schema, form_options(session, circuit))


def procedure_or_400(
    circuit: Circuit, procedure_id: Any, catalog: Catalog | None = None
) -> Procedure:
    """Return the procedure with this id from the catalog (the folders' if none is given)
    or refuse with a clear message."""
    catalog = catalog or circuit.catalog
    proc = catalog.get(procedure_id) if isinstance(procedure_id, str) else None
    if proc is None:
        raise BadRequest("Procedura cerută nu există în catalog.", code="unknown_procedure")
    return proc


def _reminder_at(
    calendar: LegalCalendar, proc: Procedure, now: datetime, hour: time = time(9, 0)
) -> str | None:
    """The instant of the reminder: the Nth day after registration, on a working day, at the
    configured hour (CIRCUIT_REMINDER_HOUR) whatever the time the request was registered."""
    local = now.astimezone(BUCHAREST)
    if proc.reminder_after_seconds is not None:  # drills and tests
        return (local + timedelta(seconds=proc.reminder_after_seconds)).isoformat()
    if not proc.reminder_days:
        return None
    day = calendar.next_working_day(local.date() + timedelta(days=proc.reminder_days))
    return datetime.combine(day, hour, BUCHAREST).isoformat(timespec="seconds")


def _check_submission(
    schema: dict[str, Any],
    data: Any,
    specs: tuple[AttachmentSpec, ...],
    uploads: list[documents.Upload],
    max_files: int = 20,
) -> tuple[dict[str, Any], list[str]]:
    """Validate the form and the files together, so every problem is told at once."""
    errors = forms.form_errors(schema, data)
    errors.extend(documents.check_count(max_files, uploads))
    mimes: list[str] = []
    try:
        mimes = documents.check_uploads(specs, uploads, data)
    except Invalid as exc:
        errors.extend(exc.errors)
    if errors:
        raise Invalid(errors)
    return dict(data), mimes


def find_by_idempotency_key(session: Session, applicant: User, key: str) -> Request | None:
    """Return the request this applicant already registered under this key."""
    return session.scalar(
        select(Request).where(Request.applicant_id == applicant.id, Request.idempotency_key == key)
    )


def first_registered(
    session: Session, applicant: User, key: str | None, conflict: IntegrityError
) -> Request:
    """After a commit refused for a duplicate key, roll back and return the request the same
    idempotency key registered first (a double click, a retried call); re-raise the conflict
    if it was about something else."""
    session.rollback()
    found = find_by_idempotency_key(session, applicant, key[:200]) if key else None
    if found is None:
        raise conflict
    return found


def start_request(
    session: Session,
    circuit: Circuit,
    applicant: User | None,
    procedure_id: Any,
    data: Any,
    uploads: list[documents.Upload] | None = None,
    idempotency_key: str | None = None,
    intake: chain.Intake | None = None,
    company: str | None = None,
) -> tuple[Request, bool]:
    """Register a request and start its workflow; return it and whether it is new.

    Without an applicant (the registry registering for someone with no account) the
    intake names the issuer and where the answer goes."""
    intake = intake or chain.Intake()
    issuer = applicant.name if applicant else (intake.issuer or "")
    actor_id = applicant.id if applicant else intake.actor_id
    key = idempotency_key[:200] if idempotency_key else None
    if key and applicant:
        existing = find_by_idempotency_key(session, applicant, key)
        if existing is not None:
            return existing, False
    if applicant is not None and not applicant.verified:
        raise Forbidden(
            "Confirmați adresa de e-mail înainte de a depune o cerere: deschideți linkul "
            "primit pe e-mail sau cereți altul din pagina contului.",
            code="email_not_verified",
        )
    # `company`: a CUI they act for, once the registry accepted their proof
    firm = representation.company_for(session, applicant, company) if applicant else None
    catalog = circuit.procedures(session)  # current versions, read once
    proc = procedure_or_400(circuit, procedure_id, catalog)
    version_id = catalog.version_of(proc.id)
    assert version_id is not None  # a catalog from the database has a version for each
    empty = organisation.procedure_unstaffed(session, circuit, version_id)
    if empty:  # the request would wait in a department where nobody sees it
        raise Conflict(
            organisation.unavailable_reason(session, empty),
            code="procedure_unavailable",
            departments=empty,
        )
    uploads = uploads or []
    clean, mimes = _check_submission(
        form_schema(session, circuit, proc.start_form, version_id),
        data,
        proc.attachments,
        uploads,
        proc.max_files,
    )
    if applicant is not None:  # a taxpayer other than the applicant needs an împuternicire
        representation.check_parties(session, applicant, proc, clean)
    parsed = definitions.definition(session, version_id)

    # Everything that needs no number is done before the register's counter is locked.
    now = utcnow()
    today = now.astimezone(BUCHAREST).date()
    calendar = circuit.calendar(session)
    due = calendar.deadline(today, proc.deadline_days, proc.deadline_kind)
    summary = str(clean.get(proc.summary_field or "", "") or proc.title)[:500]
    initial = dict(clean)
    initial.update(copy.deepcopy(proc.variables))  # the designer's data wins over the form's
    initial.update(proc.completion_data())
    initial.update(
        cerere={"data": today.isoformat(), "procedura": proc.id, "termen_legal": due.isoformat()},
        petent=chain.petent(applicant.email if applicant else None, issuer, intake)
        | ({"firma": firm.name, "cui": firm.cui} if firm else {}),
        termen_legal=due.isoformat(),
    )
    reminder = _reminder_at(calendar, proc, now, circuit.settings.reminder_hour)
    if reminder:
        initial["reamintire_la"] = reminder
    workflow = runtime.new_workflow(parsed, initial, session, circuit.calendar)
    organisation.check_routing(session, workflow, registry=circuit.settings.registry_department)
    state = definitions.dump_workflow(workflow)

    if not intake.documents:
        titles = documents.slot_titles(proc.attachments)
        intake.documents = [
            chain.describe(
                documents.safe_filename(u.filename, m), m, u.content, u.field, titles.get(u.field)
            )
            for u, m in zip(uploads, mimes, strict=True)
        ]
    entry = chain.register(
        session,
        direction="in",
        issuer=f"{firm.name} (CUI {firm.cui})" if firm else issuer,
        summary=intake.summary or summary,
        department=circuit.settings.registry_department,
        file_code=proc.archive.get("file_code"),
        linked=intake.linked,
        **intake.entry_fields(),
    )
    now = entry.registered_at  # taken under the register's lock: requests queue in its order
    request = chain.new_request(
        session,
        entry,
        procedure=proc.id,
        status=RequestStatus.REGISTERED,
        due_date=due,
        summary=summary,
        data=clean,
        applicant_id=applicant.id if applicant else None,
        issuer_name=None if applicant else issuer,
        issuer_contact=None if applicant else intake.contact,
        reply_by=None if applicant else intake.reply_by,
        idempotency_key=key,
        company_id=firm.id if firm else None,
    )
    instance = Instance(
        request_id=request.id,
        process_version_id=version_id,
        state=state,
        revision=1,
        completed=workflow.is_completed(),
        updated_at=now,
    )
    session.add(instance)
    session.flush()
    runtime.remember(session, instance, workflow)  # the first step need not deserialise it
    documents.attach(
        session,
        circuit.settings.documents_dir,
        request.id,
        "attachment",
        uploads,
        mimes,
        actor_id,
        proc.attachments,
    )
    audit.record(
        session,
        "request_registered",
        actor_id=actor_id,
        request_id=request.id,
        number=entry.number,
        year=entry.year,
        procedure=proc.id,
        process_version=version_id,
        documents=len(uploads),
    )
    said = taskindex.sync(
        session,
        request,
        instance,
        workflow,
        before=taskindex.Snapshot(),
        actor_id=actor_id,
        answer_field=proc.answer_field,
        now=now,
        registry=circuit.settings.registry_department,
    )
    notify.diagram_messages(session, request, said, proc.title)
    notify.request_status(session, request)
    return request, True


def task_for_official(session: Session, user: User, task_id: str) -> TaskRecord:
    """Return a task the official may work on; NotFound or Forbidden otherwise."""
    row = session.get(TaskRecord, task_id, options=[joinedload(TaskRecord.request)])
    if row is None:
        raise NotFound("Sarcina nu există.")
    if row.department not in user.departments:
        raise Forbidden("Sarcina aparține altui compartiment.")
    if row.role == "head" and row.department not in user.head_of:
        raise Forbidden("Numai șeful compartimentului poate finaliza această sarcină.")
    return row


def ensure_workable(row: TaskRecord, user: User) -> None:
    """Refuse a task that is no longer READY or that a colleague holds."""
    if row.state != TaskState.READY:
        raise Conflict("Sarcina a fost deja finalizată.", code="not_ready")
    if row.claimed_by_id not in (None, user.id):
        raise Conflict(
            "Sarcina este preluată de alt funcționar.",
            code="claimed",
            claimed_by=row.claimed_by.name if row.claimed_by else None,
        )


def claim_task(session: Session, user: User, task_id: str, reason: str | None = None) -> TaskRecord:
    """Take a task from the department's inbox so colleagues see who works on it.

    Skipping an older free task of the same department needs a reason, which is recorded."""
    row = task_for_official(session, user, task_id)
    row = (
        session.scalar(
            select(TaskRecord)
            .where(TaskRecord.id == task_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        or row
    )
    ensure_workable(row, user)
    if row.claimed_by_id is None:
        _claim(session, user, row, reason)
    return row


def _claim(session: Session, user: User, row: TaskRecord, reason: str | None) -> None:
    skipped = officials.check_claim_order(session, user, row, reason)
    row.claimed_by_id = user.id
    row.claimed_at = utcnow()
    audit.task_event(
        session,
        "task_claimed",
        row,
        actor_id=user.id,
        **({"reason": skipped} if skipped else {}),
    )


def release_task(session: Session, user: User, task_id: str) -> TaskRecord:
    """Give a claimed task back to the department's inbox."""
    row = task_for_official(session, user, task_id)
    if row.claimed_by_id == user.id and row.state == TaskState.READY:
        row.claimed_by_id = None
        row.claimed_at = None
        audit.record(
            session,
            "task_released",
            actor_id=user.id,
            request_id=row.request_id,
            task=row.id,
            name=row.name,
        )
    return row


def _diagram_term(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The data of an open task that carries a term the diagram extended (terms.DIAGRAM_TERM)."""
    for task in spifftasks.all_tasks(workflow, state=SpiffState.READY | SpiffState.WAITING):
        if terms.DIAGRAM_TERM in task.data:
            return dict(task.data)
    return {}


def _complete(
    session: Session, circuit: Circuit, row: TaskRecord, data: dict[str, Any], actor: User
) -> Request:
    """Complete a READY task under the instance lock; refuse if it changed meanwhile."""
    # Waits for any other writer. Not flushed first: a claim just made (the task's row and
    # its audit line) is written with the rest of the step, in the same statements.
    with session.no_autoflush:
        loaded = runtime.load(session, row.instance_id, circuit.calendar)
    version_id = loaded.row.process_version_id
    schema = form_schema(session, circuit, row.form, version_id) if row.form else {"type": "object"}
    clean = forms.validate_form(schema, data)
    # The instance, read under the lock, is the truth: a colleague may have just finished it.
    task = spifftasks.find_task(loaded.workflow, row.id)
    if task is None or not task.has_state(SpiffState.READY):
        raise Conflict("Sarcina a fost deja finalizată de altcineva.", code="not_ready")
    foureyes.ensure_other_person(session, row, task, actor)
    for field in schema.get("properties", {}):  # a form answered again starts clean
        task.data.pop(field, None)
    task.data.update(clean)
    request = row.request
    proc = versions.procedure_of(session, circuit, version_id, request.procedure)
    before = request.status
    try:
        late = foureyes.ensure_rules(session, loaded.workflow, row, task, proc)
        if late:
            foureyes.record_late(session, row, actor, late)
        said = runtime.advance(
            session,
            loaded,
            request,
            task=task,
            actor_id=actor.id,
            completed_row=row,
            answer_field=proc.answer_field if proc else None,
            registry=circuit.settings.registry_department,
        )
    except ProcessFailure as failure:  # kept in the audit once this transaction is undone
        stuck_reason(session, circuit, failure, request.id, "task", row.id, actor.id, clean)
        raise
    notify.diagram_messages(session, request, said, proc.title if proc else None)
    terms.adopt_diagram_extension(
        session, circuit, request, proc, _diagram_term(loaded.workflow), actor.id
    )
    mydata.record_access(
        session, actor, request, mydata.CHANGED, f"pasul {row.name}", department=row.department
    )
    organisation.check_routing(
        session, loaded.workflow, loaded.before.ready, registry=circuit.settings.registry_department
    )
    audit.task_event(
        session,
        "task_completed",
        row,
        actor_id=actor.id,
        data=clean,
    )
    if request.status != before:
        _record_status_change(session, request, actor, before)
        if request.status.is_closed:
            give_answer(request, loaded.workflow, said, proc)
        notify.request_status(session, request)
    if request.status.is_closed:
        _close(session, request, actor, circuit=circuit, data=issued.process_data(loaded.workflow))
    return request


def closed_by_timer(
    session: Session,
    circuit: Circuit,
    request: Request,
    before: RequestStatus,
    workflow: BpmnWorkflow,
    said: list[DiagramMessage],
    proc: Procedure | None,
) -> None:
    """After a timer ended a request (no answer from the applicant in time, say): record the
    status, give the request the answer it owes, tell the applicant, register the answer."""
    if not request.status.is_closed or request.status == before:
        return
    _record_status_change(session, request, None, before)
    give_answer(request, workflow, said, proc)
    notify.request_status(session, request)
    _close(
        session,
        request,
        None,
        department=circuit.settings.registry_department,
        circuit=circuit,
        data=issued.process_data(workflow),
    )


def _record_status_change(
    session: Session, request: Request, actor: User | None, before: RequestStatus
) -> None:
    audit.record(
        session,
        "status_changed",
        actor_id=actor.id if actor else None,
        request_id=request.id,
        old=before.value,
        new=request.status.value,
    )


# The ends that owe the applicant an answer: a decision either way (solved, or rejected,
# clasată, returned as incomplete, closed for no completion in time). A withdrawal owes none:
# the applicant ended the request themself, so there is nothing left to decide or to answer
# (the duty to answer in writing is towards a petition still pending); the request's page
# and history say it was withdrawn, and nothing goes out of the register.
ANSWERED = (RequestStatus.COMPLETED, RequestStatus.REJECTED)


def _end_reached(workflow: BpmnWorkflow, status: RequestStatus) -> str | None:
    """Return the name of the end event that gave the request its final status."""
    for task in spifftasks.all_tasks(workflow, state=SpiffState.COMPLETED):
        props = spifftasks.task_properties(task)
        if isinstance(task.task_spec, EndEvent) and props.get("requestStatus") == status.value:
            return str(task.task_spec.bpmn_name or "") or None
    return None


def give_answer(
    request: Request,
    workflow: BpmnWorkflow,
    said: list[DiagramMessage],
    proc: Procedure | None,
) -> None:
    """Give a request that ended without the answer field's text (a rejection) the answer
    its applicant is owed: what the diagram said to the applicant as it ended (the end
    event's `notifyApplicant`, or the applicant's `timerMessage` of the timer that closed it),
    else the answer field's value, else a sentence naming the end reached."""
    if request.status not in ANSWERED or request.answer:
        return
    title = proc.title if proc else None
    texts = [
        notify.fill(m.template, notify.message_values(request, m.data, title))
        for m in said
        if m.recipients is None or "applicant" in m.recipients.replace(" ", "").split(",")
    ]
    if texts:
        request.answer = texts[-1]
        return
    field = proc.answer_field if proc else None
    value = workflow.data.get(field) if field else None
    if value not in (None, ""):
        request.answer = str(value)
        return
    if request.status != RequestStatus.REJECTED:
        return
    end = _end_reached(workflow, request.status)
    said_end = f": {end}" if end else ""
    request.answer = (
        f"Cererea nr. {request.registration_display} („{request.summary}”) a fost "
        f"închisă fără a fi admisă{said_end}."
    )


def end_early(
    session: Session,
    loaded: runtime.LoadedInstance,
    request: Request,
    actor: User,
    status: RequestStatus,
    registry: str,
) -> None:
    """Stop a locked instance before its end (every open step and timer cancelled) and close
    the request with this status: a withdrawal, a petition sent to another authority."""
    before = request.status
    loaded.workflow.cancel()
    runtime.save(session, loaded)
    said = taskindex.sync(
        session,
        request,
        loaded.row,
        loaded.workflow,
        before=loaded.before,
        actor_id=actor.id,
        registry=registry,
    )
    notify.diagram_messages(session, request, said, None)
    now = utcnow()
    request.status, request.closed_at, request.updated_at = status, now, now
    _record_status_change(session, request, actor, before)
    _close(session, request, actor)
    notify.request_status(session, request)


def _close(
    session: Session,
    request: Request,
    actor: User | None,
    department: str | None = None,
    circuit: Circuit | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Register the outgoing answer of an end that owes one (ANSWERED), linked to the
    request's number, and issue it signed (with `circuit`: its template, from the process's
    `data`); one to someone without an account waits for the registry to send it."""
    if request.status in ANSWERED and request.answer_entry_id is None:
        entry = chain.register(
            session,
            direction="out",
            issuer="Primăria",
            recipient=request.company.name if request.company else request.petitioner_name,
            summary=f"Răspuns: {request.summary}",
            department=department
            or (actor.departments[0] if actor and actor.departments else None),
            request_id=request.id,
            linked=request.registry_entry,
            file_code=request.registry_entry.file_code,
        )
        request.answer_entry_id = entry.id
        if circuit is not None:
            issued.issue(session, circuit, request, data)
        dispatch.tell_registry(session, request, entry)
    conexare.close_joined(session, request, actor)
    audit.record(
        session,
        "request_closed",
        actor_id=actor.id if actor else None,
        request_id=request.id,
        status=request.status.value,
    )


def complete_task(
    session: Session,
    circuit: Circuit,
    user: User,
    task_id: str,
    data: Any,
    reason: str | None = None,
) -> Request:
    """Complete an official's task with its form data and advance the workflow.

    A task nobody holds is claimed first, under the claim's rule: skipping an older free
    task of the department needs a reason, recorded as a claim's reason."""
    row = task_for_official(session, user, task_id)
    ensure_workable(row, user)
    if row.claimed_by_id is None:
        # Claimed without locking the task's row: two officials completing it at once both
        # wait for the instance's lock in _complete, and the second finds it done there.
        _claim(session, user, row, reason)
    if not isinstance(data, dict):
        data = {}
    return _complete(session, circuit, row, data, user)


# A citizen's reply and a withdrawal (engine.cases.applicant) complete and close like any step.
complete_row = _complete
close = _close
