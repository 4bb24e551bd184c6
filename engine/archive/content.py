"""What an archived file is, checked by its bytes: PDF (with or without text), TIFF, JPEG, PNG."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import filetype
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
from PIL import Image

ARCHIVE_TYPES = {"application/pdf", "image/tiff", "image/jpeg", "image/png"}
# A page scanned at 600 dpi in A3 is about 70 megapixels; Pillow's own limit (about 89) is
# kept: more than that is a decompression bomb, not a scan.
MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485
MIN_TEXT = 20  # characters: less than this on a PDF is a scan without a text layer


class Refused(Exception):
    """A file the archive does not take; the message says why, in Romanian."""


@dataclass(frozen=True)
class Checked:
    mime: str
    text: str | None  # the PDF's text layer; None when the file needs OCR


def check(content: bytes) -> Checked:
    """Check a file by its content and return its type and text, or raise Refused."""
    if not content:
        raise Refused("fișierul este gol (0 octeți)")
    kind = filetype.guess(content)
    mime = kind.mime if kind is not None else None
    if mime not in ARCHIVE_TYPES:
        raise Refused("nu este un PDF sau o imagine (TIFF, JPEG, PNG)")
    if mime == "application/pdf":
        return Checked(mime, _pdf_text(content))
    _check_image(content)
    return Checked(mime, None)


def _pdf_text(content: bytes) -> str | None:
    """Return a PDF's text layer (None: too little, a scan to read by OCR), or raise Refused.

    PDFium (pypdfium2) reads it: in C, about six times faster than pypdf's pure-Python text
    extraction, which was most of an import's time."""
    try:
        pdf = pdfium.PdfDocument(content)
    except pdfium.PdfiumError as exc:
        if exc.err_code in (pdfium_raw.FPDF_ERR_PASSWORD, pdfium_raw.FPDF_ERR_SECURITY):
            raise Refused("PDF criptat (protejat cu parolă)") from exc
        raise Refused("PDF corupt (nu poate fi citit)") from exc
    try:
        # Encrypted with only an owner's password, PDFium opens it: refused all the same.
        if pdfium_raw.FPDF_GetSecurityHandlerRevision(pdf) != -1:
            raise Refused("PDF criptat (protejat cu parolă)")
        if len(pdf) == 0:
            raise Refused("PDF corupt (nu are nicio pagină)")
        pages = [_page_text(pdf, i) for i in range(len(pdf))]
    except pdfium.PdfiumError as exc:
        raise Refused("PDF corupt (nu poate fi citit)") from exc
    finally:
        pdf.close()
    text = "\n".join(pages).strip()
    return text if len(text) >= MIN_TEXT else None


def _page_text(pdf: pdfium.PdfDocument, index: int) -> str:
    page = pdf[index]
    try:
        textpage = page.get_textpage()
        try:
            text: str = textpage.get_text_bounded()
        finally:
            textpage.close()
    finally:
        page.close()
    # PDFium ends lines with CR LF; PostgreSQL's text refuses NUL characters.
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _check_image(content: bytes) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content))
        with image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise Refused(
                    f"imagine prea mare ({width}×{height} pixeli, "
                    f"peste {MAX_PIXELS // 1_000_000} de megapixeli)"
                )
            image.verify()
    except Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise Refused(
            f"imagine prea mare (peste {MAX_PIXELS // 1_000_000} de megapixeli): "
            "refuzată ca bombă de decompresie"
        ) from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise Refused("imagine coruptă (nu poate fi citită)") from exc
