"""`circuit archive import DIR --metadata FILE.csv`: bring the paper archive's scans in."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, TextIO


class Progress:
    """A progress bar on standard error: done/total, a bar, documents per second."""

    def __init__(self, total: int, out: TextIO | None = None, width: int = 30) -> None:
        self.total, self.out, self.width = total, out or sys.stderr, width
        self.started = time.monotonic()
        self.shown = 0.0

    def update(self, done: int) -> None:
        now = time.monotonic()
        if done < self.total and now - self.shown < 0.2:
            return
        self.shown = now
        filled = self.width * done // max(self.total, 1)
        rate = done / max(now - self.started, 1e-6)
        bar = "#" * filled + "-" * (self.width - filled)
        self.out.write(f"\r[{bar}] {done}/{self.total} documente ({rate:.0f}/s)")
        if done >= self.total:
            self.out.write("\n")
        self.out.flush()


BATCH = 200  # rows inserted and committed together
BATCH_SECONDS = 1.0  # …or fewer, so that an interrupted import loses at most a second's work
CHUNK = 8  # rows one reader process checks per task


def _prepared(directory: Path, documents_dir: Path, rows: list[Any], jobs: int) -> Iterator[Any]:
    """Read, check and store the rows' files in `jobs` processes, in order, a few ahead of
    the database writes (never the whole folder in memory)."""
    from engine.archive import importer

    chunks = [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)]
    if jobs <= 1:
        for chunk in chunks:
            yield from importer.prepare_many(directory, chunk, documents_dir)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        ahead: deque[Future[Any]] = deque()
        for chunk in chunks:
            ahead.append(pool.submit(importer.prepare_many, directory, chunk, documents_dir))
            if len(ahead) >= jobs * 4:
                yield from ahead.popleft().result()
        while ahead:
            yield from ahead.popleft().result()


def _batches(prepared: Iterator[Any]) -> Iterator[list[Any]]:
    """Group prepared rows into batches of at most BATCH rows or BATCH_SECONDS."""
    batch: list[Any] = []
    started = time.monotonic()
    for ready in prepared:
        if not batch:
            started = time.monotonic()
        batch.append(ready)
        if len(batch) >= BATCH or time.monotonic() - started >= BATCH_SECONDS:
            yield batch
            batch = []
    if batch:
        yield batch


def _store(circuit: Any, batch: list[Any]) -> list[Any]:
    """Insert a batch in one transaction; should the database refuse it, each row alone,
    so that the row it refuses is reported and the others kept."""
    from sqlalchemy.exc import SQLAlchemyError

    from engine.archive import importer

    try:
        with circuit.db.transaction() as session:  # OCR jobs are sent after this commit
            return importer.store_batch(session, circuit.settings, batch)
    except SQLAlchemyError:
        if len(batch) == 1:
            row = batch[0].row
            return [importer.Outcome(row, "refused", "baza de date nu a primit documentul")]
    return [outcome for ready in batch for outcome in _store(circuit, [ready])]


def cmd_archive_import(args: argparse.Namespace) -> int:
    from engine import jobs
    from engine.archive import importer, ocr
    from engine.circuit import build
    from engine.platform.config import load_settings

    directory, metadata = Path(args.dir), Path(args.metadata)
    if not directory.is_dir():
        print(f"Eroare: dosarul „{directory}” nu există.", file=sys.stderr)
        return 2
    if not metadata.is_file():
        print(f"Eroare: fișierul de metadate „{metadata}” nu există.", file=sys.stderr)
        return 2
    try:
        rows = importer.read_metadata(metadata.read_bytes())
    except importer.MetadataError as exc:
        print(f"Eroare: {exc}", file=sys.stderr)
        return 2
    circuit = build(load_settings())
    jobs.use_rq(circuit)  # OCR jobs go to the workers once their batch is committed
    counts = {"imported": 0, "known": 0, "refused": 0}
    awaiting_ocr = 0
    refused: list[str] = []
    progress = Progress(len(rows))
    progress.update(0)
    done = 0
    prepared = _prepared(directory, circuit.settings.documents_dir, rows, args.jobs)
    for batch in _batches(prepared):
        for outcome in _store(circuit, batch):
            counts[outcome.status] += 1
            awaiting_ocr += outcome.ocr
            if outcome.status == "refused":
                refused.append(outcome.line())
        done += len(batch)
        progress.update(done)
    for line in refused:
        print(f"Refuzat: {line}")
    print(
        f"Importate: {counts['imported']}; importate deja (neschimbate): {counts['known']}; "
        f"refuzate: {counts['refused']}."
    )
    if counts["imported"] == 0 and counts["known"] and not counts["refused"]:
        print("Nimic nou: toate documentele erau deja în arhivă.")
    if awaiting_ocr:
        where = "" if ocr.available() else " (Tesseract nu este instalat aici)"
        print(f"Așteaptă recunoașterea textului (OCR){where}: {awaiting_ocr}.")
        if not ocr.available():
            with circuit.db.session() as session:
                for doc in ocr.awaiting(session)[:50]:
                    print(f"  {doc.original_name}")
    return 1 if counts["refused"] else 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add `archive import` to the `circuit` command's parser."""
    archive = sub.add_parser("archive", help="arhiva digitală")
    asub = archive.add_subparsers(dest="archive_command", required=True)
    imp = asub.add_parser(
        "import", help="importă documente scanate cu metadatele lor (fișier CSV, UTF-8)"
    )
    imp.add_argument("dir", metavar="DIR", help="dosarul cu fișierele scanate")
    imp.add_argument(
        "--metadata",
        required=True,
        metavar="FILE.csv",
        help="antetul: file,date,registration,issuer,type,file_code,person",
    )
    imp.add_argument(
        "--jobs",
        type=int,
        default=min(4, os.cpu_count() or 1),
        help="câte procese citesc și verifică fișierele în paralel (implicit: nucleele, maxim 4)",
    )
    imp.set_defaults(func=cmd_archive_import)
