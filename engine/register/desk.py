"""The registry's desk: register whatever comes in or goes out, on any channel."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import documents, operations
from engine.models import RegistryEntry, Request, User
from engine.platform import audit
from engine.platform.context import Circuit
from engine.platform.errors import Forbidden, Invalid
from engine.register import chain, conexare
from engine.workflow import forms

REGISTRY_DEPARTMENT = "registratura"  # the default registry department; sees every entry
READERS = {REGISTRY_DEPARTMENT, "secretar"}  # the register's readers besides administrators
DIRECTIONS = {"in": "Intrare", "out": "Ieșire"}
CHANNELS = {
    "counter": "Ghișeu",
    "post": "Poștă",
    "email": "E-mail",
    "portal": "Portal",
    "fax": "Fax",
}
REPLY_BY = {"post": "prin poștă", "email": "prin e-mail"}
SCAN_TYPES = {"application/pdf", "image/jpeg", "image/png", "image/tiff"}
_REGISTRATION = re.compile(r"^\s*(?:nr\.?\s*)?(\d{1,7})\s*/\s*(\d{2})\.(\d{2})\.(\d{4})\s*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class Registered:
    """What a registration produced: the register's line and the request it started, if any."""

    entry: RegistryEntry
    request: Request | None
    created: bool = True


def may_register(user: User) -> bool:
    return user.is_admin or REGISTRY_DEPARTMENT in user.departments


def may_read_register(user: User) -> bool:
    return user.is_admin or bool(READERS & set(user.departments))


def require_reader(user: User) -> None:
    """Refuse whoever may not read the register (it names people and their petitions)."""
    if not may_read_register(user):
        raise Forbidden("Registrul poate fi consultat numai de registratură și de auditori.")


def verify(session: Session, user: User) -> chain.ChainCheck:
    """Walk the register's hash chain for a reader of the register."""
    require_reader(user)
    return chain.verify_chain(session)


def parse_registration(value: str) -> tuple[int, date] | None:
    """Parse "1234/27.11.2026" (the common display) into a number and a date."""
    match = _REGISTRATION.match(value or "")
    if not match:
        return None
    try:
        day = date(int(match[4]), int(match[3]), int(match[2]))
    except ValueError:
        return None
    return int(match[1]), day


