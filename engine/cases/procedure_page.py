"""A procedure as anyone reads it before signing in: what it is for, the documents to bring,
the fee and how to pay it, the legal term in plain words, who decides, whether it is open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from engine.circuit import Circuit
from engine.deadlines.legal_calendar import DeadlineKind
from engine.people import organisation
from engine.platform import wording
from engine.platform.config import CityHall
from engine.platform.timeutil import local_today
from engine.workflow import definitions, versions
from engine.workflow.catalog import AUDIENCES, AttachmentSpec, Fee, Procedure


@dataclass(frozen=True)
class DocumentToBring:
    """One slot of the start form: its title, whether it is required, and when, in words."""

    name: str
    title: str
    required: bool
    condition: str  # „obligatoriu dacă …” for a slot required only with some answers
    types: tuple[str, ...]
    max_bytes: int
    multiple: bool

    def as_api(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "required": self.required,
            "required_if": self.condition or None,
            "types": list(self.types),
            "max_bytes": self.max_bytes,
            "multiple": self.multiple,
        }


@dataclass(frozen=True)
class Payment:
    """Where a fee is paid: the city hall's account (or the fee's own) and its online page."""

    beneficiary: str
    cif: str
    iban: str
    bank: str
    online_url: str

    def as_api(self) -> dict[str, Any]:
        return {
            "beneficiary": self.beneficiary,
            "cif": self.cif or None,
            "iban": self.iban or None,
            "bank": self.bank or None,
            "online_url": self.online_url or None,
        }


@dataclass(frozen=True)
class ProcedurePage:
    procedure: Procedure
    documents: list[DocumentToBring]
    term: str  # the legal term in plain words
    due_if_today: date  # the last day of the term for a request registered today
    decided_by: str
    audience: list[str]  # „Persoane fizice”, „Persoane juridice”
    payment: Payment | None  # None when the procedure is free or says nothing of a fee
    available: bool
    unavailable_reason: str | None

    @property
    def fee(self) -> Fee | None:
        return self.procedure.fee

    def as_api(self) -> dict[str, Any]:
        proc = self.procedure
        return {
            "id": proc.id,
            "title": proc.title,
            "description": proc.description,
            "category": proc.category or None,
            "audience": list(proc.audience),
            "legal_basis": proc.legal_basis,
            "deadline": {"days": proc.deadline_days, "kind": proc.deadline_kind.value},
            "term": self.term,
            "decided_by": self.decided_by,
            "attachments": [d.as_api() for d in self.documents],
            "fee": fee_api(proc.fee, self.payment),
            "available": self.available,
            "unavailable_reason": self.unavailable_reason,
        }


def fee_api(fee: Fee | None, payment: Payment | None) -> dict[str, Any] | None:
    """Say a fee as the API does, with how to pay it when there is something to pay."""
    if fee is None:
        return None
    return {**fee.as_api(), "payment": payment.as_api() if payment else None}


def term_text(days: int, kind: DeadlineKind) -> str:
    """Say a legal term the way a citizen reads it, with how the days are counted."""
    if kind is DeadlineKind.WORKING:
        count = wording.count(days, "zi lucrătoare", "zile lucrătoare")
        return (
            f"Răspunsul vine în cel mult {count} de la înregistrarea cererii "
            "(nu se socotesc sâmbetele, duminicile și sărbătorile legale)."
        )
    count = wording.count(days, "zi calendaristică", "zile calendaristice")
    return (
        f"Răspunsul vine în cel mult {count} de la înregistrarea cererii, socotite din ziua "
        "următoare; dacă ultima zi nu este lucrătoare, termenul se încheie în prima zi "
        "lucrătoare de după ea."
    )


def _option_label(prop: dict[str, Any], value: Any) -> str:
    """Return how the form shows one answer of a field (its option's title, up to a colon)."""
    for option in prop.get("oneOf") or []:
        if isinstance(option, dict) and option.get("const") == value:
            return str(option.get("title", value)).split(":", 1)[0].strip()
    if value is True:
        return "Da"
    if value is False:
        return "Nu"
    return str(value)


def condition_text(spec: AttachmentSpec, schema: dict[str, Any]) -> str:
    """Say in words when a slot is required: „Obligatoriu dacă la «…» ați răspuns «Nu».”"""
    if spec.required or not spec.required_when:
        return ""
    props = schema.get("properties") or {}
    parts = []
    for name, value in spec.required_when:
        prop = props.get(name) or {}
        question = str(prop.get("title", name)).rstrip()
        parts.append(f"la „{question}” ați răspuns „{_option_label(prop, value)}”")
    return "Obligatoriu dacă " + " și ".join(parts) + "."


def documents_to_bring(proc: Procedure, schema: dict[str, Any]) -> list[DocumentToBring]:
    """Return the start form's slots, the required ones first, as the catalog lists them."""
    docs = [
        DocumentToBring(
            name=a.name,
            title=a.title,
            required=a.required,
            condition=condition_text(a, schema),
            types=a.types,
            max_bytes=a.max_bytes,
            multiple=a.multiple,
        )
        for a in proc.attachments
    ]
    return sorted(docs, key=lambda d: 0 if d.required else 1 if d.condition else 2)


def payment_for(fee: Fee | None, city_hall: CityHall, beneficiary: str) -> Payment | None:
    """Return where to pay a fee; None when there is nothing to pay."""
    if fee is None or fee.free:
        return None
    return Payment(
        beneficiary=beneficiary,
        cif=city_hall.cif,
        iban=fee.iban or city_hall.iban,
        bank=city_hall.bank,
        online_url=city_hall.payment_url,
    )


def _decided_by(session: Session, circuit: Circuit, proc: Procedure, version_id: int) -> str:
    """Return who decides: the catalog's words, else the departments the diagram names."""
    if proc.decided_by:
        return proc.decided_by
    parsed = definitions.definition(session, version_id)
    codes = definitions.departments_named(parsed, circuit.settings.registry_department)
    names = organisation.department_names(session)
    return ", ".join(sorted(names.get(code, code) for code in codes))


def public_page(session: Session, circuit: Circuit, procedure_id: str) -> ProcedurePage | None:
    """Return a procedure's public page, or None when the catalog has no such procedure."""
    catalog = circuit.procedures(session)
    proc = catalog.get(procedure_id)
    version_id = catalog.version_of(procedure_id)
    if proc is None or version_id is None:
        return None
    schema = versions.form(session, circuit, proc.start_form, version_id)
    empty = organisation.procedure_unstaffed(session, circuit, version_id)
    settings = circuit.settings
    return ProcedurePage(
        procedure=proc,
        documents=documents_to_bring(proc, schema),
        term=term_text(proc.deadline_days, proc.deadline_kind),
        due_if_today=circuit.calendar(session).deadline(
            local_today(), proc.deadline_days, proc.deadline_kind
        ),
        decided_by=_decided_by(session, circuit, proc, version_id),
        audience=[AUDIENCES[code] for code in proc.audience if code in AUDIENCES],
        payment=payment_for(proc.fee, settings.city_hall, settings.city_hall_name),
        available=not empty,
        unavailable_reason=organisation.unavailable_reason(session, empty) if empty else None,
    )
