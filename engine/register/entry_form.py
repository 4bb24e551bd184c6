"""The registry desk's form: one JSON Schema that the desk's page renders and that checks what
the page or the API sends, plus the few rules that tie one field to another."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from engine.workflow import forms

DIRECTIONS = {"in": "Intrare", "out": "Ieșire"}
CHANNELS = {
    "counter": "Ghișeu",
    "post": "Poștă",
    "email": "E-mail",
    "portal": "Portal",
    "fax": "Fax",
}
REPLY_BY = {"post": "prin poștă", "email": "prin e-mail"}
MAX_COUNT = 100_000  # pages or annexes of one document
_TRUE = {"1", "true", "on", "da", "yes"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_REGISTRATION = re.compile(
    r"^\s*(?:nr\.?\s*)?([0-9]{1,7})\s*/\s*([0-9]{2})\.([0-9]{2})\.([0-9]{4})\s*$", re.IGNORECASE
)

Choices = Sequence[tuple[str, str]]
Error = dict[str, str]


def _choices(pairs: Choices) -> list[dict[str, str]]:
    return [{"const": k, "title": v} for k, v in pairs]


def entry_schema(departments: Choices = ()) -> dict[str, Any]:
    """Describe the registration form; `departments` are those correspondence may go to."""
    return {
        "type": "object",
        "required": ["direction", "channel"],
        "properties": {
            "direction": {
                "type": "string",
                "title": "Intrare sau ieșire",
                "oneOf": _choices(list(DIRECTIONS.items())),
            },
            "channel": {
                "type": "string",
                "title": "Canalul",
                "x-widget": "select",
                "oneOf": _choices(list(CHANNELS.items())),
            },
            "issuer": {
                "type": "string",
                "title": "Emitent (persoană sau instituție)",
                "description": "La ieșire, implicit primăria.",
                "maxLength": 300,
            },
            "issuer_number": {
                "type": "string",
                "title": "Nr. documentului emitentului",
                "maxLength": 64,
            },
            "issuer_date": {
                "type": "string",
                "format": "date",
                "title": "Data documentului emitentului",
            },
            "pages": {"type": "integer", "title": "Nr. file", "minimum": 0, "maximum": MAX_COUNT},
            "annexes": {
                "type": "integer",
                "title": "Nr. anexe",
                "minimum": 0,
                "maximum": MAX_COUNT,
            },
            "summary": {
                "type": "string",
                "title": "Conținut pe scurt",
                "maxLength": 500,
                "x-widget": "textarea",
            },
            "recipient": {
                "type": "string",
                "title": "Destinatar",
                "description": "Obligatoriu la ieșire.",
                "maxLength": 300,
            },
            "department": {
                "type": "string",
                "title": "Compartimentul căruia i se repartizează (corespondență)",
                "x-widget": "select",
                "oneOf": _choices(departments),
            },
            "related_to": {
                "type": "string",
                "title": "Conexat la nr. / răspunde la nr.",
                "description": "Numărul de înregistrare anterior, ca 17/27.11.2026.",
                "maxLength": 40,
            },
            "issuer_contact": {
                "type": "string",
                "title": "Adresa petentului (poștală sau e-mail)",
                "description": "Petentul fără cont primește răspunsul aici.",
                "maxLength": 300,
            },
            "reply_by": {
                "type": "string",
                "title": "Răspunsul se transmite",
                "oneOf": _choices([("post", "Prin poștă"), ("email", "Prin e-mail")]),
            },
            "join": {
                "type": "boolean",
                "title": "Petiție identică a aceleiași persoane: conexați-o la cea anterioară",
            },
        },
    }


@dataclass(frozen=True)
class EntryForm:
    """What the desk was asked to register, checked field by field."""

    direction: str
    channel: str
    issuer: str = ""
    issuer_number: str | None = None
    issuer_date: date | None = None
    pages: int | None = None
    annexes: int | None = None
    summary: str = ""
    recipient: str = ""
    department: str | None = None
    related_to: tuple[int, date] | None = None
    related_text: str = ""
    issuer_contact: str = ""
    reply_by: str | None = None
    procedure: str | None = None
    join: bool = False
    data: dict[str, Any] = field(default_factory=dict)


def parse_registration(value: str) -> tuple[int, date] | None:
    """Parse "1234/27.11.2026" (the common display) into a number and a date."""
    match = _REGISTRATION.match(unicodedata.normalize("NFKC", value or ""))
    if not match:
        return None
    try:
        day = date(int(match[4]), int(match[3]), int(match[2]))
    except ValueError:
        return None
    return int(match[1]), day


def _normalised(raw: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """Bring what a web form or the API sent to the schema's types: text with its blanks
    collapsed, whole numbers from digits, yes/no from the words forms send; empty is absent."""
    values: dict[str, Any] = {}
    for name, prop in schema["properties"].items():
        value = raw.get(name)
        if prop["type"] == "boolean":
            values[name] = (
                value if isinstance(value, bool) else str(value or "").strip().lower() in _TRUE
            )
            continue
        if value is None or value == "":
            continue
        if isinstance(value, str):
            value = " ".join(value.split())
            if value == "":
                continue
            if prop["type"] == "integer" and re.fullmatch(r"[+-]?\d{1,12}", value):
                value = int(value)
        values[name] = value
    return values


def _issuer_date(value: Any) -> date | None:
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(str(value), fmt).date()
        except ValueError:
            continue
    return None


def _cross_field_errors(values: Mapping[str, Any], procedure: str | None) -> list[Error]:
    """The rules one field sets for another, which a JSON Schema would only say obscurely."""
    errors: list[Error] = []

    def refuse(name: str, message: str) -> None:
        errors.append({"field": f"/{name}", "message": message})

    direction = values.get("direction", "in")
    if direction == "out" and not values.get("recipient"):
        refuse("recipient", "Scrieți destinatarul documentului.")
    if direction != "out" and not values.get("issuer"):
        refuse("issuer", "Scrieți numele emitentului (persoană sau instituție).")
    if not values.get("summary") and not procedure:
        refuse("summary", "Scrieți pe scurt conținutul documentului.")
    if "issuer_date" in values and _issuer_date(values["issuer_date"]) is None:
        refuse("issuer_date", "Scrieți data documentului ca ZZ.LL.AAAA.")
    if "related_to" in values and parse_registration(str(values["related_to"])) is None:
        refuse("related_to", "Scrieți numărul ca număr/ZZ.LL.AAAA (ex. 17/27.11.2026).")
    if procedure:
        if direction == "out":
            refuse("procedure", "Alegeți o procedură din catalog (numai la intrare).")
        contact, reply_by = str(values.get("issuer_contact", "")), values.get("reply_by")
        if reply_by not in REPLY_BY:
            refuse("reply_by", "Alegeți cum primește petentul răspunsul: poștă sau e-mail.")
        elif reply_by == "email" and not _EMAIL.match(contact):
            refuse("issuer_contact", "Scrieți adresa de e-mail a petentului.")
        elif not contact:
            refuse("issuer_contact", "Scrieți adresa poștală a petentului.")
    if values.get("join") and (not procedure or "related_to" not in values):
        refuse("related_to", "Pentru conexare indicați numărul petiției anterioare.")
    return errors


def _friendly(error: Error) -> Error:
    """Say the two choices that matter in the desk's own words."""
    if error["field"] == "/direction":
        return {**error, "message": "Alegeți intrare sau ieșire."}
    if error["field"] == "/channel":
        return {**error, "message": "Alegeți canalul: ghișeu, poștă, e-mail, portal sau fax."}
    if error["field"] in ("/pages", "/annexes"):
        return {**error, "message": "Scrieți un număr întreg, 0 sau mai mare."}
    return error


