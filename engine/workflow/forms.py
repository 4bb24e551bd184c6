"""Typed forms: JSON Schema files, filled with live options, validated with Romanian errors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from engine.platform import wording
from engine.platform.errors import Invalid


@lru_cache(maxsize=256)
def _load(path: str, mtime: float) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    Draft202012Validator.check_schema(schema)
    return schema


def load_form(forms_dir: Path, filename: str) -> dict[str, Any]:
    """Read a form's JSON Schema (cached until the file changes)."""
    path = (forms_dir / filename).resolve()
    if path.parent != forms_dir.resolve() or not path.is_file():
        raise FileNotFoundError(f"form {filename!r} not found in {forms_dir}")
    return _load(str(path), path.stat().st_mtime)


def has_options(schema: dict[str, Any]) -> bool:
    """Tell whether a form has properties whose choices are filled in at run time."""
    return any("x-options" in p for p in schema.get("properties", {}).values())


def with_options(
    schema: dict[str, Any], options: Mapping[str, list[tuple[str, str]]]
) -> dict[str, Any]:
    """Return the schema with every `x-options` property limited to the live choices."""
    if not has_options(schema):
        return schema
    frozen = tuple((k, tuple(v)) for k, v in sorted(options.items()))
    return _filled(json.dumps(schema), frozen)  # key order kept: it is the fields order


@lru_cache(maxsize=256)
def _filled(
    schema_json: str, options: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
) -> dict[str, Any]:
    filled: dict[str, Any] = json.loads(schema_json)
    choices = dict(options)
    for prop in filled.get("properties", {}).values():
        source = prop.get("x-options")
        if source in choices:
            prop["oneOf"] = [{"const": value, "title": title} for value, title in choices[source]]
    return filled


def _pointer(error: ValidationError) -> str:
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path.append(missing)
    return "/" + "/".join(str(p) for p in path) if path else ""


def _message(error: ValidationError, schema: dict[str, Any]) -> str:
    v = error.validator
    arg: Any = error.validator_value  # the keyword's value in the schema: any JSON
    if v == "required":
        return "Câmpul este obligatoriu."
    if v == "minLength":
        return (
            "Câmpul este obligatoriu."
            if arg == 1
            else f"Textul trebuie să aibă cel puțin {wording.count(arg, 'caracter', 'caractere')}."
        )
    if v == "maxLength":
        return f"Textul poate avea cel mult {wording.count(arg, 'caracter', 'caractere')}."
    if v in ("oneOf", "anyOf", "enum", "const"):
        return "Alegeți una dintre variantele permise."
    if v == "type":
        names = {
            "string": "text",
            "integer": "număr întreg",
            "number": "număr",
            "boolean": "da/nu",
            "object": "obiect",
            "array": "listă",
        }
        kinds: list[str] = arg if isinstance(arg, list) else [arg]
        return (
            "Valoarea trebuie să fie de tip " + " sau ".join(names.get(k, k) for k in kinds) + "."
        )
    if v == "additionalProperties":
        return "Formularul conține un câmp necunoscut."
    if v == "pattern":
        return "Valoarea nu are formatul cerut."
    if v == "format":
        return "Valoarea nu are formatul cerut."
    if v == "minimum":
        return f"Valoarea trebuie să fie cel puțin {arg}."
    if v == "maximum":
        return f"Valoarea trebuie să fie cel mult {arg}."
    if v in ("minItems", "maxItems"):
        return (
            f"Numărul de elemente nu este permis ({'minim' if v == 'minItems' else 'maxim'} {arg})."
        )
    return "Valoarea nu este validă."


def _either(error: ValidationError, schema: dict[str, Any]) -> tuple[str, str] | None:
    """Name the fields of a rule "fill these or those" (`anyOf` of `required` lists), and
    put its message next to the first of them."""
    branches = error.validator_value
    if (
        error.validator not in ("anyOf", "oneOf")
        or list(error.absolute_path)
        or not isinstance(branches, list)
        or not all(
            isinstance(b, dict) and list(b) == ["required"] and b["required"] for b in branches
        )
    ):
        return None
    props = schema.get("properties", {})
    ways = [
        " și ".join(f"„{props.get(name, {}).get('title', name)}”" for name in b["required"])
        for b in branches
    ]
    return "/" + str(branches[0]["required"][0]), "Completați " + " sau ".join(ways) + "."


def form_errors(schema: dict[str, Any], data: Any) -> list[dict[str, str]]:
    """List what is wrong with `data`, one entry per field, as JSON pointers and sentences."""
    if not isinstance(data, dict):
        return [{"field": "", "message": "Datele formularului trebuie să fie un obiect JSON."}]
    validator = Draft202012Validator(schema)
    errors: list[dict[str, str]] = []
    seen: set[str] = set()
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        if error.validator == "additionalProperties":
            for extra in sorted(set(data) - set(schema.get("properties", {}))):
                field = f"/{extra}"
                if field not in seen:
                    seen.add(field)
                    errors.append({"field": field, "message": "Formularul nu are acest câmp."})
            continue
        either = _either(error, schema)
        field, message = either if either else (_pointer(error), _message(error, schema))
        if field in seen:
            continue
        seen.add(field)
        errors.append({"field": field, "message": message})
    return errors


def validate_form(schema: dict[str, Any], data: Any) -> dict[str, Any]:
    """Return the data if it satisfies the schema, else raise Invalid with every problem."""
    errors = form_errors(schema, data)
    if errors:
        raise Invalid(errors)
    return dict(data)
