"""Fonts with Romanian diacritics for the PDFs Circuit prints (receipts, answers, the register)."""

from __future__ import annotations

import os
from pathlib import Path

# DejaVu Sans covers ă â î ș ț; Circuit ships it (dejavu/, with its licence) so that a plain
# `pip install` prints PDFs anywhere. CIRCUIT_PDF_FONT_DIR names another folder, looked at first.
SHIPPED_FONTS = Path(__file__).resolve().parent / "dejavu"
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
    return [*dirs, SHIPPED_FONTS, *SYSTEM_FONTS]


def font_paths() -> dict[str, Path]:
    """Find a regular and a bold font with Romanian diacritics (RuntimeError if none)."""
    for folder in _font_dirs():
        for index in range(2):
            found = {style: folder / names[index] for style, names in FONT_FILES.items()}
            if all(p.is_file() for p in found.values()):
                return found
    raise RuntimeError(
        f"No font with Romanian diacritics for PDFs in {', '.join(map(str, _font_dirs()))}: "
        "reinstall Circuit (it ships DejaVu Sans), install Debian's fonts-dejavu-core, or set "
        "CIRCUIT_PDF_FONT_DIR to a folder with DejaVuSans.ttf and DejaVuSans-Bold.ttf."
    )