def read(
    raw: Mapping[str, Any], departments: Choices, procedure: str | None = None
) -> tuple[EntryForm | None, list[Error]]:
    """Check a registration against the desk's form; return it typed, or every problem at once.

    `departments` are the departments correspondence may be sent to; `procedure` is the catalog
    procedure the document starts, already found in the catalog."""
    schema = entry_schema(departments)
    values = _normalised(raw, schema)
    values.setdefault("direction", "in")
    errors = [_friendly(e) for e in forms.form_errors(schema, values)]
    seen = {e["field"] for e in errors}
    errors += [e for e in _cross_field_errors(values, procedure) if e["field"] not in seen]
    if errors:
        return None, errors
    data = raw.get("data")
    related_text = str(values.get("related_to", ""))
    form = EntryForm(
        direction=values.get("direction", "in"),
        channel=values["channel"],
        issuer=values.get("issuer", "") or ("Primăria" if values["direction"] == "out" else ""),
        issuer_number=values.get("issuer_number"),
        issuer_date=_issuer_date(values["issuer_date"]) if "issuer_date" in values else None,
        pages=values.get("pages"),
        annexes=values.get("annexes"),
        summary=values.get("summary", ""),
        recipient=values.get("recipient", ""),
        department=values.get("department"),
        related_to=parse_registration(related_text) if related_text else None,
        related_text=related_text,
        issuer_contact=values.get("issuer_contact", ""),
        reply_by=values.get("reply_by") if procedure else None,
        procedure=procedure,
        join=bool(values.get("join")),
        data=dict(data) if isinstance(data, Mapping) else {},
    )
    return form, []
