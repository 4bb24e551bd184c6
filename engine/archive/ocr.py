"""Reading scans with Tesseract (Romanian language data), in the worker, never in a request."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.archive.store import file_of
from engine.models import ArchiveDocument
from engine.platform.config import Settings

LANGUAGE = "ron"
TIMEOUT = 300  # seconds for one page


class OcrUnavailable(Exception):
    """Tesseract, or its Romanian data, is not installed here."""


class OcrFailed(Exception):
    """Tesseract could not read this file."""


def available() -> bool:
    """Tell whether Tesseract with the Romanian data can run on this machine."""
    return _available(os.environ.get("PATH", ""))


@lru_cache(maxsize=4)
def _available(path: str) -> bool:  # asked at every sweep: once per PATH is enough
    exe = shutil.which("tesseract", path=path)
    if exe is None:
        return False
    langs = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, check=False)
    return LANGUAGE in (langs.stdout + langs.stderr).split()


def read_image(path: Path) -> str:
    """Return the text Tesseract reads in an image file (TIFF pages included)."""
    exe = shutil.which("tesseract")
    if exe is None:
        raise OcrUnavailable("tesseract")
    done = subprocess.run(
        [exe, str(path), "stdout", "-l", LANGUAGE],
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise OcrFailed(done.stderr.decode("utf-8", "replace")[-300:])
    return done.stdout.decode("utf-8", "replace")


def read_pdf_scans(path: Path) -> str:
    """Return the text of the images a scanned PDF's pages hold."""
    parts = []
    for page in PdfReader(path).pages:
        for image in page.images:
            with tempfile.NamedTemporaryFile(suffix=Path(image.name).suffix or ".png") as tmp:
                tmp.write(image.data)
                tmp.flush()
                parts.append(read_image(Path(tmp.name)))
    return "\n".join(parts)


def read(path: Path, mime: str) -> str:
    return read_pdf_scans(path) if mime == "application/pdf" else read_image(path)


def pending_file(session: Session, settings: Settings, archive_id: int) -> tuple[Path, str] | None:
    """Return the file and type of a document waiting for OCR (None: nothing to do)."""
    doc = session.get(ArchiveDocument, archive_id)
    if doc is None or doc.ocr_status != "pending":
        return None
    return file_of(settings, doc), doc.mime


def save_text(session: Session, archive_id: int, text: str | None) -> bool:
    """Keep what OCR read (None: it could not read the file)."""
    doc = session.get(ArchiveDocument, archive_id)
    if doc is None or doc.ocr_status != "pending":
        return False
    doc.text = " ".join((text or "").split()) or None
    doc.ocr_status = "done" if text is not None else "failed"
    return True


def awaiting(session: Session) -> list[ArchiveDocument]:
    """Return the documents still waiting for OCR, oldest first."""
    return list(
        session.scalars(
            select(ArchiveDocument)
            .where(ArchiveDocument.ocr_status == "pending")
            .order_by(ArchiveDocument.id)
        )
    )


def awaiting_ids(session: Session, limit: int = 1000) -> list[int]:
    """Return the ids of the oldest documents waiting for OCR (for the sweep)."""
    return list(
        session.scalars(
            select(ArchiveDocument.id)
            .where(ArchiveDocument.ocr_status == "pending")
            .order_by(ArchiveDocument.id)
            .limit(limit)
        )
    )


def awaiting_count(session: Session) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(ArchiveDocument)
            .where(ArchiveDocument.ocr_status == "pending")
        )
        or 0
    )
