"""PDF receipts of a registered request and PDFs of the city hall's answer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import documents, issued, queries
from engine.circuit import Circuit
from engine.models import AuditEvent, Department, Document, Request, User
from engine.platform.errors import NotFound
from engine.platform.fonts import font_paths
from engine.platform.timeutil import BUCHAREST, as_aware

FONT_FAMILY = "CircuitSans"


def registration_label(number: int, day: date) -> str:
    """Say a registration the one way Circuit writes it: „nr. 7/28.11.2026”."""
    return f"nr. {number}/{day:%d.%m.%Y}"


def _local(moment: datetime) -> str:
    return f"{as_aware(moment).astimezone(BUCHAREST):%d.%m.%Y %H:%M}"


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
    return f"{max(1, size // 1024)} KB"


class _Sheet(FPDF):
    """An A4 page in the Circuit font, with helpers for labelled lines."""

    def __init__(self, issuer: str, title: str) -> None:
        super().__init__(format="A4")
        fonts = font_paths()
        for style, path in fonts.items():
            self.add_font(FONT_FAMILY, style, str(path))
        self.set_title(title)
        self.set_author(issuer)
        self.set_creator("Circuit")
        self.set_auto_page_break(True, margin=18)
        self.add_page()
        self.set_font(FONT_FAMILY, "", 10)
        self.cell(0, 6, issuer, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT_FAMILY, "B", 16)
        self.multi_cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def row(self, label: str, value: str) -> None:
        self.set_font(FONT_FAMILY, "B", 10)
        self.cell(55, 6, label)
        self.set_font(FONT_FAMILY, "", 10)
        self.multi_cell(0, 6, value or "—", new_x="LMARGIN", new_y="NEXT")

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font(FONT_FAMILY, "B", 12)
        self.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, text: str, size: int = 10) -> None:
        self.set_font(FONT_FAMILY, "", size)
        self.multi_cell(0, size * 0.5 + 1, text, new_x="LMARGIN", new_y="NEXT")

    def finish(self, note: str) -> bytes:
        self.ln(4)
        self.set_font(FONT_FAMILY, "", 8)
        self.multi_cell(0, 4, note, new_x="LMARGIN", new_y="NEXT")
        return bytes(self.output())


def by_slot(docs: Iterable[Document]) -> list[tuple[str, list[Document]]]:
    """Group the files the petitioner (or the registry's scanner) sent, completions included,
    under their slot titles, in the order the slots were first filled."""
    groups: dict[str, list[Document]] = {}
    for doc in docs:
        if doc.kind in ("attachment", "reply", "scan"):
            groups.setdefault(documents.slot_title(doc), []).append(doc)
    return list(groups.items())


def _common(sheet: _Sheet, circuit: Circuit, req: Request) -> None:
    proc = circuit.catalog.get(req.procedure)
    sheet.row(
        "Număr de înregistrare", registration_label(req.registration_number, req.registration_date)
    )
    sheet.row("Depusă la", _local(req.created_at))
    sheet.row("Procedura", proc.title if proc else req.procedure)
    sheet.row("Petent", req.petitioner_name)  # no account at the counter: the issuer
    sheet.row("Obiectul cererii", req.summary)


def receipt_pdf(
    session: Session, circuit: Circuit, user: User, request_id: int, issuer: str
) -> tuple[bytes, str]:
    """Return the registration receipt of a request the user may see, and its file name."""
    req = queries.request_for(session, user, request_id)
    label = registration_label(req.registration_number, req.registration_date)
    sheet = _Sheet(issuer, f"Dovadă de înregistrare a cererii {label}")
    _common(sheet, circuit, req)
    sheet.row("Termen legal de răspuns", f"{req.due_date:%d.%m.%Y}")
    groups = by_slot(queries.request_documents(session, req.id))
    sheet.heading("Documente atașate")
    if not groups:
        sheet.paragraph("Cererea nu are documente atașate.")
    for title, files in groups:
        sheet.set_font(FONT_FAMILY, "B", 10)
        sheet.multi_cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
        for doc in files:
            later = f", completare din {_local(doc.created_at)}" if doc.kind == "reply" else ""
            sheet.paragraph(f"{doc.name} ({_size(doc.size)}{later})")
            sheet.paragraph(f"SHA-256: {doc.sha256}", size=8)
    note = (
        "Documentul confirmă înregistrarea cererii în registrul general al instituției. "
        "Amprenta SHA-256 a fiecărui fișier permite verificarea faptului că documentul "
        "păstrat de primărie este identic cu cel trimis."
    )
    name = f"dovada-inregistrare-{req.registration_number}-{req.registration_date:%Y}.pdf"
    return sheet.finish(note), name


def signatures(session: Session, request_id: int) -> list[tuple[str, str]]:
    """Return (role, person) of whoever signed the answer: the latest signature of each step
    with a `signature` property (a step sent back and signed again counts once)."""
    rows = session.execute(
        select(AuditEvent, User.name)
        .join(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.request_id == request_id, AuditEvent.action == "answer_signed")
        .order_by(AuditEvent.id)
    ).all()
    latest: dict[str, tuple[AuditEvent, str]] = {}
    for event, name in rows:
        latest.pop(str(event.detail.get("step")), None)  # re-signed: keep the order of the last
        latest[str(event.detail.get("step"))] = (event, name)
    names = {code: name for code, name in session.execute(select(Department.code, Department.name))}
    out = []
    for event, name in latest.values():
        role = str(event.detail.get("role") or "")
        department = names.get(str(event.detail.get("department")))
        if "{compartiment}" in role:
            role = role.replace("{compartiment}", department or "")
        out.append((role, name))
    return out


def answer_pdf(
    session: Session, circuit: Circuit, user: User, request_id: int, issuer: str
) -> tuple[bytes, str]:
    """Return the city hall's answer to a closed request as a PDF, and its file name."""
    req = queries.request_for(session, user, request_id)
    if not req.answer or not req.status.is_closed:
        raise NotFound("Cererea nu are încă un răspuns.", code="no_answer")
    act = issued.issued_for(session, req.id)
    if act is not None:  # the document the city hall issued, signed: byte for byte
        return issued.stored_pdf(circuit.settings, act), act.document.name
    label = registration_label(req.registration_number, req.registration_date)
    sheet = _Sheet(issuer, f"Răspuns la cererea {label}")
    entry = req.answer_entry
    if entry is not None:
        sheet.row("Nr. de ieșire", registration_label(entry.number, entry.registered_on))
    _common(sheet, circuit, req)
    if req.closed_at:
        sheet.row("Soluționată la", _local(req.closed_at))
    sheet.heading("Răspunsul primăriei")
    sheet.paragraph(req.answer)
    signed = signatures(session, req.id)
    if signed:
        sheet.heading("Semnează")
        for role, person in signed:
            sheet.paragraph(f"{role}: {person}")
    note = "Răspuns generat din registrul electronic al instituției (document nesemnat)."
    name = f"raspuns-{req.registration_number}-{req.registration_date:%Y}.pdf"
    return sheet.finish(note), name
