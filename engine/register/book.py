"""The register as people read it (registrul de intrare-ieșire): rows, search, CSV export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date, and_, case, func, or_, select
from sqlalchemy.orm import Session, defer

from engine.circuit import registry_department
from engine.models import Dispatch, RegistryEntry, Request, RequestStatus, TaskRecord, User
from engine.platform.timeutil import local_today
from engine.register import chain
from engine.register.access import require_reader
from engine.register.entry_form import CHANNELS, DIRECTIONS, REPLY_BY
from engine.workflow.spifftasks import APPLICANT_LANE, UNASSIGNED

RESOLUTIONS = {
    RequestStatus.REGISTERED: "În lucru",
    RequestStatus.IN_PROGRESS: "În lucru",
    RequestStatus.WAITING_FOR_CITIZEN: "În lucru (completări cerute petentului)",
    RequestStatus.COMPLETED: "Soluționată",
    RequestStatus.REJECTED: "Clasată",
    RequestStatus.WITHDRAWN: "Retrasă",
}
COLUMNS = [
    "Nr. înregistrare",
    "Data înregistrării",
    "Intrare/ieșire",
    "Canal",
    "Nr. și data documentului emitentului",
    "Nr. file",
    "Nr. anexe",
    "Emitent",
    "Conținut pe scurt",
    "Compartiment",
    "Data expedierii",
    "Mod de rezolvare",
    "Destinatar",
    "Nr. conexat",
    "Indicativ dosar",
    "Amprentă (SHA-256)",
    "Documente",
]
# How an answer left the city hall (expediere), as the register and the desk's form say it.
DISPATCH_CHANNELS = {
    "post": "prin poștă",
    "email": "prin e-mail",
    "in_person": "ridicat personal de la registratură",
}
TO_DISPATCH = "De expediat"


def awaits_dispatch(request: Request) -> bool:
    """Tell whether a request's answer goes out by the registry's hand: its applicant has no
    account and asked for post or e-mail (a joined petition goes with the first one's)."""
    return (
        request.applicant_id is None
        and request.reply_by is not None
        and request.answer_entry_id is not None
        and request.joined_to_id is None
    )


def describe_dispatch(row: Dispatch) -> str:
    """Say how an answer went: „prin poștă la 05.12.2026, ref. RR123456789RO”."""
    said = f"{DISPATCH_CHANNELS.get(row.channel, row.channel)} la {row.sent_on:%d.%m.%Y}"
    if row.reference:
        said += f", ref. {row.reference}"
    if row.email:
        said += f", la {row.email}"
    return said


# Cells a spreadsheet would read as a formula (OWASP, "CSV Injection"): = + - @, tab, CR.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
NUMERIC_COLUMNS = (0, 5, 6)  # number, pages, annexes: written as numbers, never quoted


def spreadsheet_safe(value: str) -> str:
    """Return a text cell a spreadsheet shows as text: one that would start a formula gets a
    leading apostrophe; a plain number such as "-5" is left as it is (it computes nothing)."""
    if value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


@dataclass
class RegisterRow:
    """A line of the register with what later lines tell of it (answer, resolution)."""

    entry: RegistryEntry
    request: Request | None = None
    answer: RegistryEntry | None = None
    linked_display: str = ""
    department: str = ""
    resolution: str = ""
    # The answer this line is (out) or received (in), when the registry sends it by hand:
    # whether it still waits, and how it went once sent.
    to_dispatch: bool = False
    dispatch: Dispatch | None = None

    @property
    def issuer_reference(self) -> str:
        e = self.entry
        when = f"{e.issuer_date:%d.%m.%Y}" if e.issuer_date else ""
        return " / ".join(x for x in (e.issuer_number or "", when) if x)

    @property
    def dispatch_date(self) -> date | None:
        if self.dispatch is not None:
            return self.dispatch.sent_on
        if self.to_dispatch:
            return None  # registered, not sent yet
        if self.entry.direction == "out":
            return self.entry.registered_on
        return self.answer.registered_on if self.answer else None

    @property
    def recipient(self) -> str:
        if self.entry.direction == "out":
            return self.entry.recipient or ""
        return self.answer.recipient or "" if self.answer else ""

    @property
    def files(self) -> str:
        """Say the files registered with the entry, each after the slot it was sent for."""
        return "; ".join(
            f"{d['slot_title']}: {d.get('name', '')}" if d.get("slot_title") else d.get("name", "")
            for d in self.entry.documents or []
            if isinstance(d, dict)
        )

    def cells(self, department_names: dict[str, str]) -> list[str]:
        """Return the row's cells in the order of COLUMNS."""
        e = self.entry
        return [
            str(e.number),
            f"{e.registered_on:%d.%m.%Y}",
            DIRECTIONS.get(e.direction, e.direction),
            CHANNELS.get(e.channel or "", e.channel or ""),
            self.issuer_reference,
            "" if e.pages is None else str(e.pages),
            "" if e.annexes is None else str(e.annexes),
            e.issuer,
            e.summary,
            department_names.get(self.department, self.department),
            f"{self.dispatch_date:%d.%m.%Y}" if self.dispatch_date else "",
            self.resolution,
            self.recipient,
            self.linked_display,
            e.file_code or "",
            e.entry_hash,
            self.files,
        ]


def _filter(start: date | None, end: date | None, q: str | None, on: Any = None) -> Any:
    on = RegistryEntry.registered_on if on is None else on
    cond = []
    if start:
        cond.append(on >= start)
    if end:
        cond.append(on <= end)
    folded = chain.fold(q).strip()
    if folded:
        like = RegistryEntry.search_text.contains(folded, autoescape=True)
        number = _searched_number(q)
        cond.append(or_(like, RegistryEntry.number == number) if number is not None else like)
    return and_(*cond) if cond else True


def _searched_number(q: str | None) -> int | None:
    """Return the registration number a search names, when it is one."""
    folded = chain.fold(q).strip()
    return int(folded) if folded.isascii() and folded.isdigit() and len(folded) < 8 else None


def count(session: Session, start: date | None, end: date | None, q: str | None = None) -> int:
    """Count the register's lines in a period that match the search."""
    query = select(func.count()).select_from(RegistryEntry).where(_filter(start, end, q))
    return session.scalar(query) or 0


def rows(
    session: Session,
    start: date | None,
    end: date | None,
    q: str | None = None,
    *,
    page: int = 1,
    per_page: int = 50,
    newest_first: bool = True,
) -> list[RegisterRow]:
    """Return a page of the register's lines, with answers, links and resolutions filled in."""
    order: tuple[Any, ...] = (RegistryEntry.year, RegistryEntry.number)
    if newest_first:
        order = (RegistryEntry.year.desc(), RegistryEntry.number.desc())
    number = _searched_number(q)
    if number is not None:  # the row of that number comes first, then those that mention it
        order = (case((RegistryEntry.number == number, 0), else_=1), *order)
    where = _filter(start, end, q)
    if (
        newest_first
        and session.get_bind().dialect.name == "sqlite"
        and (end is None or end >= local_today())
    ):
        # SQLite would read the whole period by the index on registered_on and sort it (180 ms
        # for 100,000 lines); a period up to today's newest lines reads the register's order
        # backwards and stops at the page. The date, read through a function, takes no index.
        on = func.date(RegistryEntry.registered_on, type_=Date)
        where = _filter(start, end, q, on=on)
    query = select(RegistryEntry).where(where).order_by(*order)
    if per_page:
        query = query.limit(per_page).offset((page - 1) * per_page)
    return complete_rows(session, list(session.scalars(query)))


def _pairs_in(year: Any, number: Any, keys: set[tuple[int, int]]) -> Any:
    """(year, number) IN keys, written per year so that an index on both serves it (SQLite
    scanned the whole table for a tuple IN: 25 ms at 100,000 lines)."""
    numbers: dict[int, set[int]] = {}
    for y, n in keys:
        numbers.setdefault(y, set()).add(n)
    return or_(*(and_(year == y, number.in_(sorted(ns))) for y, ns in sorted(numbers.items())))


def _by_keys(session: Session, keys: set[tuple[int, int]]) -> dict[tuple[int, int], RegistryEntry]:
    if not keys:
        return {}
    found = session.scalars(
        select(RegistryEntry).where(_pairs_in(RegistryEntry.year, RegistryEntry.number, keys))
    )
    return {(e.year, e.number): e for e in found}


def complete_rows(session: Session, entries: Sequence[RegistryEntry]) -> list[RegisterRow]:
    """Fill in each line what other tables and later lines tell of it."""
    out = [RegisterRow(e) for e in entries]
    ids = [e.id for e in entries]
    requests = (
        {
            r.registry_entry_id: r
            for r in session.scalars(
                select(Request)
                .where(Request.registry_entry_id.in_(ids))
                .options(defer(Request.data))
            )
        }
        if ids
        else {}
    )
    keys = {(e.year, e.number) for e in entries}
    answers: dict[tuple[int, int], RegistryEntry] = {}
    if keys:
        for a in session.scalars(
            select(RegistryEntry)
            .where(
                RegistryEntry.direction == "out",
                _pairs_in(RegistryEntry.linked_year, RegistryEntry.linked_number, keys),
            )
            .order_by(RegistryEntry.year, RegistryEntry.number)
        ):
            answers.setdefault((a.linked_year or 0, a.linked_number or 0), a)
    linked = _by_keys(
        session,
        {(e.linked_year, e.linked_number) for e in entries if e.linked_year and e.linked_number},
    )
    request_ids = [r.id for r in requests.values()]
    # The column names where a document was sent: not the registry, nor the applicant.
    not_departments = {registry_department(), APPLICANT_LANE, UNASSIGNED}
    departments: dict[int, str] = {}
    if request_ids:
        for rid, dept in session.execute(
            select(TaskRecord.request_id, TaskRecord.department)
            .where(TaskRecord.request_id.in_(request_ids))
            .order_by(TaskRecord.created_at, TaskRecord.id)
        ):
            if dept not in not_departments:
                departments.setdefault(rid, dept)
    out_ids = [e.id for e in entries if e.direction == "out"]
    answered = (
        {
            r.answer_entry_id: r
            for r in session.scalars(
                select(Request)
                .where(Request.answer_entry_id.in_(out_ids), Request.joined_to_id.is_(None))
                .options(defer(Request.data))
            )
        }
        if out_ids
        else {}
    )
    answer_ids = out_ids + [a.id for a in answers.values()]
    sent = (
        {
            d.entry_id: d
            for d in session.scalars(select(Dispatch).where(Dispatch.entry_id.in_(answer_ids)))
        }
        if answer_ids
        else {}
    )
    first_ids = [r.joined_to_id for r in requests.values() if r.joined_to_id]
    joined_to = (
        {r.id: r for r in session.scalars(select(Request).where(Request.id.in_(first_ids)))}
        if first_ids
        else {}
    )
    for row in out:
        e = row.entry
        row.request = requests.get(e.id)
        row.answer = answers.get((e.year, e.number))
        link = linked.get((e.linked_year or 0, e.linked_number or 0))
        row.linked_display = link.display if link else ""
        req = row.request
        row.department = (departments.get(req.id) if req else None) or e.department or ""
        first = joined_to.get(req.joined_to_id or 0) if req else None
        answer_of = answered.get(e.id) if e.direction == "out" else req
        answer_id = e.id if e.direction == "out" else (row.answer.id if row.answer else None)
        if answer_of is not None and answer_id is not None and awaits_dispatch(answer_of):
            if answer_of.answer_entry_id == answer_id:
                row.dispatch = sent.get(answer_id)
                row.to_dispatch = row.dispatch is None
        row.resolution = _resolution(row, first)
    return out


def _resolution(row: RegisterRow, first: Request | None) -> str:
    req, answer = row.request, row.answer
    if row.entry.direction == "out":
        if row.to_dispatch:
            return TO_DISPATCH
        if row.dispatch is not None:
            return f"Expediat {describe_dispatch(row.dispatch)}"
        return "Expediat"
    parts = []
    if first is not None:
        parts.append(f"Conexată la nr. {first.registration_display}")
    if req is not None:
        parts.append(RESOLUTIONS.get(req.status, req.status.value))
        if row.to_dispatch:
            parts.append(f"răspuns de expediat {REPLY_BY[req.reply_by or 'post']}")
        elif row.dispatch is not None:
            parts.append(f"răspuns expediat {describe_dispatch(row.dispatch)}")
        elif req.reply_by and req.status in (RequestStatus.COMPLETED, RequestStatus.REJECTED):
            parts.append(f"răspuns transmis {REPLY_BY[req.reply_by]}")
    if answer is not None:
        parts.append(f"răspuns nr. {answer.display}")
    elif req is None:
        parts.append("Corespondență")
    return "; ".join(parts)


def listing(
    session: Session,
    user: User,
    start: date | None,
    end: date | None,
    q: str | None = None,
    *,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[RegisterRow], int]:
    """Return a page of the register for one of its readers, newest first, and the total."""
    require_reader(user)
    return rows(session, start, end, q, page=page, per_page=per_page), count(session, start, end, q)


def to_csv(
    session: Session, user: User, start: date, end: date, department_names: dict[str, str]
) -> bytes:
    """Export the register for a period as CSV: UTF-8 with BOM, `;` between columns.

    Every text cell is quoted and one that a spreadsheet would run as a formula (a subject
    "=HYPERLINK(...)" typed by a petitioner) is neutralised; numbers stay bare numbers."""
    require_reader(user)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow(COLUMNS)
    for row in rows(session, start, end, page=1, per_page=0, newest_first=False):
        cells: list[str | int] = [spreadsheet_safe(c) for c in row.cells(department_names)]
        for i in NUMERIC_COLUMNS:
            if str(cells[i]).isdigit():
                cells[i] = int(cells[i])
        writer.writerow(cells)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
