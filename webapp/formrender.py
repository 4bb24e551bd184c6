"""JSON Schema forms to HTML field descriptions, and submitted HTML forms back to typed data."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from engine.cases import readmodel

RADIO_MAX_OPTIONS = 4
TRUE_VALUES = {"1", "true", "on", "da", "yes"}


@dataclass
class Field:
    """One input of a form as the templates draw it."""

    name: str
    title: str
    description: str
    widget: str  # text, textarea, select, radio, checkbox, checkboxes, number, date, email
    required: bool
    options: list[tuple[str, str]] = field(default_factory=list)
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    step: str | None = None
    placeholder: str | None = None  # the schema's first `examples` value
    value: Any = None
    error: str | None = None
    inputmode: str | None = None

    @property
    def input_id(self) -> str:
        return f"f-{self.name}"

    @property
    def hint_id(self) -> str:
        return f"{self.input_id}-hint"

    @property
    def error_id(self) -> str:
        return f"{self.input_id}-error"

    def is_selected(self, option: str) -> bool:
        if isinstance(self.value, list):
            return option in [str(v) for v in self.value]
        return self.value is not None and str(self.value) == option

    @property
    def limit_id(self) -> str:
        return f"{self.input_id}-limit"

    @property
    def described_by(self) -> str:
        ids = [self.hint_id] if self.description else []
        if self.widget == "textarea" and self.max_length:
            ids.append(self.limit_id)
        if self.error:
            ids.append(self.error_id)
        return " ".join(ids)


_options = readmodel.choices


def _widget(prop: Mapping[str, Any], options: list[tuple[str, str]]) -> str:
    kind = prop.get("type")
    hint = prop.get("x-widget")
    if kind == "array":
        return "checkboxes"
    if kind == "boolean":
        return "checkbox"
    if options or "x-options" in prop:
        if hint in ("select", "radio"):
            return str(hint)
        many = len(options) > RADIO_MAX_OPTIONS or "x-options" in prop
        return "select" if many else "radio"
    if kind in ("integer", "number"):
        return "number"
    if hint in ("textarea", "text"):
        return str(hint)
    if prop.get("format") in ("date", "email"):
        return str(prop["format"])
    return "text"


_DIGITS = re.compile(r"^\^?(\\d|\[0-9\])(\{\d+(,\d*)?\}|[+*])?\$?$")


def _inputmode(name: str, prop: Mapping[str, Any]) -> str | None:
    """Pick the phone keyboard: `x-inputmode`, else digits for CNPs, CUIs and digit patterns."""
    if prop.get("x-inputmode"):
        return str(prop["x-inputmode"])
    if prop.get("type") != "string":
        return None
    if prop.get("format") in ("cnp", "cui") or "cnp" in name.lower().split("_"):
        return "numeric"
    return "numeric" if _DIGITS.match(str(prop.get("pattern", ""))) else None


def field_errors(errors: list[dict[str, str]] | None) -> dict[str, str]:
    """Map engine errors (JSON pointers) to field names; form-wide errors go under ""."""
    out: dict[str, str] = {}
    for err in errors or []:
        parts = [p for p in str(err.get("field", "")).split("/") if p]
        if parts[:1] == ["attachments"] and len(parts) > 1:
            key = f"attachments/{parts[1]}"
        else:
            key = parts[0] if parts else ""
        if key in out:
            if err["message"] not in out[key]:
                out[key] += " " + err["message"]
        else:
            out[key] = err["message"]
    return out


def fields(
    schema: Mapping[str, Any],
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
) -> list[Field]:
    """Describe a schema's properties as form fields, in the schema's order.

    Only the schema's top-level `required` marks a field required: fields required by an
    `if/then` rule are shown as optional and the server validates them.
    """
    values = values or {}
    errors = errors or {}
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema.get("properties", {}).items():
        if prop.get("readOnly") or prop.get("x-hidden"):
            continue
        items = prop.get("items", {}) if prop.get("type") == "array" else {}
        options = _options(items or prop)
        kind = prop.get("type")
        out.append(
            Field(
                name=name,
                title=str(prop.get("title", name)),
                description=str(prop.get("description", "")),
                widget=_widget(prop, options),
                required=name in required,
                options=options,
                max_length=prop.get("maxLength"),
                minimum=prop.get("minimum"),
                maximum=prop.get("maximum"),
                step="1" if kind == "integer" else ("any" if kind == "number" else None),
                placeholder=str(prop["examples"][0]) if prop.get("examples") else None,
                value=values.get(name, prop.get("default")),
                error=errors.get(name),
                inputmode=_inputmode(name, prop),
            )
        )
    return out


def _number(raw: str, integer: bool) -> Any:
    text = raw.replace(" ", "").replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return raw  # kept as typed: the schema check reports the wrong type
    if integer:
        return int(number) if number.is_integer() else raw
    return int(number) if number.is_integer() and "." not in text else number


def parse(schema: Mapping[str, Any], form: MultiDict[str, str]) -> dict[str, Any]:
    """Read a submitted form into typed data for the schema; unknown keys are ignored."""
    data: dict[str, Any] = {}
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        kind = prop.get("type")
        if kind == "array":
            chosen = [v.strip() for v in form.getlist(name) if v.strip()]
            if chosen or name in required:
                data[name] = chosen
            continue
        raw = form.get(name)
        if kind == "boolean":
            checked = raw is not None and raw.strip().lower() in TRUE_VALUES
            if checked or name not in required:
                data[name] = checked
            continue
        if raw is None:
            continue
        raw = raw.strip()
        if raw == "":
            continue  # an empty optional field is absent; an empty required one is missing
        if kind in ("integer", "number"):
            data[name] = _number(raw, kind == "integer")
        else:
            data[name] = raw.replace("\r\n", "\n")
    return data


display_value = readmodel.display_value  # one way to show stored values, kept in engine/
summary = readmodel.form_summary
