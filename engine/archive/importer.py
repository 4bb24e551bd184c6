"""Importing the paper archive's scans: a folder of files and a CSV of their metadata.

Files are read, checked and stored by their SHA-256 beside the database (`prepare`, in
several processes); their rows are then inserted a batch at a time (`store_batch`, one
statement, the caller commits the batch). A refused file is left out of its batch with its
reason, so it never holds the others back; an interrupted import keeps the batches it
committed, and a second run adds nothing: a file is known by its SHA-256."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from engine.archive import store
from engine.archive.content import Checked, Refused, check
from engine.cases.documents import store_bytes
from engine.people.personal import vault_for
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


_LIMITS = {"type": 100, "file_code": 64}  # the lengths of their columns (ArchiveDocument)


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
    for key, what in (("type", "tipul documentului"), ("file_code", "codul din nomenclator")):
        limit = _LIMITS[key]
        if len(v[key]) > limit:
            raise Refused(f"{what} are peste {limit} de caractere")
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
    """A row's file read, checked and stored by its hash, ready for its archive row (or the
    reason it is refused)."""

    row: Row
    refusal: str | None = None
    name: str = ""
    sha256: str = ""
    size: int = 0
    meta: store.Metadata | None = None
    checked: Checked | None = None


def prepare(directory: Path, row: Row, documents_dir: Path) -> Prepared:
    """Read and check a row's file and metadata and store an accepted file's bytes under
    their SHA-256 in documents_dir, without the database (so several processes can do it
    side by side). Bytes without an archive row are invisible; a second run reuses them."""
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
        return Prepared(row, str(exc), path.name, size=len(content))
    digest = store_bytes(documents_dir, content)
    return Prepared(row, None, path.name, digest, len(content), meta, checked)


def prepare_many(directory: Path, rows: list[Row], documents_dir: Path) -> list[Prepared]:
    """Prepare several rows (one task for a reader process: fewer round trips)."""
    return [prepare(directory, row, documents_dir) for row in rows]


def store_batch(session: Session, settings: Settings, batch: list[Prepared]) -> list[Outcome]:
    """Insert the archive rows of a batch of prepared files in one statement and return each
    row's outcome, in order: refused (with its reason), known (the archive, or an earlier row
    of the batch, holds the same bytes) or imported. The caller commits the batch."""
    outcomes: list[Outcome | None] = []
    pending: list[tuple[int, dict[str, Any]]] = []
    seen: set[str] = set()
    vault = None
    for ready in batch:
        row = ready.row
        if ready.refusal is not None or ready.meta is None or ready.checked is None:
            outcomes.append(Outcome(row, "refused", ready.refusal))
            continue
        if ready.sha256 in seen:
            outcomes.append(Outcome(row, "known", "importat deja"))
            continue
        seen.add(ready.sha256)
        if vault is None and store.CNP.match((ready.meta.person or "").strip()):
            vault = vault_for(settings.data_dir)
        values = store.row_values(
            settings,
            ready.meta,
            sha256=ready.sha256,
            name=ready.name,
            checked=ready.checked,
            size=ready.size,
            source="import",
            vault=vault,
        )
        pending.append((len(outcomes), values))
        outcomes.append(None)
    added = store.add_new(session, [values for _, values in pending])
    for at, values in pending:
        row = batch[at].row
        if values["sha256"] in added:
            outcomes[at] = Outcome(row, "imported", ocr=values["ocr_status"] == "pending")
        else:
            outcomes[at] = Outcome(row, "known", "importat deja")
    return [outcome for outcome in outcomes if outcome is not None]
