"""The register for a period as a printable PDF, ending with the chain's last hash."""

from __future__ import annotations

from datetime import date

from fpdf import FPDF
from fpdf.fonts import FontFace
from sqlalchemy.orm import Session

from engine.models import User
from engine.platform.fonts import font_paths
from engine.platform.timeutil import local_now
from engine.register import book, chain
from engine.register.access import require_reader

# Columns printed (indices into register_book.COLUMNS), short headings, widths in mm (A4
# landscape, 277 mm between the margins).
PRINTED = [(0, "Nr.", 10), (1, "Data", 16), (2, "I/E", 12), (3, "Canal", 12),
           (4, "Nr./data emitent", 22), (5, "File", 8), (6, "Anexe", 10), (7, "Emitent", 28),
           (8, "Conținut pe scurt", 42), (9, "Compartiment", 22), (10, "Expediat la", 16),
           (11, "Mod de rezolvare", 28), (12, "Destinatar", 22), (13, "Conexat la", 17),
           (14, "Dosar", 12)]  # fmt: skip


def _period(start: date, end: date) -> str:
    if start == end:
        return f"ziua {start:%d.%m.%Y}"
    return f"perioada {start:%d.%m.%Y} – {end:%d.%m.%Y}"


def to_pdf(
    session: Session,
    user: User,
    start: date,
    end: date,
    department_names: dict[str, str],
    institution: str,
) -> bytes:
    """Print the register's lines of a period and, last, the chain's hash at its end."""
    require_reader(user)
    fonts = font_paths()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font("DejaVu", "", str(fonts[""]))
    pdf.add_font("DejaVu", "B", str(fonts["B"]))
    pdf.set_title(f"Registrul de intrare-ieșire, {_period(start, end)}")
    pdf.set_creator("Circuit")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 13)
    pdf.cell(0, 8, f"{institution} — Registrul de intrare-ieșire", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.cell(
        0,
        6,
        f"Înregistrările din {_period(start, end)}. Tipărit la {local_now():%d.%m.%Y %H:%M}.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    lines = book.rows(session, start, end, page=1, per_page=0, newest_first=False)
    pdf.set_font("DejaVu", "", 6.5)
    with pdf.table(
        col_widths=[w for _, _, w in PRINTED],
        headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
        line_height=3.2,
        text_align="LEFT",
        padding=0.8,
    ) as table:
        table.row([heading for _, heading, _ in PRINTED])
        for line in lines:
            cells = line.cells(department_names)
            table.row([cells[i] for i, _, _ in PRINTED])
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 9)
    if not lines:
        pdf.cell(0, 6, "Nicio înregistrare în această perioadă.", new_x="LMARGIN", new_y="NEXT")
    last = chain.last_entry(session, until=end)
    pdf.set_font("DejaVu", "B", 9)
    pdf.cell(0, 6, "Amprenta registrului (lanțul de hash-uri)", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    if last is None:
        text = "Registrul nu are încă nicio înregistrare."
    else:
        text = (
            f"Ultima înregistrare până la {end:%d.%m.%Y} inclusiv: nr. {last.display}. "
            f"Ultimul hash al lanțului: {last.entry_hash}"
        )
    pdf.multi_cell(0, 5, text, align="L", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
