"""Putting a file in the archive: stored by SHA-256 in the data directory, once, with its
metadata and its text; a file without text is queued for OCR after the commit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.archive.content import Checked, Refused, check
from engine.cases.documents import blob_path, slot_title, store_bytes
from engine.models import ArchiveDocument, Document, RegistryEntry, Request
from engine.people.personal import Vault, vault_for
from engine.platform.config import Settings
from engine.platform.dispatch import defer

CNP = re.compile(r"^[1-9]\d{12}$")
OCR_JOB = "archive_ocr"


@dataclass(frozen=True)
class Metadata:
    """What is known about a document besides its bytes (a CSV row, a request)."""

    title: str
    doc_date: date | None = None
    registration: str | None = None
    issuer: str | None = None
    doc_type: str | None = None
    file_code: str | None = None
    person: str | None = None  # a CNP or a name
    personal_data: bool = False


def stored_path(settings: Settings, sha256: str) -> str:
    """Return where the archive keeps a file, relative to the data directory."""
    return str(blob_path(settings.documents_dir, sha256).relative_to(settings.data_dir))


def file_of(settings: Settings, doc: ArchiveDocument) -> Path:
    return settings.data_dir / doc.stored_path


def known(session: Session, sha256: str) -> bool:
    """Tell whether the archive already holds a file with these bytes."""
    return (
        session.scalar(select(ArchiveDocument.id).where(ArchiveDocument.sha256 == sha256))
        is not None
    )


def row_values(
    settings: Settings,
    meta: Metadata,
    *,
    sha256: str,
    name: str,
    checked: Checked,
    size: int,
    source: str,
    vault: Vault | None = None,
    document_id: int | None = None,
    registry_entry_id: int | None = None,
    request_id: int | None = None,
    department: str | None = None,
) -> dict[str, Any]:
    """Return the columns of a file's archive row (its bytes already stored under sha256)."""
    person_name, cnp_encrypted, cnp_hash = None, None, None
    person = (meta.person or "").strip()
    if CNP.match(person):
        vault = vault or vault_for(settings.data_dir)
        cnp_encrypted, cnp_hash = vault.encrypt(person), vault.lookup_hash(person)
    elif person:
        person_name = person[:200]
    return {
        "title": meta.title[:300],
        "doc_date": meta.doc_date,
        "year": meta.doc_date.year if meta.doc_date else None,
        "registration": meta.registration,
        "issuer": (meta.issuer or None) and meta.issuer[:300],
        "doc_type": meta.doc_type,
        "file_code": meta.file_code,
        "person_name": person_name,
        "person_cnp_encrypted": cnp_encrypted,
        "person_cnp_hash": cnp_hash,
        "personal_data": meta.personal_data or bool(person),
        "sha256": sha256,
        "stored_path": stored_path(settings, sha256),
        "original_name": name[:255],
        "mime": checked.mime,
        "size": size,
        "text": checked.text,
        "ocr_status": "none" if checked.text else "pending",
        "source": source,
        "document_id": document_id,
        "registry_entry_id": registry_entry_id,
        "request_id": request_id,
        "department": department,
    }


def add(
    session: Session,
    settings: Settings,
    content: bytes,
    name: str,
    meta: Metadata,
    source: str,
    *,
    checked: Checked | None = None,
    sha256: str | None = None,
    document_id: int | None = None,
    registry_entry_id: int | None = None,
    request_id: int | None = None,
    department: str | None = None,
) -> ArchiveDocument:
    """Store a checked file and add its archive row (the caller commits; OCR, if the file
    has no text, is asked for after the commit). Raise content.Refused for a bad file."""
    checked = checked or check(content)
    digest = store_bytes(settings.documents_dir, content)
    assert sha256 is None or sha256 == digest
    doc = ArchiveDocument(
        **row_values(
            settings,
            meta,
            sha256=digest,
            name=name,
            checked=checked,
            size=len(content),
            source=source,
            document_id=document_id,
            registry_entry_id=registry_entry_id,
            request_id=request_id,
            department=department,
        )
    )
    session.add(doc)
    session.flush()
    if doc.ocr_status == "pending":
        defer(session, OCR_JOB, doc.id, job_id=f"archive-ocr-{doc.id}")
    return doc


