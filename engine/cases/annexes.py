"""Files an official attaches to the answer of a request (a scanned map, a copy from the
archive): checked by content, each registered in the register, listed on the issued document."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from engine import audit
from engine.cases import documents, issued, operations
from engine.circuit import Circuit
from engine.models import Document, RegistryEntry, User
from engine.platform.errors import Invalid
from engine.register import chain

TYPES = ("application/pdf", "image/jpeg", "image/png", "image/tiff")
SLOT_TITLE = "Anexă la răspuns"
SUMMARY = "Anexă la răspunsul cererii nr. {registration}: {name}"
MAX_ANNEXES = 20  # per request


@dataclass(frozen=True)
class Annex:
    document: Document
    entry: RegistryEntry


def _check(uploads: list[documents.Upload], max_bytes: int, held: int) -> list[str]:
    errors, mimes = [], []
    if not uploads:
        errors.append({"field": "/files", "message": "Alegeți cel puțin un fișier de anexat."})
    if held + len(uploads) > MAX_ANNEXES:
        errors.append(
            {
                "field": "/files",
                "message": f"Un răspuns poate avea cel mult {MAX_ANNEXES} de anexe.",
            }
        )
    for upload in uploads:
        mime = documents.sniff(upload.content) if upload.content else None
        if not upload.content:
            problem = f"Fișierul „{upload.filename}” este gol."
        elif len(upload.content) > max_bytes:
            problem = f"Fișierul „{upload.filename}” depășește {max_bytes // (1024 * 1024)} MB."
        elif mime not in TYPES:
            problem = (
                f"Fișierul „{upload.filename}” nu este PDF, JPEG, PNG sau TIFF (după conținut)."
            )
        else:
            problem = None
        if problem:
            errors.append({"field": "/files", "message": problem})
        mimes.append(mime or "")
    if errors:
        raise Invalid(errors, errors[0]["message"])
    return mimes


def attach(
    session: Session,
    circuit: Circuit,
    user: User,
    task_id: str,
    uploads: list[documents.Upload],
) -> list[Annex]:
    """Attach files to the answer of the request whose task the official works on: each one
    stored, registered (outgoing, linked to the request's number) and audited; all or none."""
    row = operations.task_for_official(session, user, task_id)
    operations.ensure_workable(row, user)
    request = row.request
    mimes = _check(
        uploads, circuit.settings.max_upload_bytes, len(issued.annexes(session, request.id))
    )
    out = []
    for upload, mime in zip(uploads, mimes, strict=True):
        [doc] = documents.attach(
            session,
            circuit.settings.documents_dir,
            request.id,
            "annex",
            [documents.Upload("annex", upload.filename, upload.content)],
            [mime],
            user.id,
        )
        doc.slot_title = SLOT_TITLE
        entry = chain.register(
            session,
            direction="out",
            issuer="Primăria",
            recipient=request.company.name if request.company else request.petitioner_name,
            summary=SUMMARY.format(registration=request.registration_display, name=doc.name)[:500],
            department=row.department,
            request_id=request.id,
            linked=request.registry_entry,
            file_code=request.registry_entry.file_code,
            documents=[
                {"name": doc.name, "mime": doc.mime, "size": doc.size, "sha256": doc.sha256}
            ],
        )
        session.flush()
        audit.record(
            session,
            "annex_attached",
            actor_id=user.id,
            request_id=request.id,
            task=row.id,
            document_id=doc.id,
            name=doc.name,
            registration=entry.display,
            sha256=doc.sha256,
        )
        out.append(Annex(doc, entry))
    return out
