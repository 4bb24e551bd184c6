"""The nomenclator: file code → retention in years or permanent, kept as data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from engine.platform.config import SHIPPED_ROOT
from engine.workflow.catalog import Catalog

FILE = Path("archive") / "nomenclator.json"  # beside the procedure catalog


@dataclass(frozen=True)
class FileCode:
    code: str
    title: str
    years: int | None  # None: kept permanently

    @property
    def retention(self) -> str:
        return "permanent" if self.years is None else f"{self.years} ani"


def load(processes_dir: Path, catalog: Catalog | None = None) -> dict[str, FileCode]:
    """Read the nomenclator beside a catalog (else the shipped one) and add the file codes
    and retention terms the catalog's procedures name under `archive`."""
    path = processes_dir / FILE
    if not path.is_file():
        path = SHIPPED_ROOT / "processes" / FILE
    raw = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"codes": {}}
    codes = {
        code: FileCode(code, item.get("title", code), _years(item.get("retention")))
        for code, item in raw.get("codes", {}).items()
    }
    for proc in catalog.all() if catalog is not None else []:
        code = proc.archive.get("file_code")
        if code and code not in codes:
            codes[code] = FileCode(code, proc.title, _years(proc.archive.get("retention_years")))
    return codes


def _years(value: object) -> int | None:
    return value if isinstance(value, int) and value > 0 else None
