"""The registry's desk: register whatever comes in or goes out, on any channel; what comes in
under a procedure starts a request, so the desk stands on cases/operations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.cases import documents, operations, queries, receipts
from engine.circuit import Circuit
from engine.models import RegistryEntry, Request, User
from engine.platform.errors import Forbidden, Invalid
from engine.register import chain, conexare, entry_form
from engine.register.access import may_register
from engine.workflow import forms
from engine.workflow.catalog import Procedure

SCAN_TYPES = {"application/pdf", "image/jpeg", "image/png", "image/tiff"}


@dataclass
class Registered:
    """What a registration produced: the register's line and the request it started, if any."""

    entry: RegistryEntry
    request: Request | None
    created: bool = True


def _text(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    return " ".join(str(value).split()) if value not in (None, "") else ""


def _related(session: Session, text: str, errors: list[dict[str, str]]) -> RegistryEntry | None:
    """Find the earlier registration a document is linked to (the form checks its shape)."""
    parsed = entry_form.parse_registration(text) if text else None
    if parsed is None:
        return None
    entry = chain.find(session, parsed[1].year, parsed[0])
    if entry is None or entry.registered_on != parsed[1]:
        message = f"Nu există în registru înregistrarea {text}."
        errors.append({"field": "/related_to", "message": message})
        return None
    return entry


def destinations(session: Session, circuit: Circuit) -> list[tuple[str, str]]:
    """Return the departments correspondence may be sent to: those with people, and the registry."""
    registry_code = circuit.settings.registry_department
    staffed = operations.form_options(session, circuit)["departments"]
    name = queries.department_names(session).get(registry_code, registry_code)
    return [(registry_code, name), *staffed]


def _scans(
    circuit: Circuit, uploads: list[documents.Upload], errors: list[dict[str, str]]
) -> list[str]:
    """Check scanned files by content; return their MIME types."""
    limit = circuit.settings.max_upload_bytes
    mimes = []
    for upload in uploads:
        mime = documents.sniff(upload.content) if upload.content else None
        mimes.append(mime or "")
        if not upload.content:
            message = f"Fișierul „{upload.filename}” este gol."
        elif len(upload.content) > limit:
            message = f"Fișierul „{upload.filename}” este prea mare."
        elif mime not in SCAN_TYPES:
            message = f"Fișierul „{upload.filename}” nu este PDF, JPEG, PNG sau TIFF."
        else:
            continue
        errors.append({"field": "/files", "message": message})
    return mimes


@dataclass
class _Checked:
    """A registration whose every field passed: what the desk numbers and stores."""

    form: entry_form.EntryForm
    proc: Procedure | None
    linked: RegistryEntry | None
    earlier: Request | None  # the petition this one is joined to (conexare)
    uploads: list[documents.Upload]
    mimes: list[str]


def register_document(
    session: Session,
    circuit: Circuit,
    official: User,
    raw: Mapping[str, Any],
    uploads: list[documents.Upload] | None = None,
    *,
    clock: chain.Clock | None = None,
) -> Registered:
    """Register a document that came in or goes out; start its procedure if one is named.

    Every field is checked first and every problem told at once; nothing is stored then."""
    if not may_register(official):
        raise Forbidden("Numai registratura înregistrează documente.")
    key = _text(raw, "idempotency_key")[:64] or None
    if key:
        chain.lock_register(session)  # a retry waits for the first and finds its number
        first = session.scalar(select(RegistryEntry).where(RegistryEntry.idempotency_key == key))
        if first is not None:
            request = session.scalar(select(Request).where(Request.registry_entry_id == first.id))
            return Registered(first, request, created=False)
    checked = _check(session, circuit, raw, uploads or [])
    return _register(session, circuit, official, checked, key, clock)


def _check(
    session: Session, circuit: Circuit, raw: Mapping[str, Any], uploads: list[documents.Upload]
) -> _Checked:
    """Parse and validate a registration: the desk's form, the procedure's own form, the number
    it is linked to and the scans; raise Invalid with every problem at once."""
    catalog = circuit.procedures(session)  # current versions, as start_request reads them
    procedure_id = _text(raw, "procedure") or None
    proc = catalog.get(procedure_id) if procedure_id else None
    form, errors = entry_form.read(raw, destinations(session, circuit), procedure_id)
    if procedure_id and proc is None:
        errors.append(
            {
                "field": "/procedure",
                "message": "Alegeți o procedură din catalog (numai la intrare).",
            }
        )
    linked = _related(session, _text(raw, "related_to"), errors)
    mimes = _scans(circuit, uploads, errors)
    if proc is not None:
        version_id = catalog.version_of(proc.id)
        schema = operations.form_schema(session, circuit, proc.start_form, version_id)
        data = raw.get("data")
        errors += [
            {**err, "field": "/data" + err["field"]}
            for err in forms.form_errors(schema, dict(data) if isinstance(data, Mapping) else {})
        ]
    earlier = None
    if form is not None and form.join and proc is not None and linked is not None and not errors:
        try:
            earlier = conexare.earlier_request(session, linked, proc.id, form.issuer)
        except Invalid as exc:
            errors.extend(exc.errors)
    if errors or form is None:
        raise Invalid(errors)
    return _Checked(form, proc, linked, earlier, uploads, mimes)


def _register(
    session: Session,
    circuit: Circuit,
    official: User,
    checked: _Checked,
    key: str | None,
    clock: chain.Clock | None,
) -> Registered:
    """Number a checked document, start its procedure or join it, and keep its scans."""
    form, proc, linked, earlier = checked.form, checked.proc, checked.linked, checked.earlier
    files = [
        chain.describe(
            documents.safe_filename(u.filename),
            m,
            u.content,
            "scan",
            documents.slot_title_of("scan"),
        )
        for u, m in zip(checked.uploads, checked.mimes, strict=True)
    ]
    intake = chain.Intake(
        channel=form.channel,
        issuer=form.issuer,
        contact=form.issuer_contact or None,
        reply_by=form.reply_by,
        issuer_number=form.issuer_number,
        issuer_date=form.issuer_date,
        pages=form.pages,
        annexes=form.annexes,
        linked=linked,
        documents=files,
        actor_id=official.id,
        idempotency_key=key,
        summary=form.summary or None,
    )
    request = None
    if proc is not None and earlier is None:
        request, _ = operations.start_request(
            session, circuit, None, proc.id, form.data, [], intake=intake
        )
        entry = request.registry_entry
    else:
        entry = chain.register(
            session,
            clock=clock,
            direction=form.direction,
            issuer=form.issuer,
            recipient=form.recipient or None,
            summary=form.summary or (proc.title if proc else ""),
            department=form.department
            or (circuit.settings.registry_department if form.direction == "in" else None),
            linked=linked,
            file_code=proc.archive.get("file_code") if proc else None,
            **intake.entry_fields(),
        )
        if earlier is not None:
            request = conexare.register_joined(
                session, earlier, entry, intake, form.data, form.summary or earlier.summary
            )
    scans = [documents.Upload("scan", u.filename, u.content) for u in checked.uploads]
    if request is not None:  # the scans are the request's documents too
        documents.attach(
            session,
            circuit.settings.documents_dir,
            request.id,
            "scan",
            scans,
            checked.mimes,
            official.id,
        )
    for upload in scans if request is None else []:
        documents.store_bytes(circuit.settings.documents_dir, upload.content)
    audit.record(
        session,
        "document_registered",
        actor_id=official.id,
        request_id=request.id if request else None,
        number=entry.number,
        year=entry.year,
        direction=entry.direction,
        channel=entry.channel,
        linked=linked.display if linked else None,
    )
    session.flush()
    return Registered(entry, request)


def counter_receipt(
    session: Session, circuit: Circuit, official: User, request_id: int, issuer: str
) -> tuple[bytes, str]:
    """Return the registration receipt the registry prints for the person at the counter:
    the same PDF as the portal's, of any request (the registry sees them all)."""
    if not may_register(official):
        raise Forbidden("Numai registratura tipărește dovezile de înregistrare.")
    return receipts.receipt_pdf(session, circuit, official, request_id, issuer)
