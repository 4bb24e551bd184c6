"""Uploaded and issued documents: checked by content, stored by SHA-256."""

from __future__ import annotations

import hashlib
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import filetype
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.models import Document
from engine.platform.datadir import private_dir
from engine.platform.errors import Invalid
from engine.workflow.catalog import AttachmentSpec

_CONTROL = {"Cc", "Cs", "Co", "Cn", "Zl", "Zp"}  # NUL, line breaks, unassigned, surrogates
_BIDI = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_EQUIVALENT = {"jpg": {"jpg", "jpeg", "jpe"}, "tif": {"tif", "tiff"}}


@dataclass(frozen=True)
class Upload:
    """A file as received: the form field it came in, its name and its bytes."""

    field: str
    filename: str
    content: bytes


def sniff(content: bytes) -> str | None:
    """Return the MIME type the bytes really are (never what the client claimed)."""
    kind = filetype.guess(content)
    return kind.mime if kind is not None else None


def _human(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def files_limit_message(limit: int, left: int | None = None) -> str:
    """Say the most files a request takes, with Romanian's „de” after 20 and up."""
    de = "de " if limit % 100 >= 20 or (limit >= 100 and limit % 100 == 0) else ""
    message = f"La o cerere se pot atașa cel mult {limit} {de}fișiere"
    return message + (f"; mai puteți atașa {left}." if left is not None else ".")


def check_uploads(specs: tuple[AttachmentSpec, ...], uploads: list[Upload]) -> list[str]:
    """Check every upload against the attachment specs; return the MIME types or raise Invalid."""
    by_name = {s.name: s for s in specs}
    errors: list[dict[str, str]] = []
    mimes: list[str] = []
    counts: dict[str, int] = {}
    for upload in uploads:
        field = f"/attachments/{upload.field}"
        spec = by_name.get(upload.field)
        mimes.append("")
        if spec is None:
            errors.append(
                {"field": field, "message": "Această procedură nu primește un fișier aici."}
            )
            continue
        counts[spec.name] = counts.get(spec.name, 0) + 1
        if not upload.content:
            errors.append({"field": field, "message": f"Fișierul „{upload.filename}” este gol."})
            continue
        if len(upload.content) > spec.max_bytes:
            errors.append(
                {
                    "field": field,
                    "message": f"Fișierul „{upload.filename}” depășește "
                    f"limita de {_human(spec.max_bytes)}.",
                }
            )
            continue
        mime = sniff(upload.content)
        if mime not in spec.types:
            allowed = ", ".join(t.split("/")[-1].upper() for t in spec.types)
            errors.append(
                {
                    "field": field,
                    "message": f"Fișierul „{upload.filename}” nu este de un "
                    f"tip acceptat ({allowed}).",
                }
            )
            continue
        mimes[-1] = mime
    for spec in specs:
        if spec.required and not counts.get(spec.name):
            errors.append(
                {
                    "field": f"/attachments/{spec.name}",
                    "message": f"Atașați documentul cerut: {spec.title}.",
                }
            )
        if not spec.multiple and counts.get(spec.name, 0) > 1:
            errors.append(
                {
                    "field": f"/attachments/{spec.name}",
                    "message": f"Se acceptă un singur fișier pentru {spec.title}.",
                }
            )
    if errors:
        raise Invalid(errors)
    return mimes


def blob_path(documents_dir: Path, sha256: str) -> Path:
    """Return where the bytes with this hash live."""
    return documents_dir / sha256[:2] / sha256


def store_bytes(documents_dir: Path, content: bytes) -> str:
    """Write bytes under their SHA-256 (once; atomically) and return the hash."""
    digest = hashlib.sha256(content).hexdigest()
    target = blob_path(documents_dir, digest)
    if not target.exists():
        private_dir(target.parent)
        fd, tmp = tempfile.mkstemp(dir=target.parent)  # 0600
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.replace(tmp, target)
    return digest


def safe_filename(name: str, mime: str | None = None) -> str:
    """Keep the last path component of a client's file name, without control characters,
    its extension the one of the type the bytes really are."""
    cleaned = "".join(
        ch for ch in name if unicodedata.category(ch) not in _CONTROL and ch not in _BIDI
    )
    base = cleaned.replace("\\", "/").rsplit("/", 1)[-1].strip().lstrip(".") or "document"
    kind = filetype.get_type(mime=mime) if mime else None
    if kind is not None:
        stem, dot, ext = base.rpartition(".")
        if not dot:
            stem = ext
        if ext.lower() not in _EQUIVALENT.get(kind.extension, {kind.extension}) or not dot:
            stem, ext = stem or "document", kind.extension
        return f"{stem[: 199 - len(ext)]}.{ext}"
    return base[:200]


def uploaded_count(session: Session, request_id: int) -> int:
    """Return how many files the applicant has attached to a request so far."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Document)
            .where(Document.request_id == request_id, Document.kind.in_(("attachment", "reply")))
        )
        or 0
    )


def ensure_room(session: Session, request_id: int, max_files: int, uploads: list[Upload]) -> None:
    """Refuse uploads that would take a request past its procedure's number of files."""
    if uploads:
        held = uploaded_count(session, request_id)
        if too_many := check_count(max_files, uploads, held):
            raise Invalid(too_many)


def check_count(max_files: int, uploads: list[Upload], already: int = 0) -> list[dict[str, str]]:
    """Return the error for more files on one request than its procedure allows."""
    if already + len(uploads) <= max_files:
        return []
    left = max(0, max_files - already) if already else None
    return [{"field": "/attachments", "message": files_limit_message(max_files, left)}]


def attach(
    session: Session,
    documents_dir: Path,
    request_id: int,
    kind: str,
    uploads: list[Upload],
    mimes: list[str],
    uploaded_by: int | None,
) -> list[Document]:
    """Store checked uploads and add their document rows to the session."""
    docs = []
    for upload, mime in zip(uploads, mimes, strict=True):
        digest = store_bytes(documents_dir, upload.content)
        doc = Document(
            request_id=request_id,
            kind=kind,
            field=upload.field,
            name=safe_filename(upload.filename, mime),
            mime=mime,
            size=len(upload.content),
            sha256=digest,
            uploaded_by_id=uploaded_by,
        )
        session.add(doc)
        docs.append(doc)
    return docs
