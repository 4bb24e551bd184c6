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


def _prepared(directory: Path, rows: list[Any], jobs: int) -> Iterator[Any]:
    """Read and check the rows' files in `jobs` processes, in order, a few ahead of the
    database writes (never the whole folder in memory)."""
    from engine.archive import importer

    if jobs <= 1:
        yield from (importer.prepare(directory, row) for row in rows)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        ahead: deque[Future[Any]] = deque()
        for row in rows:
            ahead.append(pool.submit(importer.prepare, directory, row))
            if len(ahead) >= jobs * 8:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()


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
    jobs.use_rq(circuit)  # OCR jobs go to the workers once each document is committed
    counts = {"imported": 0, "known": 0, "refused": 0}
    awaiting_ocr = 0
    refused: list[str] = []
    progress = Progress(len(rows))
    progress.update(0)
    for done, ready in enumerate(_prepared(directory, rows, args.jobs), 1):
        with circuit.db.transaction() as session:  # one document, one transaction
            outcome = importer.store_prepared(session, circuit.settings, ready)
        counts[outcome.status] += 1
        awaiting_ocr += outcome.ocr
        if outcome.status == "refused":
            refused.append(outcome.line())
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
