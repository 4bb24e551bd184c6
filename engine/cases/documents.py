"""Uploaded and issued documents: checked by content, stored by SHA-256."""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import filetype
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine.models import Document, PendingUpload
from engine.platform.datadir import private_dir
from engine.platform.errors import Invalid
from engine.platform.timeutil import utcnow
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


def _problem(spec: AttachmentSpec | None, upload: Upload) -> tuple[str, str | None]:
    """Return the MIME type the file really is and what is wrong with it for its slot."""
    if spec is None:
        return "", "Această procedură nu primește un fișier aici."
    if not upload.content:
        return "", f"Fișierul „{upload.filename}” este gol."
    if len(upload.content) > spec.max_bytes:
        return "", (f"Fișierul „{upload.filename}” depășește limita de {_human(spec.max_bytes)}.")
    mime = sniff(upload.content)
    if mime not in spec.types:
        allowed = ", ".join(t.split("/")[-1].upper() for t in spec.types)
        return "", f"Fișierul „{upload.filename}” nu este de un tip acceptat ({allowed})."
    return mime, None


def check_uploads(
    specs: tuple[AttachmentSpec, ...], uploads: list[Upload], data: Any = None
) -> list[str]:
    """Check every upload against the attachment specs (`data`: the form's, for attachments
    required only with some answers); return the MIME types or raise Invalid."""
    by_name = {s.name: s for s in specs}
    errors: list[dict[str, str]] = []
    mimes: list[str] = []
    counts: dict[str, int] = {}
    for upload in uploads:
        spec = by_name.get(upload.field)
        if spec is not None:
            counts[spec.name] = counts.get(spec.name, 0) + 1
        mime, problem = _problem(spec, upload)
        mimes.append(mime)
        if problem:
            errors.append({"field": f"/attachments/{upload.field}", "message": problem})
    for spec in specs:
        if spec.required_for(data) and not counts.get(spec.name):
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


# Titles of the slots Circuit itself fills (not listed in a catalog entry or a form).
BUILT_IN_SLOTS = {
    "scan": "Document scanat la registratură",
    "proof": "Dovada calității de reprezentant",
}


def slot_titles(specs: Iterable[AttachmentSpec]) -> dict[str, str]:
    """Map slot names to their titles: Circuit's own slots, then the specs'."""
    return BUILT_IN_SLOTS | {s.name: s.title for s in specs}


def slot_title_of(slot: str) -> str:
    """Name one of Circuit's own slots (a registry scan, a proof of representation)."""
    return BUILT_IN_SLOTS.get(slot) or slot.replace("_", " ")


def slot_title(doc: Document) -> str:
    """Name the slot a document was uploaded for, the way it read then."""
    return doc.slot_title or slot_title_of(doc.field)


def attach(
    session: Session,
    documents_dir: Path,
    request_id: int,
    kind: str,
    uploads: list[Upload],
    mimes: list[str],
    uploaded_by: int | None,
    specs: Iterable[AttachmentSpec] = (),
) -> list[Document]:
    """Store checked uploads and add their document rows to the session, each with the title
    of the slot (`specs`) it was uploaded for."""
    titles = slot_titles(specs)
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
            slot_title=titles.get(upload.field),
        )
        session.add(doc)
        docs.append(doc)
    return docs


@dataclass(frozen=True)
class SlotState:
    """A slot of a request's form and the files sent for it (the completeness check)."""

    name: str
    title: str
    required: bool  # with the data the request was sent with
    files: tuple[Document, ...]

    @property
    def missing(self) -> bool:
        return self.required and not self.files


def slot_states(
    specs: Iterable[AttachmentSpec], data: Any, docs: Iterable[Document]
) -> list[SlotState]:
    """Tell, slot by slot, which files a request holds and which required ones it lacks;
    files sent later for the same slot (completions) count too."""
    by_slot: dict[str, list[Document]] = {}
    for doc in docs:
        if doc.kind in ("attachment", "reply", "scan"):
            by_slot.setdefault(doc.field, []).append(doc)
    return [
        SlotState(s.name, s.title, s.required_for(data), tuple(by_slot.get(s.name, ())))
        for s in specs
    ]


# Held uploads: the good files of a refused form, kept for their uploader only.
HOLD_FOR = timedelta(hours=2)
MAX_HELD_FILES = 20  # per user, every form together
MAX_HELD_BYTES = 60 * 1024 * 1024


