"""Importing the paper archive's scans: a folder of files and a CSV of their metadata.

Each row is one unit of work (the caller commits it alone), so an interrupted import keeps
what it stored and a second run adds nothing: a file is known by its SHA-256."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from engine.archive import store
from engine.archive.content import Checked, Refused, check
from engine.platform.config import Settings

HEADER = ("file", "date", "registration", "issuer", "type", "file_code", "person")
REGISTRATION = re.compile(r"^\d{1,9}/\d{2}\.\d{2}\.\d{4}$")


class MetadataError(Exception):
    """The CSV cannot be read at all (no header, missing columns); in Romanian."""


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]
    problem: str | None = None  # why the row itself is refused (its encoding)

    @property
    def file(self) -> str:
        return self.values.get("file", "").strip()


@dataclass(frozen=True)
class Outcome:
    row: Row
    status: str  # imported, known, refused
    reason: str | None = None
    ocr: bool = False  # imported and waiting for OCR

    def line(self) -> str:
        name = self.row.file or f"rândul {self.row.line}"
        return f"{name}: {self.reason}"


def read_metadata(raw: bytes) -> list[Row]:
    """Parse the CSV (UTF-8, with or without BOM); a row whose bytes are not UTF-8 comes back
    with its problem, the others are read."""
    text = raw.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise MetadataError("Fișierul CSV este gol.") from None
    if any(_broken(h) for h in header):
        raise MetadataError("Antetul fișierului CSV nu este în codificarea UTF-8.")
    missing = [h for h in HEADER if h not in header]
    if missing:
        raise MetadataError(
            "Fișierului CSV îi lipsesc coloanele: "
            + ", ".join(missing)
            + f" (antetul cerut: {','.join(HEADER)})."
        )
    rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        record = dict(zip(header, values, strict=False))
        problem = None
        if any(_broken(v) for v in values):
            problem = "rândul din CSV nu este în codificarea UTF-8 (codificare greșită)"
            record = {
                k: v.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                for k, v in record.items()
            }
        rows.append(Row(reader.line_num, record, problem))
    return rows


def _broken(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _metadata(row: Row) -> store.Metadata:
    """Return a row's metadata, or raise Refused for a bad date or registration."""
    v = {k: (row.values.get(k) or "").strip() for k in HEADER}
    day = None
    if v["date"]:
        try:
            day = date.fromisoformat(v["date"])
        except ValueError:
            raise Refused(f"data „{v['date']}” nu este o dată validă (AAAA-LL-ZZ)") from None
    if v["registration"] and not REGISTRATION.match(v["registration"]):
        raise Refused(
            f"numărul de înregistrare „{v['registration']}” nu are forma număr/zz.ll.aaaa"
        )
    kind = v["type"] or "Document"
    title = (
        f"{kind} nr. {v['registration']}" if v["registration"] else f"{kind} {Path(v['file']).stem}"
    )
    return store.Metadata(
        title=title,
        doc_date=day,
        registration=v["registration"] or None,
        issuer=v["issuer"] or None,
        doc_type=v["type"] or None,
        file_code=v["file_code"] or None,
        person=v["person"] or None,
    )


@dataclass(frozen=True)
class Prepared:
    """A row's file read and checked, ready to be stored (or the reason it is refused)."""

    row: Row
    refusal: str | None = None
    name: str = ""
    content: bytes = b""
    meta: store.Metadata | None = None
    checked: Checked | None = None


def prepare(directory: Path, row: Row) -> Prepared:
    """Read and check a row's file and metadata, without the database (so several processes
    can do it side by side: parsing PDFs is most of an import's work)."""
    if row.problem:
        return Prepared(row, row.problem)
    if not row.file:
        return Prepared(row, "rândul nu numește niciun fișier")
    root = directory.resolve()
    path = (root / row.file).resolve()
    if not path.is_relative_to(root):
        return Prepared(row, "fișierul este în afara dosarului importat")
    if not path.is_file():
        return Prepared(row, "fișierul numit în CSV nu există în dosar")
    content = path.read_bytes()
    try:
        meta = _metadata(row)
        checked = check(content)
    except Refused as exc:
        return Prepared(row, str(exc), path.name, content)
    return Prepared(row, None, path.name, content, meta, checked)


def store_prepared(session: Session, settings: Settings, ready: Prepared) -> Outcome:
    """Store a prepared row; the caller commits (or rolls back) this row alone."""
    row = ready.row
    known = ready.content and store.known(session, hashlib.sha256(ready.content).hexdigest())
    if known and ready.meta is not None:
        return Outcome(row, "known", "importat deja")
    if ready.refusal is not None or ready.meta is None or ready.checked is None:
        return Outcome(row, "refused", ready.refusal)
    doc = store.add(
        session, settings, ready.content, ready.name, ready.meta, "import", checked=ready.checked
    )
    return Outcome(row, "imported", ocr=doc.ocr_status == "pending")


def import_row(session: Session, settings: Settings, directory: Path, row: Row) -> Outcome:
    """Import one row's file; the caller commits (or rolls back) this row alone."""
    return store_prepared(session, settings, prepare(directory, row))