def add_new(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert the archive rows (row_values) whose file the archive does not hold yet, in one
    statement, and return the new ids by SHA-256; a file already there (same hash, even one
    another process has just added) is skipped, not an error. OCR of the new files without
    text is asked for after the commit (the caller commits)."""
    if not rows:
        return {}
    table = cast(Table, ArchiveDocument.__table__)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["sha256"])
        .returning(table.c.id, table.c.sha256, table.c.ocr_status)
    )
    added: dict[str, int] = {}
    for archive_id, digest, ocr_status in session.execute(statement, rows):
        added[digest] = archive_id
        if ocr_status == "pending":
            defer(session, OCR_JOB, archive_id, job_id=f"archive-ocr-{archive_id}")
    return added


def index_document(
    session: Session, settings: Settings, document_id: int
) -> ArchiveDocument | None:
    """Archive a file Circuit stored for a request (idempotent: once per content)."""
    doc = session.get(Document, document_id)
    if doc is None or known(session, doc.sha256):
        return None
    request = session.get(Request, doc.request_id)
    if request is None:
        return None
    path = blob_path(settings.documents_dir, doc.sha256)
    if not path.is_file():
        return None
    entry = request.registry_entry
    meta = Metadata(
        title=f"{request.summary} — {doc.name}",
        doc_date=request.registration_date,
        registration=request.registration_display,
        issuer=request.petitioner_name,
        doc_type=slot_title(doc),
        file_code=entry.file_code,
        person=request.petitioner_name,
        personal_data=True,  # a request's files are the applicant's
    )
    return _add_quietly(
        session,
        settings,
        path.read_bytes(),
        doc.name,
        meta,
        "issued" if doc.kind in ("answer", "issued") else "registered",
        document_id=doc.id,
        registry_entry_id=entry.id,
        request_id=request.id,
        department=entry.department,
    )


def index_entry(session: Session, settings: Settings, entry_id: int) -> list[ArchiveDocument]:
    """Archive the scans of a register entry (those a request does not already hold)."""
    entry = session.get(RegistryEntry, entry_id)
    added: list[ArchiveDocument] = []
    for item in (entry.documents or []) if entry is not None else []:
        digest = item.get("sha256")
        if not digest or known(session, digest):
            continue
        path = blob_path(settings.documents_dir, digest)
        if not path.is_file():
            continue
        assert entry is not None
        meta = Metadata(
            title=f"{entry.summary} — {item.get('name') or 'document'}",
            doc_date=entry.registered_on,
            registration=entry.display,
            issuer=entry.issuer,
            doc_type="Document înregistrat",
            file_code=entry.file_code,
            personal_data=True,
        )
        doc = _add_quietly(
            session,
            settings,
            path.read_bytes(),
            item.get("name") or "document",
            meta,
            "registered",
            registry_entry_id=entry.id,
            request_id=entry.request_id,
            department=entry.department,
        )
        if doc is not None:
            added.append(doc)
    return added


def _add_quietly(
    session: Session,
    settings: Settings,
    content: bytes,
    name: str,
    meta: Metadata,
    source: str,
    *,
    registry_entry_id: int,
    request_id: int | None,
    department: str | None,
    document_id: int | None = None,
) -> ArchiveDocument | None:
    """Add a file Circuit already accepted; one the archive does not take is left out."""
    try:
        checked = check(content)
    except Refused:
        return None  # a file the archive cannot read: kept with its request, not searchable
    return add(
        session,
        settings,
        content,
        name,
        meta,
        source,
        checked=checked,
        document_id=document_id,
        registry_entry_id=registry_entry_id,
        request_id=request_id,
        department=department,
    )