def _text(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    return " ".join(str(value).split()) if value not in (None, "") else ""


def _count(raw: Mapping[str, Any], name: str, errors: list[dict[str, str]]) -> int | None:
    value = raw.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        number = -1
    if number < 0 or number > 100000:
        errors.append({"field": f"/{name}", "message": "Scrieți un număr întreg, 0 sau mai mare."})
        return None
    return number


def _issuer_date(raw: Mapping[str, Any], errors: list[dict[str, str]]) -> date | None:
    value = _text(raw, "issuer_date")
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    errors.append({"field": "/issuer_date", "message": "Scrieți data documentului ca ZZ.LL.AAAA."})
    return None


def _related(
    session: Session, raw: Mapping[str, Any], errors: list[dict[str, str]]
) -> RegistryEntry | None:
    value = _text(raw, "related_to")
    if not value:
        return None
    parsed = parse_registration(value)
    entry = chain.find(session, parsed[1].year, parsed[0]) if parsed else None
    if parsed is None:
        errors.append(
            {
                "field": "/related_to",
                "message": "Scrieți numărul ca număr/ZZ.LL.AAAA (ex. 17/27.11.2026).",
            }
        )
    elif entry is None or entry.registered_on != parsed[1]:
        errors.append(
            {"field": "/related_to", "message": f"Nu există în registru înregistrarea {value}."}
        )
        return None
    return entry


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


def _data(raw: Mapping[str, Any]) -> dict[str, Any]:
    data = raw.get("data")
    return dict(data) if isinstance(data, Mapping) else {}


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
    uploads = uploads or []
    errors: list[dict[str, str]] = []
    direction = _text(raw, "direction") or "in"
    channel = _text(raw, "channel")
    issuer, recipient = _text(raw, "issuer")[:300], _text(raw, "recipient")[:300]
    summary = _text(raw, "summary")[:500]
    procedure_id = _text(raw, "procedure") or None
    contact, reply_by = _text(raw, "issuer_contact")[:300], _text(raw, "reply_by") or None
    join = str(raw.get("join", "")).lower() in ("1", "true", "on", "da")
    if direction not in DIRECTIONS:
        errors.append({"field": "/direction", "message": "Alegeți intrare sau ieșire."})
    if channel not in CHANNELS:
        errors.append(
            {
                "field": "/channel",
                "message": "Alegeți canalul: ghișeu, poștă, e-mail, portal sau fax.",
            }
        )
    if direction == "out":
        issuer = issuer or "Primăria"
        if not recipient:
            errors.append({"field": "/recipient", "message": "Scrieți destinatarul documentului."})
    elif not issuer:
        errors.append(
            {"field": "/issuer", "message": "Scrieți numele emitentului (persoană sau instituție)."}
        )
    if not summary and not procedure_id:
        errors.append({"field": "/summary", "message": "Scrieți pe scurt conținutul documentului."})
    pages, annexes = _count(raw, "pages", errors), _count(raw, "annexes", errors)
    issuer_date = _issuer_date(raw, errors)
    linked = _related(session, raw, errors)
    mimes = _scans(circuit, uploads, errors)
    proc = None
    if procedure_id:
        catalog = circuit.procedures(session)  # current versions, as start_request reads them
        proc = catalog.get(procedure_id)
        if proc is None or direction == "out":
            errors.append(
                {
                    "field": "/procedure",
                    "message": "Alegeți o procedură din catalog (numai la intrare).",
                }
            )
        if proc is not None:
            version_id = catalog.version_of(proc.id)
            schema = operations.form_schema(session, circuit, proc.start_form, version_id)
            for err in forms.form_errors(schema, _data(raw)):
                errors.append({**err, "field": "/data" + err["field"]})
        if reply_by not in REPLY_BY:
            errors.append(
                {
                    "field": "/reply_by",
                    "message": "Alegeți cum primește petentul răspunsul: poștă sau e-mail.",
                }
            )
        elif reply_by == "email" and not _EMAIL.match(contact):
            errors.append(
                {"field": "/issuer_contact", "message": "Scrieți adresa de e-mail a petentului."}
            )
        elif not contact:
            errors.append(
                {"field": "/issuer_contact", "message": "Scrieți adresa poștală a petentului."}
            )
    if join and (proc is None or linked is None):
        errors.append(
            {
                "field": "/related_to",
                "message": "Pentru conexare indicați numărul petiției anterioare.",
            }
        )
    earlier = None
    if join and proc is not None and linked is not None and not errors:
        try:
            earlier = conexare.earlier_request(session, linked, proc.id, issuer)
        except Invalid as exc:
            errors.extend(exc.errors)
    if errors:
        raise Invalid(errors)

    files = [
        chain.describe(documents.safe_filename(u.filename), m, u.content)
        for u, m in zip(uploads, mimes, strict=True)
    ]
    intake = chain.Intake(
        channel=channel,
        issuer=issuer,
        contact=contact or None,
        reply_by=reply_by,
        issuer_number=_text(raw, "issuer_number")[:64] or None,
        issuer_date=issuer_date,
        pages=pages,
        annexes=annexes,
        linked=linked,
        documents=files,
        actor_id=official.id,
        idempotency_key=key,
        summary=summary or None,
    )
    request = None
    if proc is not None and earlier is None:
        request, _ = operations.start_request(
            session, circuit, None, proc.id, _data(raw), [], intake=intake
        )
        entry = request.registry_entry
    else:
        entry = chain.register(
            session,
            clock=clock,
            direction=direction,
            issuer=issuer,
            recipient=recipient or None,
            summary=summary or (proc.title if proc else ""),
            department=_text(raw, "department")[:64]
            or (REGISTRY_DEPARTMENT if direction == "in" else None),
            linked=linked,
            file_code=proc.archive.get("file_code") if proc else None,
            **intake.entry_fields(),
        )
        if earlier is not None:
            request = conexare.register_joined(
                session, earlier, entry, intake, _data(raw), summary or earlier.summary
            )
    scans = [documents.Upload("scan", u.filename, u.content) for u in uploads]
    if request is not None:  # the scans are the request's documents too
        documents.attach(
            session, circuit.settings.documents_dir, request.id, "scan", scans, mimes, official.id
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