@dataclass(frozen=True)
class Held:
    """What a refused form keeps: the files it holds now and the ones it could not keep."""

    files: list[PendingUpload]
    lost: list[str]  # names of the files the user has to choose again (bad, or over bounds)


def _new_token() -> str:
    return secrets.token_hex(16)


def held_files(
    session: Session, user_id: int, purpose: str, ids: Iterable[str], now: datetime | None = None
) -> list[PendingUpload]:
    """Return the user's unexpired held files for this form among `ids`, in upload order;
    another user's id, an expired one or one for another form is ignored."""
    wanted = {i for i in ids if isinstance(i, str) and len(i) == 32}
    if not wanted:
        return []
    rows = session.scalars(
        select(PendingUpload)
        .where(
            PendingUpload.id.in_(wanted),
            PendingUpload.user_id == user_id,
            PendingUpload.purpose == purpose,
            PendingUpload.expires_at > (now or utcnow()),
        )
        .order_by(PendingUpload.created_at, PendingUpload.id)
    )
    return list(rows)


def with_held(
    documents_dir: Path,
    held: list[PendingUpload],
    uploads: list[Upload],
    specs: Iterable[AttachmentSpec],
) -> list[Upload]:
    """Put held files back with the newly chosen ones, held first; a file chosen again for
    a single-file slot replaces the one held for it."""
    single = {s.name for s in specs if not s.multiple}
    chosen = {u.field for u in uploads}
    out = []
    for row in held:
        if row.slot in single and row.slot in chosen:
            continue
        path = blob_path(documents_dir, row.sha256)
        if path.is_file():
            out.append(Upload(row.slot, row.name, path.read_bytes()))
    return out + uploads


def release(session: Session, rows: Iterable[PendingUpload]) -> None:
    """Let held files go (attached, or removed by their owner)."""
    for row in rows:
        session.delete(row)


def hold(
    session: Session,
    documents_dir: Path,
    user_id: int,
    purpose: str,
    specs: Iterable[AttachmentSpec],
    uploads: list[Upload],
    now: datetime | None = None,
) -> Held:
    """Keep the good files of a refused form for its uploader (checked by content like any
    upload, within bounds per user); return what is held and what has to be chosen again."""
    now = now or utcnow()
    session.execute(
        delete(PendingUpload)
        .where(PendingUpload.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    by_name = {s.name: s for s in specs}
    count, total = session.execute(
        select(func.count(), func.coalesce(func.sum(PendingUpload.size), 0)).where(
            PendingUpload.user_id == user_id
        )
    ).one()
    files, lost = [], []
    for upload in uploads:
        mime, problem = _problem(by_name.get(upload.field), upload)
        if problem or count + 1 > MAX_HELD_FILES or total + len(upload.content) > MAX_HELD_BYTES:
            lost.append(upload.filename)
            continue
        row = PendingUpload(
            id=_new_token(),
            user_id=user_id,
            purpose=purpose[:120],
            slot=upload.field,
            name=safe_filename(upload.filename, mime),
            mime=mime,
            size=len(upload.content),
            sha256=store_bytes(documents_dir, upload.content),
            created_at=now,
            expires_at=now + HOLD_FOR,
        )
        session.add(row)
        files.append(row)
        count, total = count + 1, total + len(upload.content)
    session.flush()
    return Held(files, lost)


def keep(
    session: Session,
    documents_dir: Path,
    user_id: int,
    purpose: str,
    specs: Iterable[AttachmentSpec],
    held_ids: Iterable[str],
    dropped: Iterable[str],
    uploads: list[Upload],
    now: datetime | None = None,
) -> Held:
    """After a refused form: let go the held files the user removed or replaced, hold the
    good new ones, and return every file the form holds now (by slot, in upload order)."""
    specs = tuple(specs)
    gone = set(dropped)
    rows = held_files(session, user_id, purpose, held_ids, now)
    single = {s.name for s in specs if not s.multiple}
    by_name = {s.name: s for s in specs}
    replaced = {
        u.field
        for u in uploads
        if u.field in single and _problem(by_name.get(u.field), u)[1] is None
    }
    kept = []
    for row in rows:
        if row.id in gone or row.slot in replaced:
            session.delete(row)
        else:
            kept.append(row)
    session.flush()
    new = hold(session, documents_dir, user_id, purpose, specs, uploads, now)
    return Held(kept + new.files, new.lost)
