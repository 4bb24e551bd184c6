"""Fonts with Romanian diacritics for the PDFs Circuit prints (receipts, answers, the register)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

# DejaVu Sans covers ă â î ș ț; the copy matplotlib ships needs nothing but pip.
SYSTEM_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/noto"),
)
FONT_FILES = {
    "": ("DejaVuSans.ttf", "NotoSans-Regular.ttf"),
    "B": ("DejaVuSans-Bold.ttf", "NotoSans-Bold.ttf"),
}


def _font_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("CIRCUIT_PDF_FONT_DIR"):
        dirs.append(Path(os.environ["CIRCUIT_PDF_FONT_DIR"]))
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            dirs.append(Path(location) / "mpl-data" / "fonts" / "ttf")
    return dirs + list(SYSTEM_FONTS)


def font_paths() -> dict[str, Path]:
    """Find a regular and a bold font with Romanian diacritics (RuntimeError if none)."""
    for folder in _font_dirs():
        for index in range(2):
            found = {style: folder / names[index] for style, names in FONT_FILES.items()}
            if all(p.is_file() for p in found.values()):
                return found
    raise RuntimeError(
        "No font with Romanian diacritics for PDFs: install matplotlib (it ships DejaVu Sans) "
        "or Debian's fonts-dejavu-core, or set CIRCUIT_PDF_FONT_DIR."
    )
