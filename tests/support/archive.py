"""Files for the archive's tests: real PDFs and images, good and bad, made on the spot."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfWriter

from engine.platform.fonts import SHIPPED_FONTS

HEADER = "file,date,registration,issuer,type,file_code,person\n"


def text_pdf(text: str) -> bytes:
    """A PDF with a text layer (DejaVu, so the diacritics are real characters)."""
    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("DejaVu", "", str(SHIPPED_FONTS / "DejaVuSans.ttf"))
    pdf.set_font("DejaVu", size=12)
    pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def encrypted_pdf(text: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(text_pdf(text)))
    writer.encrypt("parola-secreta")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def corrupt_pdf() -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\n" + bytes(range(256)) * 8


def text_png(lines: list[str]) -> bytes:
    """A scan-like PNG: black Romanian text on white, large enough for Tesseract."""
    font = ImageFont.truetype(str(SHIPPED_FONTS / "DejaVuSans.ttf"), 40)
    image = Image.new("L", (1800, 120 + 70 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((60, 60 + 70 * i), line, font=font, fill=0)
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(300, 300))
    return out.getvalue()


def bomb_png(width: int = 20_000, height: int = 10_000) -> bytes:
    """A valid 1-bit PNG of 200 megapixels that compresses to a few hundred kilobytes."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
