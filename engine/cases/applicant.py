"""What the applicant does to a running request: answer what is asked, withdraw it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.cases import documents, operations, terms
from engine.circuit import Circuit
from engine.messages import notify
from engine.models import Instance, Request, RequestStatus, TaskRecord, TaskState, User
from engine.platform.errors import Conflict, Invalid, NotFound
from engine.workflow import forms, runtime, versions
from engine.workflow.catalog import AttachmentSpec, form_attachments
from engine.workflow.spifftasks import APPLICANT_LANE

# The form of a citizen task whose diagram names none: one text box.
DEFAULT_REPLY_FORM: dict[str, Any] = {
    "type": "object",
    "required": ["text"],
    "additionalProperties": False,
    "properties": {
        "text": {
            "type": "string",
            "title": "Răspunsul dumneavoastră",
            "minLength": 1,
            "maxLength": 10000,
            "x-widget": "textarea",
        }
    },
}


def own_request(session: Session, user: User, request_id: int) -> Request:
    """Return the applicant's own request; anyone else's answers as a missing one."""
    request = session.get(Request, request_id)
    if request is None or request.applicant_id != user.id:
        raise NotFound("Cererea nu există.")
    return request


def waiting_row(session: Session, request_id: int) -> TaskRecord | None:
    """Return the READY task that waits for the applicant, if any."""
    return session.scalar(
        select(TaskRecord)
        .where(
            TaskRecord.request_id == request_id,
            TaskRecord.state == TaskState.READY,
            TaskRecord.department == APPLICANT_LANE,
        )
        .order_by(TaskRecord.created_at, TaskRecord.id)
        .limit(1)
    )


def reply_form(
    session: Session, circuit: Circuit, request: Request, row: TaskRecord
) -> tuple[dict[str, Any], tuple[AttachmentSpec, ...]]:
    """Return the waiting task's form and the files it accepts (its `x-attachments`,
    else the catalog's `reply_attachments`)."""
    version_id = versions.request_version(session, request.id)
    schema = (
        operations.form_schema(session, circuit, row.form, version_id)
        if row.form
        else DEFAULT_REPLY_FORM
    )
    specs = form_attachments(schema)
    if not specs and "x-attachments" not in schema:
        proc = versions.request_procedure(session, circuit, request.procedure, request.id)
        specs = proc.reply_attachments if proc else ()
    return schema, specs


def waiting_form(
    session: Session, circuit: Circuit, user: User, request_id: int
) -> tuple[dict[str, Any], tuple[AttachmentSpec, ...]] | None:
    """Return the form and files the applicant's request waits for, or None."""
    request = own_request(session, user, request_id)
    row = waiting_row(session, request.id)
    return reply_form(session, circuit, request, row) if row is not None else None


def single_text_field(schema: dict[str, Any]) -> str | None:
    """Return the name of a form's only field when it is text (where `{"text"}` is accepted)."""
    props = schema.get("properties", {})
    if len(props) == 1:
        name, prop = next(iter(props.items()))
        if prop.get("type") == "string":
            return str(name)
    return None


def reply(
    session: Session,
    circuit: Circuit,
    user: User,
    request_id: int,
    data: Any = None,
    uploads: list[documents.Upload] | None = None,
    *,
    text: Any = None,
) -> Request:
    """Answer what the department asked with the waiting task's own form and files."""
    request = own_request(session, user, request_id)
    row = waiting_row(session, request.id)
    if row is None:
        raise Conflict("Pentru această cerere nu vi se cere nimic acum.", code="nothing_asked")
    schema, specs = reply_form(session, circuit, request, row)
    if data is None and text is not None:
        field = single_text_field(schema)
        data = {field: text} if field and isinstance(text, str) else text
    uploads = uploads or []
    errors = forms.form_errors(schema, data)
    mimes: list[str] = []
    try:
        mimes = documents.check_uploads(specs, uploads)
    except Invalid as exc:
        errors.extend(exc.errors)
    proc = versions.request_procedure(session, circuit, request.procedure, request.id)
    if uploads and proc is not None:
        held = documents.uploaded_count(session, request.id)
        errors.extend(documents.check_count(proc.max_files, uploads, held))
    if errors:
        raise Invalid(errors)
    clean = dict(data)
    request = operations.complete_row(session, circuit, row, clean, user)
    terms.refresh(session, circuit, request)  # the wait is over: the clock runs again
    docs = documents.attach(
        session,
        circuit.settings.documents_dir,
        request.id,
        "reply",
        uploads,
        mimes,
        user.id,
        specs,
    )
    session.flush()
    audit.record(
        session,
        "citizen_replied",
        actor_id=user.id,
        request_id=request.id,
        task=row.id,
        documents=[d.id for d in docs],
    )
    return request


def withdraw(session: Session, circuit: Circuit, user: User, request_id: int) -> Request:
    """Withdraw an open request where its procedure allows it: every open step stops."""
    request = own_request(session, user, request_id)
    proc = versions.request_procedure(session, circuit, request.procedure, request.id)
    if proc is None or not proc.withdrawable:
        raise Conflict("Această procedură nu permite retragerea cererii.", code="not_withdrawable")
    instance_id = session.scalar(select(Instance.id).where(Instance.request_id == request.id))
    if instance_id is None:
        raise NotFound("Cererea nu există.")
    loaded = runtime.load(
        session, instance_id, circuit.calendar
    )  # the status is read again under the lock
    if request.status.is_closed:
        raise Conflict("Cererea este deja închisă și nu mai poate fi retrasă.", code="closed")
    open_departments = sorted(
        {
            d
            for (d,) in session.execute(
                select(TaskRecord.department).where(
                    TaskRecord.request_id == request.id,
                    TaskRecord.state == TaskState.READY,
                    TaskRecord.department != APPLICANT_LANE,
                )
            )
        }
    )
    operations.end_early(
        session,
        loaded,
        request,
        user,
        RequestStatus.WITHDRAWN,
        circuit.settings.registry_department,
    )
    for department in open_departments:
        notify.post(
            session,
            request,
            "withdrawn",
            f"Cererea nr. {request.registration_display} a fost retrasă de petent; "
            "sarcinile ei au fost anulate.",
            department=department,
        )
    return request
